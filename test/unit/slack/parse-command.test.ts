import { describe, expect, it } from "vitest";
import { code, md } from "../../../lib/slack/mrkdwn";
import { parseCommand } from "../../../lib/slack/parse-command";
import { editDistance } from "../../../lib/util/edit-distance";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

describe("parseCommand", () => {
  it.each([
    ["", { kind: "help" }],
    ["   ", { kind: "help" }],
    ["help", { kind: "help" }],
    ["HELP me", { kind: "help" }],
    [`detach web01 ${IMAGE}`, { kind: "detach", server: "web01", image: IMAGE, reason: "" }],
    [
      `  detach   web01   ${IMAGE.toUpperCase()}   reboot  loop  `,
      { kind: "detach", server: "web01", image: IMAGE, reason: "reboot loop" },
    ],
    [
      `Detach c880a4b5-0230-4925-a8f5-16fb48249275 ${IMAGE} INC-42`,
      {
        kind: "detach",
        server: "c880a4b5-0230-4925-a8f5-16fb48249275",
        image: IMAGE,
        reason: "INC-42",
      },
    ],
    ["detach web01", { kind: "detach", server: "web01", reason: "" }],
    ["status web01", { kind: "status", target: "web01" }],
    ["STATUS op-7kq2m9x4ab", { kind: "status", target: "op-7kq2m9x4ab" }],
    [
      "status c880a4b5-0230-4925-a8f5-16fb48249275 extra words",
      { kind: "status", target: "c880a4b5-0230-4925-a8f5-16fb48249275" },
    ],
    ["history", { kind: "history", server: undefined }],
    ["History web01", { kind: "history", server: "web01" }],
    ["cancel op-7kq2m9x4ab", { kind: "cancel", operationId: "op-7kq2m9x4ab" }],
  ])("%j → %j", (text, command) => {
    expect(parseCommand(text)).toEqual(command);
  });

  it.each([
    ["status", "`/bm status` needs a server name or id, or an operation id: `/bm status web01`"],
    [
      "status web/01",
      '"web/01" is not a server name bm accepts (1 to 255 letters, digits, ".", "-", "_"); use the server\'s id instead.',
    ],
    [
      "history web/01",
      '"web/01" is not a server name bm accepts (1 to 255 letters, digits, ".", "-", "_"); use the server\'s id instead.',
    ],
    ["detach web01 x.iso", 'The image must be an image id (a UUID), not "x.iso".'],
    [
      "cancel",
      "`/bm cancel` needs an operation id, such as `op-7kq2m9x4ab`: it is in the message bm posted.",
    ],
    [
      "cancel web01",
      "`/bm cancel` needs an operation id, such as `op-7kq2m9x4ab`: it is in the message bm posted.",
    ],
    ["statsu web01", "`statsu` is not a bm command. Did you mean `/bm status`?"],
    ["histroy", "`histroy` is not a bm command. Did you mean `/bm history`?"],
    ["cancle op-7kq2m9x4ab", "`cancle` is not a bm command. Did you mean `/bm cancel`?"],
    [`${"x".repeat(40)} y`, `\`${"x".repeat(30)}\` is not a bm command.`],
  ])("%j is answered: %s", (text, message) => {
    const parsed = parseCommand(text);
    expect(parsed.kind).toBe("invalid");
    expect(parsed.kind === "invalid" ? parsed.message.text : "").toBe(message);
  });

  it.each([
    ["detatch web01", "`detatch` is not a bm command. Did you mean `/bm detach`?"],
    ["dteach", "`dteach` is not a bm command. Did you mean `/bm detach`?"],
    ["hepl", "`hepl` is not a bm command. Did you mean `/bm help`?"],
    ["reboot web01", "`reboot` is not a bm command."],
    [
      "detach",
      "`/bm detach` needs a server, and the image id if you know it: `/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 [reason]`, or `/bm detach web01` to pick from the images attached.",
    ],
    ["detach web01 ubuntu.iso", 'The image must be an image id (a UUID), not "ubuntu.iso".'],
    [`detach <@U123> ${IMAGE}`, '"&lt;@U123&gt;" is not a server name bm accepts'],
  ])("%j is invalid: %s", (text, message) => {
    const parsed = parseCommand(text);
    expect(parsed.kind).toBe("invalid");
    const said = parsed.kind === "invalid" ? parsed.message.text : "";
    expect(said).toContain(message);
    // A word far from every command gets no guess.
    if (!message.includes("Did you mean")) expect(said).not.toContain("Did you mean");
  });

  it("keeps at most 500 characters of reason", () => {
    const parsed = parseCommand(`detach web01 ${IMAGE} ${"x".repeat(600)}`);
    expect(parsed.kind === "detach" && parsed.reason.length).toBe(501);
  });
});

