/**
 * The front door's ports in memory, for unit tests of its use cases: the store, pending choices,
 * the audit log (appending twice changes nothing, as in the table), the queue, Slack's group
 * lookups and a fixed clock. Built inside a test or a `beforeEach`, never at a describe's top
 * level (a file that throws while loading hides its tests from mutation testing).
 */
import type { SectionBlock } from "@slack/types";
import type { ActionResult, EclApi, FleetReads } from "../../lib/ecl/client";
import type { Server } from "../../lib/ecl/server";
import type { Tenant } from "../../lib/ecl/tenants";
import type { FollowUpDeps } from "../../lib/followup/deps";
import type { FrontDoorDeps } from "../../lib/front-door/deps";
import type { AuditEvent, Fleet, TargetState } from "../../lib/operations/operation";
import { newOperation, type Operation, transition } from "../../lib/operations/operation";
import type { SightingStore, SightingsRead } from "../../lib/operations/sightings";
import type { WorkMessage } from "../../lib/operations/work-message";
import { parsePolicy } from "../../lib/policy/policy";
import type { Chat, Person, SlackMessage } from "../../lib/slack/chat";
import type { WorkerDeps } from "../../lib/worker/process-message";
import { memoryChoices, memoryStore } from "./memory-store";

export const NOW = new Date("2026-11-27T10:00:00Z");
export const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
export const SERVER = "c880a4b5-0230-4925-a8f5-16fb48249275";

/** The policy the use-case tests run under. */
export const POLICY = {
  team_ids: ["T1"],
  tenants: { t: { secret: "bm/tenant/t" } },
  channels: {
    // Anyone may ask; no approval.
    C0INC: { tenant: "t", requesters: ["*"], approvals: 0 },
    // The operators' group asks; two approvals from two people or the approvers' group.
    C0CHG: {
      tenant: "t",
      requesters: ["S0OPS", "U0REQ"],
      approvers: ["U0A1", "S0APP"],
      approvals: 2,
      request_ttl_minutes: 30,
    },
    // One approval, and the requester may give it.
    C0SELF: {
      tenant: "t",
      requesters: ["U0REQ"],
      approvers: ["U0REQ", "U0A1"],
      approvals: 1,
      allow_self_approval: true,
    },
  },
};

export const GROUPS: Record<string, string[]> = { S0OPS: ["U0OP"], S0APP: ["U0A2", "U0A3"] };

/** Who users are to the workspace: its members, but for the guest and the stranger named here. */
export const PEOPLE: Record<string, Person> = {
  U0GUEST: { teamId: "T1", guest: true, external: false, deleted: false },
  U0VENDOR: { teamId: "T0EVIL", guest: false, external: true, deleted: false },
  // Of a workspace the policy does not serve, though Slack does not call them a stranger.
  U0ELSEWHERE: { teamId: "T9", guest: false, external: false, deleted: false },
};
export const person = async (userId: string): Promise<Person> =>
  PEOPLE[userId] ?? { teamId: "T1", guest: false, external: false, deleted: false };

export function frontDoorFakes(overrides: Partial<FrontDoorDeps> = {}) {
  const ops = new Map<string, Operation>();
  const events: AuditEvent[] = [];
  const sent: WorkMessage[] = [];
  const deps: FrontDoorDeps = {
    policy: parsePolicy(POLICY),
    store: memoryStore(ops),
    choices: memoryChoices(),
    audit: {
      append: async (e) => {
        if (e.seq === 0 || !events.some((x) => x.operationId === e.operationId && x.seq === e.seq))
          events.push(e);
      },
    },
    queue: { send: async (m) => void sent.push(m) },
    chat: {
      ephemeral: async () => {},
      openView: async () => ({ id: "V1" }),
      updateView: async () => {},
      respond: async () => {},
      publishHome: async () => {},
    },
    events: memoryClaims(),
    groupMembers: async (group) => GROUPS[group] ?? [],
    person,
    now: () => NOW,
    log: { info: () => {}, warn: () => {} },
    ...overrides,
  };
  return { deps, ops, events, sent };
}

/** Event claims in memory: the first claim of an id wins, as the table's conditional put. */
export function memoryClaims(claimed = new Set<string>()) {
  return {
    claimed,
    claim: async (eventId: string) => {
      if (claimed.has(eventId)) return false;
      claimed.add(eventId);
      return true;
    },
  };
}

