import { describe, expect, it } from "vitest";
import { RefusalTally } from "../../../lib/front-door/refusals";
import { requestDetach } from "../../../lib/front-door/request-detach";
import { recordedWords, recordRequest } from "../../../lib/operations/record-request";
import { frontDoorFakes, IMAGE, SERVER } from "../fakes";

const request = (changes: Partial<Parameters<typeof requestDetach>[1]> = {}) => ({
  teamId: "T1",
  channelId: "C0INC",
  userId: "U0REQ",
  triggerId: "1.2.3",
  server: SERVER,
  image: IMAGE,
  reason: "INC-1",
  responseUrl: "https://hooks.slack.com/commands/T1/1/x",
  ...changes,
});
const metrics = () => {
  const put: Array<[string, number, string?]> = [];
  return {
    put,
    metrics: {
      put: (n: string, v: number, d?: string) =>
        void put.push(d === undefined ? [n, v] : [n, v, d]),
      flush: () => {},
    },
  };
};

describe("requestDetach", () => {
  it("by id with the image: recorded there and then, under the channel's policy, its response_url kept", async () => {
    const m = metrics();
    const f = frontDoorFakes({ metrics: m.metrics });
    const said = await requestDetach(f.deps, request({ channelId: "C0CHG" }));
    const [op] = f.ops.values();
    expect(said.text).toBe(
      `Recorded \`${op?.id}\`: detach image \`${IMAGE}\` from \`${SERVER}\`. It needs 2 approvals; bm will post the request in this channel for approvers.`,
    );
    expect(op).toMatchObject({
      requester: "U0REQ",
      channelId: "C0CHG",
      tenant: "t",
      secretId: "bm/tenant/t",
      approvalsRequired: 2,
      approvers: ["U0A1", "S0APP"],
      requestTtlMinutes: 30,
      serverRef: SERVER,
      imageId: IMAGE,
      reason: "INC-1",
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
    });
    expect(f.events.map((e) => e.action)).toEqual(["requested"]);
    expect(f.sent).toEqual([{ kind: "prepare", operationId: op?.id }]);
    expect(m.put).toEqual([["OperationRequested", 1, "required"]]);
  });

  it("without a response_url, none is kept; without approvals, it is counted as none", async () => {
    const m = metrics();
    const f = frontDoorFakes({ metrics: m.metrics });
    const { responseUrl: _, ...noUrl } = request();
    await requestDetach(f.deps, noUrl);
    expect([...f.ops.values()][0]).not.toHaveProperty("responseUrl");
    expect(m.put).toEqual([["OperationRequested", 1, "none"]]);
  });

  it.each([
    ["an unbound channel", { channelId: "C0NOPE", userId: "U0REQ" }, "refused:channel_not_bound"],
    [
      "someone who may not request there",
      { channelId: "C0SELF", userId: "U0A1" },
      "refused:not_a_requester",
    ],
  ])(
    "%s: refused, audited with what was asked, nothing recorded or queued",
    async (_, changes, action) => {
      const f = frontDoorFakes();
      await requestDetach(f.deps, request(changes));
      expect(f.ops.size).toBe(0);
      expect(f.sent).toEqual([]);
      expect(f.events).toEqual([
        expect.objectContaining({
          action,
          actor: { teamId: "T1", userId: changes.userId },
          facts: { channel: changes.channelId, server: SERVER, image: IMAGE },
        }),
      ]);
    },
  );

  it.each([
    ["/bm media", { via: "/bm media" }],
    [undefined, {}],
  ])(
    "asked for by a button (via %s): its requested event says so, and nothing else changes",
    async (via, said) => {
      const f = frontDoorFakes();
      await requestDetach(f.deps, request({ reason: "", ...(via ? { via } : {}) }));
      const [op] = f.ops.values();
      expect(f.events[0]?.facts).toStrictEqual({
        server: SERVER,
        image: IMAGE,
        channel: "C0INC",
        tenant: "t",
        ...said,
      });
      expect(op && "via" in op).toBe(false);
    },
  );

  it("a refusal of a request without an image names no image", async () => {
    const f = frontDoorFakes();
    await requestDetach(f.deps, request({ channelId: "C0NOPE", image: undefined }));
    expect(f.events[0]?.facts).toEqual({ channel: "C0NOPE", server: SERVER });
  });

  it("by name, or without the image: a lookup kept with what was asked, its response_url and the policy", async () => {
    const f = frontDoorFakes();
    await requestDetach(f.deps, request({ server: "web01", image: undefined }));
    const choice = await f.deps.choices.getChoice((f.sent[0] as { choiceId: string }).choiceId);
    expect(choice).toMatchObject({
      state: "looking",
      requester: "U0REQ",
      reason: "INC-1",
      asked: { server: "web01" },
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
      approvalsRequired: 0,
    });
    expect(choice?.asked).not.toHaveProperty("image");
    expect(f.ops.size).toBe(0);
  });

  it("a lookup that cannot be handed over: said plainly, and logged", async () => {
    const warnings: Array<[string, object | undefined]> = [];
    const f = frontDoorFakes({
      queue: { send: async () => Promise.reject(new Error("sqs down")) },
      log: { info: () => {}, warn: (m, e) => void warnings.push([m, e]) },
    });
    const said = await requestDetach(f.deps, request({ server: "web01" }));
    expect(said.text).toBe(
      "bm could not hand the lookup of `web01` to its worker just now (its database or queue did not answer), and has recorded no request. If nothing appears here within a minute, run the command again.",
    );
    expect(warnings).toEqual([
      [
        "could not hand the lookup to the worker",
        { choiceId: expect.stringMatching(/^ch-/), error: "Error" },
      ],
    ]);
  });

  it("a repeated delivery of a lookup already answered is not handed over again", async () => {
    const f = frontDoorFakes();
    await requestDetach(f.deps, request({ server: "web01" }));
    const id = (f.sent[0] as { choiceId: string }).choiceId;
    const stored = await f.deps.choices.getChoice(id);
    if (stored) await f.deps.choices.saveChoice(stored, { ...stored, state: "ended" });
    await requestDetach(f.deps, request({ server: "web01" }));
    expect(f.sent).toHaveLength(1);
  });

  it("a write whose answer is lost: said as unknown, and logged", async () => {
    const warnings: string[] = [];
    const f = frontDoorFakes({
      log: { info: () => {}, warn: (m) => void warnings.push(m) },
    });
    f.deps.store = { ...f.deps.store, create: async () => Promise.reject(new Error("timeout")) };
    const said = await requestDetach(f.deps, request());
    expect(said.text).toMatch(
      /^bm could not confirm that it recorded `op-\w+` \(its database did not answer in time\)\. If it did, the request goes on by itself: `\/bm status op-\w+` in a minute tells you; if not, ask again\.$/,
    );
    expect(warnings).toEqual(["could not confirm the request was recorded"]);
    expect(f.sent).toEqual([]);
  });

  it("an audit append that fails: counted, logged, the request recorded all the same", async () => {
    const m = metrics();
    const warnings: string[] = [];
    const f = frontDoorFakes({
      metrics: m.metrics,
      audit: { append: async () => Promise.reject(new Error("throttled")) },
      log: { info: () => {}, warn: (w) => void warnings.push(w) },
    });
    const said = await requestDetach(f.deps, request());
    expect(said.text).toMatch(/^Recorded/);
    expect(m.put).toContainEqual(["AuditWriteError", 1]);
    expect(warnings).toEqual(["audit append failed; the worker makes it"]);
  });

  it("a repeated delivery finds its request: said so; handed over again only while it waits", async () => {
    const f = frontDoorFakes();
    await requestDetach(f.deps, request());
    const again = await requestDetach(f.deps, request());
    const [op] = f.ops.values();
    expect(again.text).toBe(`This request is already recorded as \`${op?.id}\` (requested).`);
    expect(f.sent).toHaveLength(2);
    if (op) f.ops.set(op.id, { ...op, state: "approved" });
    const later = await requestDetach(f.deps, request());
    expect(later.text).toBe(`This request is already recorded as \`${op?.id}\` (approved).`);
    expect(f.sent).toHaveLength(2);
  });
});

