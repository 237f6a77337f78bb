import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../lib/slack/parse-command";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

describe("/bm detach --all", () => {
  it.each([
    [`detach --all ${IMAGE}`, { kind: "fleet", image: IMAGE, reason: "" }],
    [
      `detach --all ${IMAGE.toUpperCase()} INC-1 reboot loop`,
      { kind: "fleet", image: IMAGE, reason: "INC-1 reboot loop" },
    ],
    [
      `detach --all ${IMAGE} --match web- INC-1`,
      { kind: "fleet", image: IMAGE, match: "web-", reason: "INC-1" },
    ],
    [
      `detach --all ${IMAGE} --match web-`,
      { kind: "fleet", image: IMAGE, match: "web-", reason: "" },
    ],
    // --match only right after the image: later it is part of the reason.
    [
      `detach --all ${IMAGE} INC-1 --match web-`,
      { kind: "fleet", image: IMAGE, reason: "INC-1 --match web-" },
    ],
  ])("%s", (text, command) => {
    expect(parseCommand(text)).toStrictEqual(command);
  });

  it("keeps at most 500 characters of the reason", () => {
    const parsed = parseCommand(`detach --all ${IMAGE} ${"r".repeat(501)}`);
    expect(parsed).toEqual({ kind: "fleet", image: IMAGE, reason: `${"r".repeat(500)}…` });
    const exact = parseCommand(`detach --all ${IMAGE} ${"r".repeat(500)}`);
    expect(exact).toEqual({ kind: "fleet", image: IMAGE, reason: "r".repeat(500) });
  });

  it.each([
    [
      "detach --all",
      "`/bm detach --all` needs the image id: `/bm detach --all 3339fd5f-ec06-4ef8-9337-c1c70218a748 [--match PREFIX] [reason]`.",
    ],
    [
      `detach --all ${IMAGE} --match`,
      "`--match` needs the start of the servers' names: `--match web-`.",
    ],
    [
      `detach --all ${IMAGE} --match --x`,
      "`--match` needs the start of the servers' names: `--match web-`.",
    ],
  ])("%s: a plain answer", (text, message) => {
    const parsed = parseCommand(text);
    expect(parsed.kind === "invalid" ? parsed.message.text : parsed.kind).toBe(message);
  });

  it("a bad image id or prefix gets the validator's words", () => {
    const bad = parseCommand("detach --all not-a-uuid");
    expect(bad.kind === "invalid" ? bad.message.text : bad.kind).toMatch(/^[A-Z].*image.*\.$/);
    const prefix = parseCommand(`detach --all ${IMAGE} --match we*b`);
    expect(prefix.kind === "invalid" ? prefix.message.text : prefix.kind).toMatch(
      /^"we\*b" is not a server name/,
    );
  });
});