/** An operation of `channel` by `requester`, moved through `states` (by bm), saved in `ops`. */
export function operationIn(
  ops: Map<string, Operation>,
  channel: "C0INC" | "C0CHG" | "C0SELF",
  states: Operation["state"][] = [],
  changes: Partial<Operation> = {},
  requester = "U0REQ",
): Operation {
  const approvals = POLICY.channels[channel].approvals;
  let op: Operation = newOperation(
    {
      id: `op-${String(ops.size).padStart(10, "0")}`,
      teamId: "T1",
      channelId: channel,
      requester,
      tenant: "t",
      secretId: "bm/tenant/t",
      approvalsRequired: approvals,
      approvers: [],
      requestTtlMinutes: 30,
      serverRef: SERVER,
      imageId: IMAGE,
      reason: "",
    },
    new Date(NOW.getTime() - 60_000),
  );
  for (const state of states)
    op = transition(op, state, { teamId: "T1", userId: "bm" }, new Date(NOW.getTime() - 30_000));
  op = { ...op, ...changes, unaudited: [] };
  ops.set(op.id, op);
  return op;
}

/** A fleet request of `states.length` targets web01…, in `state`, each target in its state. */
export function fleetRequest(
  states: TargetState[],
  state: Operation["state"] = "detaching",
  fleet: Partial<Fleet> = {},
  ops = new Map<string, Operation>(),
): Operation {
  const targets = states.map((_, i) => ({
    serverId: `s${i + 1}`,
    serverName: `web${String(i + 1).padStart(2, "0")}`,
    opId: `op-t${i + 1}`,
  }));
  const tally: Record<string, TargetState> = {};
  states.forEach((s, i) => {
    if (s !== "queued") tally[`op-t${i + 1}`] = s;
  });
  return operationIn(ops, "C0INC", [], {
    state,
    serverRef: fleet.match ?? "all",
    fleet: { targets, ...fleet },
    tally,
  });
}

/** A server as ECL shows it, idle with the image attached unless told. */
export function eclServer(changes: Partial<Server> = {}): Server {
  return {
    id: SERVER,
    name: "web01",
    status: "ACTIVE",
    powerState: "RUNNING",
    taskState: "None",
    vmState: "ACTIVE",
    mediaIds: [IMAGE],
    ...changes,
  };
}

/**
 * The worker's ports in memory: ECL answers from the scripts given (each read takes the next
 * server, the last one repeating; each POST the next answer), Slack records what is posted.
 */
