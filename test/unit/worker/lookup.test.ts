import { describe, expect, it } from "vitest";
import { type Choice, newChoice } from "../../../lib/choices/choice";
import type { EclApi } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import type { Tenant } from "../../../lib/ecl/tenants";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { answerLookup } from "../../../lib/worker/lookup";
import { RetryLater } from "../../../lib/worker/retry-later";
import { eclServer, IMAGE, NOW, SERVER, workerFakes } from "../fakes";

const OTHER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** ECL with these servers: names filtered as substrings (as the simulator does), ids shown. */
function tenantWith(servers: Server[], failing?: Error) {
  const calls: string[] = [];
  const ecl: Partial<EclApi> = {
    listServers: async (filter = {}) => {
      calls.push(`list ${filter.name ?? "*"}`);
      if (failing) throw failing;
      return servers.filter((s) => filter.name === undefined || s.name.includes(filter.name));
    },
    showServer: async (id) => {
      calls.push(`show ${id}`);
      if (failing) throw failing;
      const found = servers.find((s) => s.id === id);
      if (found) return found;
      throw new EclApiError({
        service: "baremetal",
        status: 404,
        method: "GET",
        path: `/servers/${id}`,
        code: undefined,
        apiMessage: undefined,
        requestId: undefined,
      });
    },
    imageName: async (id) => (id === IMAGE ? "rescue.iso" : undefined),
  };
  return { calls, openTenant: async () => ({ ecl }) as unknown as Tenant };
}

async function lookUp(
  asked: Choice["asked"],
  servers: Server[],
  options: {
    failing?: Error;
    receive?: number;
    picks?: Choice["picks"];
    approvals?: number;
    /** null: a choice without a response_url. */
    responseUrl?: string | null;
    /** The image service's answer, in place of the fake's. */
    imageName?: (id: string) => Promise<string | undefined>;
  } = {},
) {
  const ecl = tenantWith(servers, options.failing);
  const openTenant = options.imageName
    ? async () => {
        const tenant = await ecl.openTenant();
        return { ...tenant, ecl: { ...tenant.ecl, imageName: options.imageName } } as Tenant;
      }
    : ecl.openTenant;
  const f = workerFakes({}, { openTenant });
  const responseUrl =
    options.responseUrl === undefined
      ? "https://hooks.slack.com/commands/T1/1/x"
      : options.responseUrl;
  const choice = newChoice(
    {
      id: "ch-0123456789",
      teamId: "T1",
      channelId: "C0INC",
      requester: "U0REQ",
      tenant: "t",
      secretId: "bm/tenant/t",
      approvalsRequired: options.approvals ?? 0,
      approvers: [],
      requestTtlMinutes: 30,
      reason: "INC-1",
      asked,
      ...(responseUrl ? { responseUrl } : {}),
      ...(options.picks ? { picks: options.picks } : {}),
    },
    NOW,
  );
  await f.deps.choices.createChoice(choice);
  const run = () => answerLookup(f.deps, { choiceId: choice.id }, options.receive ?? 1);
  return { f, ecl, run, stored: () => f.deps.choices.getChoice(choice.id) };
}

