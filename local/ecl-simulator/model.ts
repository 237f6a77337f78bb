/**
 * The state of the simulated ECL: tenants, tokens, servers, media, and the faults to inject.
 * Time is read from a clock, so a detach "runs" without timers: a busy server settles lazily
 * when it is next looked at.
 */
import { randomBytes, randomUUID } from "node:crypto";

/** A simulated bare-metal server. */
export interface SimServer {
  id: string;
  name: string;
  tenantId: string;
  status: string;
  powerState: string;
  vmState: string;
  /** "None" when idle, as ECL sends it; null or undefined to mimic other OpenStack APIs. */
  taskState: string | null | undefined;
  media: string[];
  created: number;
  updated: number;
  /** The id of the user who created it, as ECL reports it. */
  userId: string;
  flavorId: string;
  /** The image the server was built from (not a virtual medium). */
  bootImageId: string;
  /**
   * A running task: when it shows (an accepted change may show late), the task_state it shows,
   * when it ends, and what it changes then.
   */
  task?:
    | {
        startsAt: number;
        state: string;
        until: number;
        finish: (server: SimServer) => void;
        /** Held: it ends when a test releases it, not when its time is up. */
        held?: boolean;
      }
    | undefined;
  /** The server has met its {@link Unkindness.race409Ms} collision already. */
  raced?: boolean;
}

/**
 * Ways to make the simulator less kind than ECL usually is, each within what ECL's documents
 * allow. All off by default.
 */
export interface Unkindness {
  /**
   * Pages of `servers` and `servers/detail` hold at most this many servers and never say that
   * more exist (no `servers_links`): whether ECL caps a page silently is undocumented.
   */
  cappedPageSize?: number;
  /** Server objects leave `media_attachments` out: bm cannot tell what is attached. */
  noMedia?: boolean;
  /**
   * The first media action sent to each server meets another task (REBOOTING for this long)
   * that started just before it: ECL answers 409, as the seed defines.
   */
  race409Ms?: number;
  /** An accepted media change shows only this long after ECL answered the POST. */
  mediaDelayMs?: number;
  /** ECL takes this long to answer a server action (it has acted when the time starts). */
  slowActionMs?: number;
}

/** A failure to inject into the next `times` requests that match. */
export interface Fault {
  /** Only requests addressing this server id (show and action). */
  server?: string;
  route?: Route;
  method?: string;
  /** How many matching requests fail; 1 unless told. */
  times?: number;
  /** Answer with this status and an OpenStack error body (or `body`, as it is). */
  status?: number;
  body?: string;
  /** Headers of that answer (a 429's or a 503's `Retry-After`). */
  headers?: Record<string, string>;
  /** Never answer. */
  hang?: boolean;
  /** Reset the connection without answering. */
  reset?: boolean;
  /** Carry the request out, then never answer: a request that took effect but whose answer was lost. */
  hangAfterApply?: boolean;
}

export type Route = "token" | "list" | "show" | "action" | "image" | "unknown";

export interface ModelOptions {
  now?: () => number;
  /** How long a detach (or attach) keeps the server busy; 3 s unless told. */
  taskMs?: number;
  /** How long a Keystone token lives; one hour unless told. */
  tokenTtlMs?: number;
  unkind?: Unkindness;
}

export interface NewServer {
  id?: string;
  name: string;
  media?: string[];
  taskState?: string | null;
  powerState?: string;
}

/** Everything the simulator knows. Tests reach it through the simulator's `model`. */
export class EclModel {
  readonly now: () => number;
  readonly taskMs: number;
  readonly tokenTtlMs: number;
  /** Changeable while running, so one simulator can be kind in one test and unkind in the next. */
  unkind: Unkindness;
  /**
   * The base URL its Keystone catalog names for the bare-metal API in place of its own: a
   * Keystone that names an internal endpoint (a test sets it). Undefined: its own.
   */
  catalogBase: string | undefined;
  private readonly servers = new Map<string, SimServer>();
  /** Each tenant's servers, in the order they were added: a list reads one tenant, not all. */
  private readonly byTenant = new Map<string, Map<string, SimServer>>();
  private readonly tokens = new Map<string, { tenantId: string; expiresAt: number }>();
  private readonly credentials = new Map<string, { secret: string; tenantId: string }>();
  private readonly tenants = new Set<string>();
  /** The image service's images, by id (lower case): what `GET /v2/images/{id}` shows. */
  private readonly images = new Map<string, { name: string }>();
  private faults: Array<Fault & { left: number }> = [];
  /** The one race armed for the next media action: {@link armRace409}. */
  private armedRace: { ms: number; armedAt: number } | undefined;
  /** Servers whose media tasks are held (all of them with "*"): see {@link hold}. */
  private readonly holding = new Set<string>();