describe("recordRequest, what it logs and re-sends", () => {
  const logged = () => {
    const lines: Array<[string, string, object | undefined]> = [];
    return {
      lines,
      log: {
        info: (m: string, e?: object) => void lines.push(["info", m, e]),
        warn: (m: string, e?: object) => void lines.push(["warn", m, e]),
      },
    };
  };

  it("a request recorded: logged with its id", async () => {
    const l = logged();
    const f = frontDoorFakes({ log: l.log });
    await requestDetach(f.deps, request());
    const [op] = f.ops.values();
    expect(l.lines).toEqual([["info", "requested", { operationId: op?.id }]]);
  });

  it("a repeated delivery of a request still waiting hands it over again, as prepare", async () => {
    const f = frontDoorFakes();
    await requestDetach(f.deps, request());
    await requestDetach(f.deps, request());
    const [op] = f.ops.values();
    expect(f.sent).toEqual([
      { kind: "prepare", operationId: op?.id },
      { kind: "prepare", operationId: op?.id },
    ]);
  });

  it("each failure logged with the operation and the error's name", async () => {
    const l = logged();
    const f = frontDoorFakes({
      log: l.log,
      audit: { append: async () => Promise.reject(new TypeError("x")) },
      queue: { send: async () => Promise.reject(new RangeError("y")) },
    });
    await requestDetach(f.deps, request());
    const [op] = f.ops.values();
    expect(l.lines).toEqual([
      [
        "warn",
        "could not enqueue; the follow-up hands it over",
        { operationId: op?.id, error: "RangeError" },
      ],
      [
        "warn",
        "audit append failed; the worker makes it",
        { operationId: op?.id, error: "TypeError" },
      ],
      ["info", "requested", { operationId: op?.id }],
    ]);
    const g = logged();
    const lost = frontDoorFakes({ log: g.log });
    lost.deps.store = {
      ...lost.deps.store,
      create: async () => Promise.reject(new SyntaxError("z")),
    };
    await requestDetach(lost.deps, request());
    expect(g.lines).toEqual([
      [
        "warn",
        "could not confirm the request was recorded",
        { operationId: expect.stringMatching(/^op-/), error: "SyntaxError" },
      ],
    ]);
  });

  it("an audit append failing with no metrics to count it: the request is recorded all the same", async () => {
    const f = frontDoorFakes({ audit: { append: async () => Promise.reject(new Error("x")) } });
    delete f.deps.metrics;
    expect((await requestDetach(f.deps, request())).text).toMatch(/^Recorded/);
  });
});