describe("a lookup", () => {
  it("one server of that name, and the image: the request recorded, the requester told once", async () => {
    const web = eclServer();
    const { f, run, stored, ecl } = await lookUp({ server: "web01", image: IMAGE }, [
      web,
      eclServer({ id: uuid(1), name: "web010" }),
    ]);
    await run();
    const choice = await stored();
    expect(choice).toMatchObject({ state: "ended", shown: true, ended: { kind: "recorded" } });
    const [op] = f.ops.values();
    expect(op).toMatchObject({
      state: "requested",
      serverRef: SERVER,
      serverName: "web01",
      imageId: IMAGE,
      reason: "INC-1",
      requester: "U0REQ",
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
    });
    expect(f.sent.map((s) => s.message)).toEqual([{ kind: "prepare", operationId: op?.id }]);
    expect(f.slack).toEqual([
      {
        method: "respond",
        text: `Recorded \`${op?.id}\`: detach image \`${IMAGE}\` from \`web01\` (\`${SERVER}\`). bm will check the server and post progress in this channel.`,
      },
    ]);
    expect(ecl.calls).toEqual(["list web01"]);
    // Delivered again: nothing more is recorded or said.
    await run();
    expect(f.ops.size).toBe(1);
    expect(f.slack).toHaveLength(1);
  });

  it("the picks that led here are the request's audit events", async () => {
    const pick = {
      choiceId: "ch-parent0000",
      at: NOW.toISOString(),
      userId: "U0REQ",
      offer: "servers" as const,
      asked: "app",
      of: 2,
      server: SERVER,
    };
    const { f, run } = await lookUp({ server: SERVER, image: IMAGE }, [eclServer()], {
      picks: [pick],
    });
    await run();
    const [op] = f.ops.values();
    expect(op?.unaudited?.map((e) => [e.seq, e.action])).toEqual([
      [1, "requested"],
      [2, "chosen"],
    ]);
  });

  it("no image: the images attached offered, with the image service's names", async () => {
    const { f, run, stored } = await lookUp({ server: "web01" }, [
      eclServer({ mediaIds: [IMAGE, OTHER] }),
    ]);
    await run();
    const choice = await stored();
    expect(choice).toMatchObject({
      state: "open",
      offer: "images",
      imageNames: { [IMAGE]: "rescue.iso" },
      shown: true,
    });
    expect(choice?.options?.map((o) => [o.server, o.image])).toEqual([
      [SERVER, IMAGE],
      [SERVER, OTHER],
    ]);
    expect(f.ops.size).toBe(0);
    expect(f.slack[0]?.text).toContain("2 image(s) attached: pick the one to detach.");
  });

  it.each([
    [[] as string[], "nothing_attached", "has no image attached"],
    [undefined, "media_unknown", "ECL did not list the media of"],
  ])("no image, and media %j: nothing offered, said so", async (media, kind, said) => {
    const { f, run, stored } = await lookUp({ server: "web01" }, [eclServer({ mediaIds: media })]);
    await run();
    expect(await stored()).toMatchObject({ state: "ended", ended: { kind } });
    expect(f.slack[0]?.text).toContain(said);
  });

  it("a name several servers share (exactly; a longer name is another server): the candidates", async () => {
    const { f, run, stored } = await lookUp({ server: "app" }, [
      eclServer({ id: uuid(1), name: "app", mediaIds: [IMAGE] }),
      eclServer({ id: uuid(2), name: "app", mediaIds: [IMAGE, OTHER] }),
      eclServer({ id: uuid(3), name: "app2" }),
    ]);
    await run();
    const choice = await stored();
    expect(choice?.offer).toBe("servers");
    expect(choice?.options?.map((o) => [o.server, o.image])).toEqual([
      [uuid(1), IMAGE],
      [uuid(2), undefined],
    ]);
    expect(f.ops.size).toBe(0);
  });

  it("no server of that name: close names offered; none close: said so", async () => {
    const close = await lookUp({ server: "web1" }, [
      eclServer({ id: uuid(1), name: "web01" }),
      eclServer({ id: uuid(2), name: "db01" }),
    ]);
    await close.run();
    expect((await close.stored())?.options?.map((o) => o.name)).toEqual(["web01"]);
    expect(await close.stored()).toMatchObject({ state: "open", offer: "names" });
    expect(close.ecl.calls).toEqual(["list web1", "list *"]);

    const none = await lookUp({ server: "zzzz" }, [eclServer({ id: uuid(1), name: "web01" })]);
    await none.run();
    expect(await none.stored()).toMatchObject({ state: "ended", ended: { kind: "no_server" } });
  });

  it("an id: read directly; an id no server has is said so", async () => {
    const found = await lookUp({ server: SERVER }, [eclServer()]);
    await found.run();
    expect(found.ecl.calls).toEqual([`show ${SERVER}`]);
    expect((await found.stored())?.offer).toBe("images");

    const missing = await lookUp({ server: uuid(9) }, [eclServer()]);
    await missing.run();
    expect(await missing.stored()).toMatchObject({ state: "ended", ended: { kind: "no_id" } });
  });

  it("ECL down: tried again through the queue; at the last receive, the requester is told", async () => {
    const down = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const early = await lookUp({ server: "web01" }, [], { failing: down, receive: 4 });
    await expect(early.run()).rejects.toBeInstanceOf(RetryLater);
    expect((await early.stored())?.state).toBe("looking");
    expect(early.f.slack).toEqual([]);

    const last = await lookUp({ server: "web01" }, [], { failing: down, receive: 5 });
    await last.run();
    expect(await last.stored()).toMatchObject({
      state: "ended",
      ended: { kind: "failed", reason: "ECL at https://ecl.test did not answer in time" },
    });
    expect(last.f.slack[0]?.text).toBe(
      "bm could not look up `web01` in tenant `t`: ECL at https://ecl.test did not answer in time",
    );
  });

  it("a choice that expired before its lookup is dropped, unanswered", async () => {
    const { f, run, stored } = await lookUp({ server: "web01" }, [eclServer()]);
    f.clock.now += 30 * 60_000;
    await run();
    expect((await stored())?.state).toBe("looking");
    expect(f.slack).toEqual([]);
  });

  it("Slack failing the answer for a while: tried again; refusing it for good: not retried", async () => {
    const passing = await lookUp({ server: "web01" }, [eclServer()]);
    passing.f.deps.chat = {
      ...passing.f.deps.chat,
      respond: async () => {
        throw new SlackApiError("response_url", "http_503", "passing");
      },
    };
    await expect(passing.run()).rejects.toBeInstanceOf(RetryLater);
    expect((await passing.stored())?.shown).toBeUndefined();

    const refused = await lookUp({ server: "web01" }, [eclServer()]);
    refused.f.deps.chat = {
      ...refused.f.deps.chat,
      respond: async () => {
        throw new SlackApiError("response_url", "expired_url", "permanent");
      },
    };
    await refused.run();
    expect((await refused.stored())?.shown).toBe(true);
  });
});