  constructor(options: ModelOptions = {}) {
    this.now = options.now ?? Date.now;
    this.taskMs = options.taskMs ?? 3000;
    this.tokenTtlMs = options.tokenTtlMs ?? 3_600_000;
    this.unkind = { ...options.unkind };
  }

  /** Adds a tenant, with a fixed token and/or Keystone credentials that work for it. */
  addTenant(tenantId: string, access: { token?: string; apiKey?: string; apiSecret?: string }) {
    this.tenants.add(tenantId);
    if (access.token)
      this.tokens.set(access.token, { tenantId, expiresAt: Number.POSITIVE_INFINITY });
    if (access.apiKey && access.apiSecret) {
      this.credentials.set(access.apiKey, { secret: access.apiSecret, tenantId });
    }
  }

  addServer(tenantId: string, spec: NewServer): SimServer {
    const at = this.now();
    const server: SimServer = {
      id: spec.id ?? randomUUID(),
      name: spec.name,
      tenantId,
      status: "ACTIVE",
      powerState: spec.powerState ?? "RUNNING",
      vmState: "ACTIVE",
      taskState: spec.taskState === undefined ? "None" : spec.taskState,
      media: [...(spec.media ?? [])],
      userId: "55e2f8a2f1fb4e5cb3dd5e6c7fa2a37c",
      flavorId: "05184ba3-00ba-4fbc-b7a2-03b62b884931",
      bootImageId: "70a599e0-31e7-49b7-b260-868f441e862b",
      created: at,
      updated: at,
    };
    this.servers.set(server.id, server);
    const ofTenant = this.byTenant.get(tenantId) ?? new Map<string, SimServer>();
    this.byTenant.set(tenantId, ofTenant.set(server.id, server));
    return server;
  }

  /**
   * A server as it is now: a task that has begun to show shows, and one that has ended is
   * settled first.
   */
  server(id: string): SimServer | undefined {
    const server = this.servers.get(id);
    const task = server?.task;
    if (!server || !task) return server;
    const now = this.now();
    if (now >= task.until) {
      task.finish(server);
      server.task = undefined;
      server.taskState = "None";
      server.updated = now;
    } else if (now >= task.startsAt && server.taskState !== task.state) {
      server.taskState = task.state;
      server.updated = now;
    }
    return server;
  }

  serversOf(tenantId: string): SimServer[] {
    return [...(this.byTenant.get(tenantId)?.keys() ?? [])].map(
      (id) => this.server(id) as SimServer,
    );
  }

  /** Adds an image to the image service (Glance): its name is what bm shows beside its id. */
  addImage(id: string, name: string): void {
    this.images.set(id.toLowerCase(), { name });
  }

  /** An image of the image service, if it has one with this id. */
  image(id: string): { id: string; name: string } | undefined {
    const found = this.images.get(id.toLowerCase());
    return found ? { id: id.toLowerCase(), ...found } : undefined;
  }

  hasTenant(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }

  /** Deletes a server, as a user deleting it in ECL's console would. */
  removeServer(id: string): void {
    this.byTenant.get(this.servers.get(id)?.tenantId ?? "")?.delete(id);
    this.servers.delete(id);
  }

  /** Makes a server busy with `taskState` for `ms` (forever when omitted), as another task would. */
  setBusy(id: string, taskState: string, ms?: number): void {
    const server = this.mustGet(id);
    const now = this.now();
    server.taskState = taskState;
    server.task = {
      startsAt: now,
      state: taskState,
      until: now + (ms ?? Number.POSITIVE_INFINITY),
      finish: () => {},
    };
  }

  /** Sets task_state as it is, with no running task: "None", null, undefined (absent), or any. */
  setTaskState(id: string, taskState: string | null | undefined): void {
    const server = this.mustGet(id);
    server.task = undefined;
    server.taskState = taskState;
  }

  /**
   * Holds the media tasks of a server (of every server when omitted) started from now on: each
   * shows as a task does, and ends only when {@link release}d, however long that takes. A test
   * then decides when ECL has finished, and a slow machine changes how long it takes, not what
   * bm sees. A task started before keeps its time.
   */
  hold(serverId = "*"): void {
    this.holding.add(serverId);
  }