export function workerFakes(
  ecl: {
    reads?: Array<Server | Error>;
    posts?: Array<ActionResult | Error>;
  } = {},
  overrides: Partial<WorkerDeps> = {},
) {
  const ops = new Map<string, Operation>();
  const events: AuditEvent[] = [];
  const sent: Array<{ message: WorkMessage; delayS: number | undefined }> = [];
  const slack: Array<{ method: string; channel?: string; text: string; threadTs?: string }> = [];
  const calls: string[] = [];
  const reads = [...(ecl.reads ?? [eclServer()])];
  const posts = [...(ecl.posts ?? [{ status: 200, requestId: "req-1" }])];
  const read = async (what: string) => {
    calls.push(what);
    const next = reads.length > 1 ? reads.shift() : reads[0];
    if (next instanceof Error) throw next;
    return next as Server;
  };
  const api: EclApi & FleetReads = {
    showServer: (id) => read(`show ${id}`),
    resolveServer: (ref) => read(`resolve ${ref}`),
    listServers: async () => [await read("list")],
    // One page, of the next server scripted: the list as the follow-up's observation pages it.
    listServerPages: () => ({
      async *[Symbol.asyncIterator]() {
        yield [await read("list")];
      },
    }),
    detachMedia: async (id, image) => {
      calls.push(`detach ${id} ${image}`);
      const next = posts.shift() ?? { status: 200, requestId: "req-x" };
      if (next instanceof Error) throw next;
      return next;
    },
    attachMedia: async () => ({ status: 200, requestId: undefined }),
    imageName: async () => undefined,
  };
  let ts = 0;
  const chat: Chat = {
    post: async (channel, message, threadTs) => {
      calls.push(threadTs ? "slack reply" : "slack card");
      slack.push({
        method: "post",
        channel,
        text: message.text,
        ...(threadTs ? { threadTs } : {}),
      });
      ts++;
      return `1700000000.00000${ts}`;
    },
    update: async (channel, _ts, message) =>
      void slack.push({ method: "update", channel, text: message.text }),
    remove: async () => {},
    permalink: async (channel, at) =>
      `https://slack.test/archives/${channel}/p${at.replace(".", "")}`,
    groupMembers: async () => [],
    person,
    ephemeral: async (channel, _user, message) =>
      void slack.push({ method: "ephemeral", channel, text: message.text }),
    respond: async (_url, message) => void slack.push({ method: "respond", text: message.text }),
    openView: async () => ({ id: "V1" }),
    updateView: async () => {},
    publishHome: async () => {},
  };
  const clock = { now: NOW.getTime() };
  const followUps: number[] = [];
  const redelivered: Array<{ receiptHandle: string; seconds: number }> = [];
  const logs: Array<{ level: "info" | "warn"; message: string; extra?: object }> = [];
  const deps: WorkerDeps & FollowUpDeps = {
    policy: parsePolicy(POLICY),
    groupMembers: async (group) => GROUPS[group] ?? [],
    person,
    store: memoryStore(ops),
    choices: memoryChoices(),
    sightings: memorySightings(),
    audit: {
      // Appending an event again changes nothing, as in the table; a standalone one (seq 0) is
      // keyed by its time there, so each is kept.
      append: async (e) => {
        if (e.seq === 0 || !events.some((x) => x.operationId === e.operationId && x.seq === e.seq))
          events.push(e);
      },
    },
    chat,
    queue: { send: async (message, delayS) => void sent.push({ message, delayS }) },
    redeliver: async (receiptHandle, seconds) => void redelivered.push({ receiptHandle, seconds }),
    messageBudgetMs: 45_000,
    retryBackOffS: 10,
    openTenant: async (secretId) =>
      ({ secretId, tenantId: "t", apiEndpoint: undefined, ecl: api }) as unknown as Tenant,
    now: () => new Date(clock.now),
    idleWaitS: 60,
    pollIntervalMs: 5000,
    eclGraceMs: 30_000,
    startFollowUp: async () => void followUps.push(clock.now),
    detachTimeoutS: 900,
    marginMs: 1000,
    handoverGraceS: 60,
    auditOutboxGraceS: 300,
    sleep: async (ms) => {
      clock.now += ms;
    },
    log: {
      info: (message, extra) =>
        void logs.push({ level: "info", message, ...(extra ? { extra } : {}) }),
      warn: (message, extra) =>
        void logs.push({ level: "warn", message, ...(extra ? { extra } : {}) }),
    },
    ...overrides,
  };
  return { deps, ops, events, sent, slack, calls, clock, followUps, logs, redelivered };
}

/**
 * Sightings in memory, as the table keeps them: a write names the revision it read, and one
 * that finds another is not made.
 */
export function memorySightings(items = new Map<string, SightingsRead>()): SightingStore & {
  items: Map<string, SightingsRead>;
} {
  return {
    items,
    read: async (tenant) => items.get(tenant) ?? { seen: {}, revision: 0 },
    write: async (tenant, read, seen) => {
      if ((items.get(tenant)?.revision ?? 0) !== read.revision) return false;
      items.set(tenant, { seen: { ...seen }, revision: read.revision + 1 });
      return true;
    },
  };
}

/** Fakes (`workerFakes`) that also keep each secret a tenant was opened with, in order. */
export function recordingOpens<F extends ReturnType<typeof workerFakes>>(
  f: F,
): F & { opened: string[] } {
  const opened: string[] = [];
  const open = f.deps.openTenant;
  f.deps.openTenant = (secretId) => {
    opened.push(secretId);
    return open(secretId);
  };
  return { ...f, opened };
}

/** The texts of a message's blocks: a section's, a context's elements', else the block's type. */
export const blockTexts = (m: SlackMessage | undefined) =>
  (m?.blocks ?? []).map((b) =>
    b.type === "section"
      ? ((b as SectionBlock).text?.text ?? "")
      : b.type === "context"
        ? b.elements.map((e) => ("text" in e ? e.text : "")).join(" ")
        : b.type,
  );