describe("recordRequest, to the letter", () => {
  const fields = {
    teamId: "T1",
    channelId: "C0INC",
    requester: "U0REQ",
    reason: "INC-1",
    tenant: "t",
    secretId: "bm/tenant/t",
    approvalsRequired: 0,
    approvers: [],
    requestTtlMinutes: 30,
    serverRef: SERVER,
    imageId: IMAGE,
    seed: "1.2.3",
  };

  it("recorded, then found recorded: each said by its kind", async () => {
    const f = frontDoorFakes();
    const first = await recordRequest(f.deps, fields);
    expect(first).toMatchObject({ kind: "recorded", handedOver: true });
    const again = await recordRequest(f.deps, fields);
    expect(again.kind).toBe("existing");
  });

  it("a request found recorded names its state in words", () => {
    const again = recordedWords(
      {
        kind: "existing",
        operationId: "op-0123456789",
        imageId: IMAGE,
        approvalsRequired: 2,
        state: "awaiting_approval",
      },
      "`web01`",
    );
    expect(again.text).toBe(
      "This request is already recorded as `op-0123456789` (awaiting approval).",
    );
  });
});

describe("a lookup's request, to the letter", () => {
  it("by name with the image: the image kept with what was asked; the lookup logged", async () => {
    const infos: Array<[string, object | undefined]> = [];
    const f = frontDoorFakes({ log: { info: (m, e) => void infos.push([m, e]), warn: () => {} } });
    await requestDetach(f.deps, request({ server: "web01" }));
    const id = (f.sent[0] as { choiceId: string }).choiceId;
    expect((await f.deps.choices.getChoice(id))?.asked).toEqual({ server: "web01", image: IMAGE });
    expect(infos).toContainEqual(["looking up", { choiceId: id }]);
  });
});

describe("refused commands, repeated", () => {
  it("one user's refused detaches in one channel collapse into the first, whatever their trigger", async () => {
    const f = frontDoorFakes({ refusals: new RefusalTally("c1") });
    for (let i = 0; i < 5; i++)
      await requestDetach(f.deps, request({ channelId: "C0NOPE", triggerId: `1.2.${i}` }));
    // Another channel is another tally.
    await requestDetach(f.deps, request({ channelId: "C0GONE", triggerId: "1.2.9" }));
    expect(f.events.map((e) => [e.action, e.facts.channel])).toEqual([
      ["refused:channel_not_bound", "C0NOPE"],
      ["refused:channel_not_bound", "C0GONE"],
    ]);
  });
});
