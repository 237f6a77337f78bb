import { describe, expect, it } from "vitest";
import type { Operation } from "../../../lib/operations/operation";
import { parentMessage, threadNotice } from "../../../lib/slack/messages";
import { escapeMrkdwn } from "../../../lib/slack/mrkdwn";
import { AT, sampleOperation } from "./sample-operation";

const op = (changes: Partial<Operation> = {}) =>
  sampleOperation(changes, "<!channel> reboot & retry");

describe("parentMessage", () => {
  it("shows who, what, why and the server's state, escaping the user's reason", () => {
    const message = parentMessage(
      op({
        state: "detaching",
        serverId: "c880",
        serverName: "web01",
        taskState: "None",
        powerState: "RUNNING",
      }),
    );
    const text = JSON.stringify(message.blocks);
    expect(message.text).toBe(
      "Detaching: <@U1> asked to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from web01: &lt;!channel&gt; reboot &amp; retry (op-0123456789)",
    );
    expect(text).toContain("*Media detach* `op-0123456789` · :arrows_counterclockwise: Detaching");
    expect(text).toContain("*Requested by*\\n<@U1>");
    expect(text).toContain("*Server*\\n`web01` (`c880`)");
    expect(text).toContain("*Server state*\\ntask_state None, power RUNNING");
    expect(text).toContain("*Reason*\\n&lt;!channel&gt; reboot &amp; retry");
    expect(text).not.toContain("<!channel>");
  });
});

describe("threadNotice", () => {
  const now = new Date(AT.getTime() + 65_000);
  it.each([
    [{ state: "requested" }, undefined],
    [{ state: "executing" }, undefined],
    [
      { state: "waiting_for_idle", serverName: "web01", taskState: "REBOOTING" },
      ":hourglass_flowing_sand: `web01` is busy (task_state REBOOTING). ECL accepts a detach only when task_state is None, so bm will try again until it is idle, for up to 10m 00s.",
    ],
    [{ state: "detaching", serverName: "web01", detachRequestId: "req-1" }, undefined],
    [
      { state: "done", serverName: "web01", detachStartedAt: AT.toISOString() },
      ":white_check_mark: <@U1> done: image `3339fd5f-ec06-4ef8-9337-c1c70218a748` is detached from `web01` and the server is idle, 1m 05s after ECL accepted it.",
    ],
    [
      { state: "failed", outcome: "ECL answered 409 <x>" },
      ":x: <@U1> the detach failed: ECL answered 409 &lt;x&gt;",
    ],
  ] as Array<[Partial<Operation>, string | undefined]>)("%j", (changes, said) => {
    expect(threadNotice(op(changes), now, 600)?.text).toBe(said);
  });

  it("escapes Slack's control characters", () => {
    expect(escapeMrkdwn("<@U1> & <http://x|y>")).toBe("&lt;@U1&gt; &amp; &lt;http://x|y&gt;");
  });
});

describe("long lists and long text", () => {
  it("names ten approvers, then says how many more", () => {
    const approvers = Array.from({ length: 150 }, (_, i) => `U${String(i).padStart(4, "0")}`);
    const card = parentMessage(op({ state: "awaiting_approval", approvalsRequired: 1, approvers }));
    const approval = JSON.stringify(card.blocks).match(/\*Approval\*\\n([^"]*)/)?.[1] ?? "";
    expect(approval).toMatch(/^1 needed from <@U0000>, <@U0001>, .*<@U0009>, … and 140 more/);
  });

  it("fits a 500-character rejection reason of & to the field, after escaping", () => {
    const card = parentMessage(
      op({
        state: "rejected",
        approvalsRequired: 1,
        rejectedBy: "U2",
        rejectReason: "&".repeat(500),
      }),
    );
    const fields =
      (card.blocks?.[1] as { fields: Array<{ text: string }> } | undefined)?.fields ?? [];
    const approval = fields[5]?.text ?? "";
    expect(approval.length).toBeLessThanOrEqual(2000);
    expect(approval).toMatch(/rejected: (&amp;)+…$/);
  });
});