describe("editDistance", () => {
  it.each([
    ["detach", "detach", 0],
    ["detatch", "detach", 1],
    ["dteach", "detach", 1],
    ["help", "detach", 5],
    ["", "help", 4],
  ])("%s ↔ %s = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe("the usage and the help, word for word", () => {
  it("every form, its meaning and its example", async () => {
    const { USAGE, FORMS_TEXT, example } = await import("../../../lib/slack/parse-command");
    expect(FORMS_TEXT).toEqual([
      "/bm detach SERVER [IMAGE-ID [REASON…]]",
      "/bm status SERVER|OPERATION-ID",
      "/bm media [IMAGE-ID|SERVER]",
      "/bm history [SERVER]",
      "/bm cancel OPERATION-ID",
      "/bm help",
    ]);
    expect(USAGE.text).toBe(
      [
        "`/bm detach SERVER [IMAGE-ID [REASON…]]`: detach a virtual media image from a bare-metal server (its name or id); without the image, pick one of those attached; `/bm detach --all IMAGE-ID [--match PREFIX] [REASON…]` detaches it from every server of the tenant that has it, under one approval",
        "`/bm status SERVER|OPERATION-ID`: a server's live state and attached media, and its operations in flight",
        "`/bm media [IMAGE-ID|SERVER]`: the servers with virtual media attached, grouped by image, and how long bm has seen each mounted",
        "`/bm history [SERVER]`: the last 10 operations of this channel's tenant",
        "`/bm cancel OPERATION-ID`: cancel your own request before it is sent to ECL",
        "`/bm help`: what you may do in this channel",
      ].join("\n"),
    );
    expect(example("detach").text).toBe(
      "`/bm detach SERVER [IMAGE-ID [REASON…]]`: detach a virtual media image from a bare-metal server (its name or id); without the image, pick one of those attached; `/bm detach --all IMAGE-ID [--match PREFIX] [REASON…]` detaches it from every server of the tenant that has it, under one approval. Example: `/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 INC-1234 reboot loop`",
    );
    expect(example("status").text).toContain("Example: `/bm status web01`");
    expect(example("history").text).toContain("Example: `/bm history web01`");
    expect(example("media").text).toBe(
      "`/bm media [IMAGE-ID|SERVER]`: the servers with virtual media attached, grouped by image, and how long bm has seen each mounted. Example: `/bm media 3339fd5f-ec06-4ef8-9337-c1c70218a748`",
    );
    expect(example("cancel").text).toContain("Example: `/bm cancel op-7kq2m9x4ab`");
    expect(example("help").text).toBe("`/bm help`: what you may do in this channel.");
  });

  it("words are split on any run of spaces, tabs or newlines", () => {
    expect(parseCommand(`detach\tweb01\n${IMAGE}`)).toEqual({
      kind: "detach",
      server: "web01",
      image: IMAGE,
      reason: "",
    });
  });

  it("a reason of exactly 500 characters is kept whole", () => {
    const parsed = parseCommand(`detach web01 ${IMAGE} ${"x".repeat(500)}`);
    expect(parsed.kind === "detach" && parsed.reason).toBe("x".repeat(500));
  });

  it("a status of something that looks like an operation id but is not one is taken as a server", () => {
    expect(parseCommand("status op-short")).toEqual({ kind: "status", target: "op-short" });
  });

  it("no two subcommands are within three edits, so a typo is within two of two at most (the did-you-mean takes the nearest)", async () => {
    const { SUBCOMMANDS } = await import("../../../lib/slack/parse-command");
    for (const a of SUBCOMMANDS)
      for (const b of SUBCOMMANDS)
        if (a !== b) expect(editDistance(a, b), `${a} ↔ ${b}`).toBeGreaterThan(3);
  });

  it.each([
    // Two edits from both media and help (which are four apart): the first of the two.
    ["heda", "media"],
    // One edit from help, three from media: the nearer, though media comes first.
    ["hedp", "help"],
    ["medai", "media"],
  ])("/bm %s: did you mean /bm %s?", (typed, meant) => {
    expect(parseCommand(typed)).toEqual({
      kind: "invalid",
      message: md`${code(typed)} is not a bm command. Did you mean ${code(`/bm ${meant}`)}?`,
    });
  });

  it.each([
    ["media", { kind: "media", target: undefined }],
    [`media ${IMAGE}`, { kind: "media", target: IMAGE }],
    ["MEDIA web01 extra", { kind: "media", target: "web01" }],
  ])("/bm %s is a media request", (text, parsed) => {
    expect(parseCommand(text)).toEqual(parsed);
  });

  it("/bm media with a target bm cannot take says why", () => {
    expect(parseCommand("media web<01>")).toEqual({
      kind: "invalid",
      message: md`${'"web<01>" is not a server name bm accepts (1 to 255 letters, digits, ".", "-", "_"); use the server\'s id instead'}.`,
    });
  });

  it("edit distance counts a swap of neighbours as one, and only neighbours", () => {
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("abc", "cba")).toBe(2);
    expect(editDistance("histroy", "history")).toBe(1);
    expect(editDistance("a", "")).toBe(1);
  });

  it("a word three edits from every command gets no guess; two edits, a guess", () => {
    expect(parseCommand("hxxp").kind === "invalid" && parseCommand("hxxp")).toMatchObject({
      message: { text: "`hxxp` is not a bm command. Did you mean `/bm help`?" },
    });
    expect(parseCommand("hxxx")).toMatchObject({
      message: { text: "`hxxx` is not a bm command." },
    });
  });
});