describe("a lookup, in detail", () => {
  it("an unknown choice is dropped, said in the log; an expired one too", async () => {
    const f = workerFakes();
    await answerLookup(f.deps, { choiceId: "ch-nothere000" }, 1);
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "no such choice; message dropped",
        extra: { choiceId: "ch-nothere000" },
      },
    ]);
    const expired = await lookUp({ server: "web01" }, [eclServer()]);
    expired.f.clock.now += 30 * 60_000;
    await expired.run();
    expect(expired.f.logs).toEqual([
      {
        level: "info",
        message: "choice expired before it was looked up; dropped",
        extra: { choiceId: "ch-0123456789" },
      },
    ]);
  });

  it("a choice answered but not yet shown (Slack failed) is shown on the next delivery, without reading ECL again", async () => {
    const { f, run, stored, ecl } = await lookUp({ server: "web01" }, [eclServer()]);
    let fail = true;
    const respond = f.deps.chat.respond;
    f.deps.chat = {
      ...f.deps.chat,
      respond: async (...args) => {
        if (fail) throw new SlackApiError("response_url", "http_503", "passing");
        return respond(...args);
      },
    };
    await expect(run()).rejects.toBeInstanceOf(RetryLater);
    fail = false;
    await run();
    expect((await stored())?.shown).toBe(true);
    expect(ecl.calls).toEqual(["list web01"]);
    expect(f.slack).toHaveLength(1);
  });

  it("another delivery answered first: this one says nothing", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer()]);
    f.deps.choices = { ...f.deps.choices, saveChoice: async () => undefined };
    await run();
    expect(f.slack).toEqual([]);
  });

  it("a choice reached through a click replaces nothing; its answer is a new message", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer()]);
    const replaced: Array<boolean | undefined> = [];
    f.deps.chat = {
      ...f.deps.chat,
      respond: async (_url, _message, options) => void replaced.push(options?.replace),
    };
    await run();
    expect(replaced).toEqual([false]);
  });

  it("without a response_url the answer goes as an ephemeral message in the channel", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer()], { responseUrl: null });
    await run();
    expect(f.slack.map((m) => [m.method, m.channel])).toEqual([["ephemeral", "C0INC"]]);
  });

  it("Slack refusing the answer for good is logged with the choice", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer()]);
    f.deps.chat = {
      ...f.deps.chat,
      respond: async () => {
        throw new SlackApiError("response_url", "expired_url", "permanent");
      },
    };
    await run();
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "Slack refused the answer to a lookup; not retried",
      extra: { choiceId: "ch-0123456789", error: "Slack answered expired_url to response_url" },
    });
  });

  it("Slack failing at the last receive: given up, logged", async () => {
    const { f, run, stored } = await lookUp({ server: "web01" }, [eclServer()], { receive: 5 });
    f.deps.chat = {
      ...f.deps.chat,
      respond: async () => {
        throw new SlackApiError("response_url", "http_503", "passing");
      },
    };
    await run();
    expect((await stored())?.shown).toBe(true);
  });

  it('an id ECL refuses to read (not a 404) is a failure, not "no such id"', async () => {
    const refused = new EclApiError({
      service: "baremetal",
      status: 403,
      method: "GET",
      path: "/x",
      code: undefined,
      apiMessage: "forbidden",
      requestId: undefined,
    });
    const { run, stored } = await lookUp({ server: SERVER }, [], { failing: refused });
    await run();
    expect((await stored())?.ended).toMatchObject({ kind: "failed" });
  });

  it("a write of the request whose answer is lost is tried again; found on the next try, it is told as recorded", async () => {
    const { f, run, stored } = await lookUp({ server: "web01", image: IMAGE }, [eclServer()]);
    const create = f.deps.store.create;
    let first = true;
    f.deps.store = {
      ...f.deps.store,
      create: async (op) => {
        const made = await create(op);
        if (first) {
          first = false;
          throw new Error("lost answer");
        }
        return made;
      },
    };
    await expect(run()).rejects.toThrow("could not confirm the request was recorded");
    await run();
    expect((await stored())?.ended).toMatchObject({
      kind: "recorded",
      result: { kind: "recorded", handedOver: true },
    });
    expect(f.slack[0]?.text).toMatch(/^Recorded `op-/);
    expect(f.ops.size).toBe(1);
  });

  it("at the last receive, a write whose answer is lost is said as such", async () => {
    const { f, run } = await lookUp({ server: "web01", image: IMAGE }, [eclServer()], {
      receive: 5,
    });
    f.deps.store = { ...f.deps.store, create: async () => Promise.reject(new Error("lost")) };
    await run();
    expect(f.slack[0]?.text).toMatch(/^bm could not confirm that it recorded `op-/);
  });

  it("asks the image service for at most 20 names, of the images offered and those the candidates show", async () => {
    const media = Array.from({ length: 25 }, (_, i) => uuid(100 + i));
    const asked: string[] = [];
    const { run, stored } = await lookUp({ server: "web01" }, [eclServer({ mediaIds: media })], {
      imageName: async (id) => {
        asked.push(id);
        return id === uuid(100) ? "first.iso" : undefined;
      },
    });
    await run();
    expect(asked).toEqual(media.slice(0, 20));
    expect((await stored())?.imageNames).toEqual({ [uuid(100)]: "first.iso" });
  });

  it("no name known: the choice keeps none", async () => {
    const { run, stored } = await lookUp({ server: "web01" }, [eclServer({ mediaIds: [OTHER] })]);
    await run();
    expect(await stored()).not.toHaveProperty("imageNames");
  });

  it("candidates' images are named too", async () => {
    const { run, stored } = await lookUp({ server: "app" }, [
      eclServer({ id: uuid(1), name: "app", mediaIds: [OTHER, IMAGE.toUpperCase()] }),
      eclServer({ id: uuid(2), name: "app", mediaIds: [] }),
    ]);
    await run();
    expect((await stored())?.imageNames).toEqual({ [IMAGE]: "rescue.iso" });
  });
});