  /**
   * Ends the held tasks of a server (of every server when omitted) at once, as ECL finishing
   * them (the detach applies at the next read), and stops holding that server's (or, when
   * omitted, any server's) tasks.
   */
  release(serverId = "*"): void {
    if (serverId === "*") this.holding.clear();
    else this.holding.delete(serverId);
    const now = this.now();
    for (const server of this.servers.values()) {
      if (server.task?.held && (serverId === "*" || server.id === serverId))
        server.task.until = Math.max(now, server.task.startsAt);
    }
  }

  /**
   * Starts a media task: the server is busy for `taskMs`, then `finish` applies. With
   * {@link Unkindness.mediaDelayMs}, the server shows nothing of it for that long first (it still
   * refuses other actions with 409: ECL has the task).
   */
  startTask(server: SimServer, taskState: string, finish: (server: SimServer) => void): void {
    const now = this.now();
    const startsAt = now + (this.unkind.mediaDelayMs ?? 0);
    const held = this.holding.has("*") || this.holding.has(server.id);
    server.task = {
      startsAt,
      state: taskState,
      until: held ? Number.POSITIVE_INFINITY : startsAt + this.taskMs,
      finish,
      ...(held ? { held } : {}),
    };
    if (startsAt <= now) {
      server.taskState = taskState;
      server.updated = now;
    }
  }

  /**
   * Arms one race: the next media action sent to any server meets a task (REBOOTING for `ms`)
   * that started just before it, and is refused with 409; then the race is spent. Arming it
   * again arms one more (the playground's switch, which a trainer ticks to replay the race).
   */
  armRace409(ms = 3000): void {
    this.armedRace = { ms, armedAt: this.now() };
  }

  /** Disarms the race {@link armRace409} armed, if it has not been met yet. */
  disarmRace409(): void {
    this.armedRace = undefined;
  }

  /** The race armed and not yet met; undefined when none is. */
  get race409Armed(): { ms: number; armedAt: number } | undefined {
    return this.armedRace;
  }

  /** The races met so far (armed ones and {@link Unkindness.race409Ms}), the latest last. */
  readonly races: Array<{ serverId: string; name: string; at: number }> = [];

  /**
   * A race before this action: an armed one ({@link armRace409}), else, with
   * {@link Unkindness.race409Ms}, the first media action sent to this server meets a task that
   * started just before it. True when it did (the action is then refused with 409).
   */
  raceBeforeAction(server: SimServer): boolean {
    const armed = this.armedRace;
    const ms = armed?.ms ?? this.unkind.race409Ms;
    if (!ms || (!armed && server.raced)) return false;
    if (armed) this.armedRace = undefined;
    else server.raced = true;
    this.setBusy(server.id, "REBOOTING", ms);
    this.races.push({ serverId: server.id, name: server.name, at: this.now() });
    return true;
  }

  /** Issues a Keystone token, or undefined when the credentials are wrong for the project. */
  issueToken(apiKey: string, apiSecret: string, tenantId: string) {
    const known = this.credentials.get(apiKey);
    if (!known || known.secret !== apiSecret || known.tenantId !== tenantId) return undefined;
    const token = randomBytes(16).toString("hex");
    const expiresAt = this.now() + this.tokenTtlMs;
    this.tokens.set(token, { tenantId, expiresAt });
    return { token, expiresAt };
  }

  /** The tenant a token is valid for, or undefined for an unknown or expired one. */
  tokenTenant(token: string | undefined): string | undefined {
    const known = token === undefined ? undefined : this.tokens.get(token);
    return known && this.now() < known.expiresAt ? known.tenantId : undefined;
  }

  /** Invalidates every token issued by Keystone, as a token expiry or revocation would. */
  revokeIssuedTokens(): void {
    for (const [token, { expiresAt }] of this.tokens) {
      if (Number.isFinite(expiresAt)) this.tokens.delete(token);
    }
  }

  /** Replaces (or removes, with undefined) a fixed token of a tenant. */
  rotateToken(tenantId: string, oldToken: string, newToken?: string): void {
    this.tokens.delete(oldToken);
    if (newToken) this.tokens.set(newToken, { tenantId, expiresAt: Number.POSITIVE_INFINITY });
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The first fault that matches this request, used up by one. */
  takeFault(request: { route: Route; method: string; serverId: string | undefined }) {
    const fault = this.faults.find(
      (f) =>
        f.left > 0 &&
        (f.route === undefined || f.route === request.route) &&
        (f.method === undefined || f.method === request.method) &&
        (f.server === undefined || f.server === request.serverId),
    );
    if (fault) fault.left--;
    return fault;
  }

  private mustGet(id: string): SimServer {
    const server = this.server(id);
    if (!server) throw new Error(`the simulator has no server ${id}`);
    return server;
  }
}
