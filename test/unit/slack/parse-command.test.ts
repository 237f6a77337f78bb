import { describe, expect, it } from "vitest";
import { editDistance, parseCommand } from "../../../lib/slack/parse-command";

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