describe("the lookup, to the letter", () => {
  it("what is tried again through the queue carries the error that caused it", async () => {
    const down = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const { run } = await lookUp({ server: "web01" }, [], { failing: down, receive: 1 });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as Error).cause).toBe(down);
    const g = await lookUp({ server: "web01" }, [eclServer()], { receive: 1 });
    const failing = new SlackApiError("response_url", "service_unavailable", "passing");
    g.f.deps.chat = { ...g.f.deps.chat, respond: async () => Promise.reject(failing) };
    const slack = await g.run().catch((e: unknown) => e);
    expect((slack as Error).cause).toBe(failing);
  });

  it("a choice already shown is not answered again by another delivery", async () => {
    const { f, run, stored } = await lookUp({ server: "web01" }, [eclServer()]);
    await run();
    expect(f.slack).toHaveLength(1);
    expect((await stored())?.shown).toBe(true);
    await run();
    expect(f.slack).toHaveLength(1);
  });

  it("a close name offered with the image typed: that image is named, once", async () => {
    const asked: string[] = [];
    const close = await lookUp(
      { server: "web1", image: IMAGE },
      // The servers close to it show no media: the image named is the one typed.
      [
        eclServer({ id: uuid(1), name: "web01", mediaIds: [] }),
        eclServer({ id: uuid(2), name: "web02", mediaIds: [] }),
        eclServer({ id: uuid(3), name: "web02", mediaIds: [] }),
      ],
      {
        imageName: async (id) => {
          asked.push(id);
          return id === IMAGE ? "rescue.iso" : undefined;
        },
      },
    );
    await close.run();
    // web02, shared by two servers, is offered as a name to look up: it shows no server.
    expect((await close.stored())?.options?.map((o) => [o.name, o.seen === undefined])).toEqual([
      ["web01", false],
      ["web02", true],
    ]);
    expect(asked).toEqual([IMAGE]);
    expect((await close.stored())?.imageNames).toEqual({ [IMAGE]: "rescue.iso" });
  });

  it("image ids in capitals are named under their lower-case id, and asked for once", async () => {
    const asked: string[] = [];
    const { run, stored } = await lookUp(
      { server: "web01" },
      [eclServer({ mediaIds: [IMAGE.toUpperCase()] })],
      {
        imageName: async (id) => {
          asked.push(id);
          return id === IMAGE ? "rescue.iso" : undefined;
        },
      },
    );
    await run();
    expect(asked).toEqual([IMAGE]);
    expect((await stored())?.imageNames).toEqual({ [IMAGE]: "rescue.iso" });
  });

  it("a choice reached by replacing a message replaces it again", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer()]);
    const choice = (await f.deps.choices.getChoice("ch-0123456789")) as Choice;
    await f.deps.choices.saveChoice(choice, { ...choice, replaces: true });
    const replaced: Array<boolean | undefined> = [];
    f.deps.chat = {
      ...f.deps.chat,
      respond: async (_url, _message, options) => void replaced.push(options?.replace),
    };
    await run();
    expect(replaced).toEqual([true]);
  });
});

describe("a lookup the policy does not bind", () => {
  it("a choice naming another tenant's secret: ended, ECL never read with it", async () => {
    const { f, ecl, run, stored } = await lookUp({ server: "web01", image: IMAGE }, [eclServer()]);
    const choice = await stored();
    await f.deps.choices.saveChoice(choice as Choice, {
      ...(choice as Choice),
      secretId: "bm/tenant/other",
    });
    await run();
    expect(ecl.calls).toEqual([]);
    expect(await stored()).toMatchObject({
      state: "ended",
      ended: {
        kind: "failed",
        reason: "it names a tenant or a secret that is not its channel's in the policy",
      },
    });
    expect(f.ops.size).toBe(0);
    expect(f.slack.map((m) => m.text)).toEqual([
      "bm could not look up `web01` in tenant `t`: it names a tenant or a secret that is not its channel's in the policy",
    ]);
  });
});

describe("what a lookup leaves in the audit trail", () => {
  /** The choice's event: under its id, the requester its actor, at NOW. */
  const event = (action: string, facts: Record<string, unknown>) => ({
    operationId: "ch-0123456789",
    seq: 0,
    at: NOW.toISOString(),
    action,
    actor: { teamId: "T1", userId: "U0REQ" },
    facts: { channel: "C0INC", tenant: "t", ...facts },
  });
  const EXPIRES = new Date(NOW.getTime() + 30 * 60_000).toISOString();

  it("options shown: viewed:choices, with what was typed, the kind, how many, and until when", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer({ mediaIds: [IMAGE, OTHER] })]);
    await run();
    expect(f.events).toEqual([
      event("viewed:choices", { asked: "web01", offer: "images", options: 2, expires: EXPIRES }),
    ]);
  });

  it("close names offered for a typo, the image typed: its image and the kind kept", async () => {
    const { f, run } = await lookUp({ server: "web1", image: IMAGE }, [
      eclServer({ id: uuid(1), name: "web01" }),
    ]);
    await run();
    expect(f.events).toEqual([
      event("viewed:choices", {
        asked: "web1",
        image: IMAGE,
        offer: "names",
        options: 1,
        expires: EXPIRES,
      }),
    ]);
  });

  it.each([
    [
      "nothing attached",
      { server: "web01" },
      [eclServer({ mediaIds: [] })],
      "nothing_attached",
      { server: SERVER },
    ],
    [
      "media not listed",
      { server: "web01" },
      [eclServer({ mediaIds: undefined })],
      "media_unknown",
      { server: SERVER },
    ],
    [
      "no such name, none close",
      { server: "zzzz" },
      [eclServer({ name: "web01" })],
      "no_server",
      {},
    ],
    ["no such id", { server: uuid(9) }, [eclServer()], "no_id", {}],
  ])(
    "ended with %s: choice_ended, and the server seen when there was one",
    async (_, asked, servers, kind, more) => {
      const { f, run } = await lookUp(asked, servers);
      await run();
      expect(f.events).toEqual([event(`choice_ended:${kind}`, { asked: asked.server, ...more })]);
    },
  );

  it("a lookup that failed for good: choice_ended:failed, with the reason", async () => {
    const down = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const { f, run } = await lookUp({ server: "web01" }, [], { failing: down, receive: 5 });
    await run();
    expect(f.events).toEqual([
      event("choice_ended:failed", {
        asked: "web01",
        reason: "ECL at https://ecl.test did not answer in time",
      }),
    ]);
  });

  it("a lookup that recorded the request: no event of the choice's own (the operation tells it)", async () => {
    const { f, run } = await lookUp({ server: "web01", image: IMAGE }, [eclServer()]);
    await run();
    expect(f.ops.size).toBe(1);
    expect(f.events.filter((e) => e.seq === 0)).toEqual([]);
  });

  it("after a pick: the choice that led here is named", async () => {
    const pick = {
      choiceId: "ch-aaaaaaaaaa",
      at: NOW.toISOString(),
      userId: "U0REQ",
      offer: "servers" as const,
      asked: "app",
      of: 2,
      server: SERVER,
    };
    const { f, run } = await lookUp({ server: SERVER }, [eclServer({ mediaIds: [] })], {
      picks: [{ ...pick, choiceId: "ch-bbbbbbbbbb" }, pick],
    });
    await run();
    expect(f.events[0]?.facts.after).toBe("ch-aaaaaaaaaa");
  });

  it("expired before it was looked up: choice_ended:expired; one already answered leaves none", async () => {
    const looking = await lookUp({ server: "web01", image: IMAGE }, [eclServer()]);
    looking.f.clock.now += 30 * 60_000;
    await looking.run();
    expect(looking.f.events).toEqual([
      {
        ...event("choice_ended:expired", { asked: "web01", image: IMAGE }),
        at: new Date(NOW.getTime() + 30 * 60_000).toISOString(),
      },
    ]);

    const answered = await lookUp({ server: "web01" }, [eclServer()]);
    await answered.run();
    answered.f.clock.now += 30 * 60_000;
    await answered.run();
    expect(answered.f.events.map((e) => e.action)).toEqual(["viewed:choices"]);
  });

  it("answered once, audited once: a later delivery of the same lookup adds nothing", async () => {
    const { f, run } = await lookUp({ server: "web01" }, [eclServer()]);
    await run();
    await run();
    expect(f.events.map((e) => e.action)).toEqual(["viewed:choices"]);
  });

  it("Slack refusing the answer for good: audited as not delivered; failing for a while: not yet", async () => {
    const refused = await lookUp({ server: "web01" }, [eclServer()]);
    refused.f.deps.chat = {
      ...refused.f.deps.chat,
      respond: async () =>
        Promise.reject(new SlackApiError("response_url", "expired_url", "permanent")),
    };
    await refused.run();
    expect(refused.f.events.map((e) => [e.action, e.facts.delivered])).toEqual([
      ["viewed:choices", false],
    ]);

    const passing = await lookUp({ server: "web01" }, [eclServer()]);
    passing.f.deps.chat = {
      ...passing.f.deps.chat,
      respond: async () => Promise.reject(new SlackApiError("response_url", "http_503", "passing")),
    };
    await expect(passing.run()).rejects.toBeInstanceOf(RetryLater);
    expect(passing.f.events).toEqual([]);
  });

  it("the audit failing: answered and marked shown all the same, the failure counted", async () => {
    const { f, run, stored } = await lookUp({ server: "web01" }, [eclServer()]);
    const counted: string[] = [];
    f.deps.audit = { append: async () => Promise.reject(new Error("down")) };
    f.deps.metrics = { put: (name) => void counted.push(name), flush() {} };
    await run();
    expect(f.slack).toHaveLength(1);
    expect((await stored())?.shown).toBe(true);
    expect(counted).toEqual(["AuditWriteError"]);
  });
});
