/**
 * The ECL bare-metal server API client: reads servers, resolves names, attaches and detaches media.
 */
import { BmError } from "../errors";
import { type RetryDeps, type RetryPolicy, realRetryDeps, withRetries } from "../util/retry";
import {
  EclApiError,
  EclNetworkError,
  EclProtocolError,
  EndpointRefusedError,
  parseErrorBody,
  retryAfterSeconds,
} from "./errors";
import type { HttpResponse, Send } from "./http";
import { type Server, toServer } from "./server";
import type { TokenProvider } from "./tokens";
import { InvalidInputError, isUuid, parseImageId, parseServerRef } from "./validate";

/** The ECL calls bm makes: the port that the CLI, the worker and the follow-up depend on. */
export interface EclApi {
  showServer(serverId: string): Promise<Server>;
  listServers(filter?: { name?: string }): Promise<Server[]>;
  resolveServer(nameOrId: string): Promise<Server>;
  detachMedia(serverId: string, imageId: string): Promise<ActionResult>;
  attachMedia(serverId: string, imageId: string): Promise<ActionResult>;
  /** The image service's name for an image; undefined when it cannot say. Never throws. */
  imageName(imageId: string): Promise<string | undefined>;
}

/**
 * The reads of a fleet that the follow-up makes: one server, or the list page by page. A port of
 * its own beside {@link EclApi}, so that what needs only these says so.
 */
export interface FleetReads {
  showServer(serverId: string, options?: ReadOptions): Promise<Server>;
  listServerPages(options: PageOptions): AsyncIterable<Server[]>;
}

/** One read's own wait and retries, in place of the client's. */
export interface ReadOptions {
  /** How long the answer's headers, and then its body, may take, in place of the pool's. */
  timeoutMs?: number;
  /** Retries of this read, in place of the client's policy. */
  retry?: RetryPolicy;
}

/** How to page List Servers (detail). */
export interface PageOptions extends ReadOptions {
  /** Servers a page: sent as `limit`. ECL may cap it (Nova caps at its `max_limit`). */
  limit: number;
  /** The most pages read before giving up with an {@link EclProtocolError}. */
  maxPages: number;
}

/** ECL accepted a server action. */
export interface ActionResult {
  status: number;
  requestId: string | undefined;
}

/** A name matched no server, or several. The message is safe to show to users. */
export class ServerLookupError extends BmError {
  override readonly name = "ServerLookupError";
  readonly passing = false;
  readonly forUsers = true;
  constructor(
    readonly kind: "not_found" | "ambiguous",
    readonly ref: string,
    readonly candidates: Array<{ id: string; name: string }> = [],
  ) {
    super(
      kind === "not_found"
        ? `no server named "${ref}" in this tenant`
        : `${candidates.length} servers are named "${ref}" (${shortList(candidates.map((c) => c.id))}); use the id`,
    );
  }
}

/** The first few of a long list, then how many more: a message stays readable. */
function shortList(items: string[], shown = 5): string {
  if (items.length <= shown) return items.join(", ");
  return `${items.slice(0, shown).join(", ")}, … and ${items.length - shown} more`;
}

export interface EclClientOptions {
  /**
   * Base URL of the bare-metal server API, without `/v2/…`; when absent, the endpoint that
   * Keystone's catalog names (see {@link TokenProvider.endpoint}).
   */
  apiEndpoint?: string | undefined;
  tenantId: string;
  send: Send;
  tokens: TokenProvider;
  /** Retries of GETs; the detach POST is never retried. */
  retry?: RetryPolicy;
  /**
   * How long a server action may take to answer: ECL may be slow to accept, and an action that
   * times out leaves its outcome unknown, so it gets far longer than a read.
   */
  actionTimeoutMs?: number;
  retryDeps?: RetryDeps;
  /** Told of every error answer (its status) and every call without one (timeout, connection). */
  onError?: (status: string) => void;
}

export const DEFAULT_GET_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 200 };
export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;
/** An image's name is a courtesy beside its id: asked for briefly, once. */
const IMAGE_NAME_TIMEOUT_MS = 2000;
/** A guard against a `servers_links` chain that never ends. */
const MAX_PAGES = 100;

/** The ECL API of one tenant. */
export class EclClient implements EclApi, FleetReads {
  private readonly retry: RetryPolicy;
  private readonly retryDeps: RetryDeps;

  constructor(private readonly options: EclClientOptions) {
    this.retry = options.retry ?? DEFAULT_GET_RETRY;
    this.retryDeps = options.retryDeps ?? realRetryDeps;
  }

  /**
   * `<endpoint>/v2/<tenant_id>`: the endpoint is the secret's, or else the one Keystone's catalog
   * names, which can only be known once a token has been issued.
   * @throws EclProtocolError when there is neither.
   */
  private async base(): Promise<string> {
    const endpoint = this.options.apiEndpoint ?? (await this.options.tokens.endpoint?.());
    if (!endpoint) {
      throw new EclProtocolError(
        "the tenant secret has no api_endpoint and Keystone's catalog names no public baremetal-server endpoint; set api_endpoint",
      );
    }
    return `${endpoint.replace(/\/+$/, "")}/v2/${encodeURIComponent(this.options.tenantId)}`;
  }

  /** Show Server. @throws EclApiError (404 for an unknown id), EclNetworkError. */
  async showServer(serverId: string, options: ReadOptions = {}): Promise<Server> {
    const path = `/servers/${encodeURIComponent(serverIdOf(serverId))}`;
    const response = await this.call("GET", path, undefined, undefined, options);
    const body = readJson(response) as { server?: unknown };
    return toServer(body.server);
  }

  /**
   * List Servers (detail), following `servers_links` to the last page. `name` is sent as ECL's
   * filter, whose matching rule is undocumented: callers wanting an exact match must check.
   */
  async listServers(filter: { name?: string } = {}): Promise<Server[]> {
    const query = new URLSearchParams();
    if (filter.name !== undefined) query.set("name", filter.name);
    const servers: Server[] = [];
    for await (const page of this.pages(query, MAX_PAGES, {})) servers.push(...page);
    return servers;
  }

  /**
   * List Servers (detail) `limit` servers a page, each page yielded as it arrives and kept by
   * nothing here, so that a caller keeping only what it wants holds no more than that. Ends
   * after the last page (one without a next link, or an empty one); a caller may stop early.
   * @throws EclApiError, EclNetworkError, EclProtocolError (also past `maxPages`).
   */
  listServerPages(options: PageOptions): AsyncIterable<Server[]> {
    const { limit, maxPages, ...read } = options;
    return this.pages(new URLSearchParams({ limit: String(limit) }), maxPages, read);
  }

  /** The pages of `servers/detail` from `query`, by marker. */
  private async *pages(query: URLSearchParams, maxPages: number, read: ReadOptions) {
    const markers = new Set<string>();
    let marker: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const params = new URLSearchParams(query);
      if (marker !== undefined) params.set("marker", marker);
      const response = await this.call("GET", "/servers/detail", params, undefined, read);
      const body = readJson(response) as { servers?: unknown; servers_links?: unknown };
      if (!Array.isArray(body.servers))
        throw new EclProtocolError("ECL listed servers without a servers array");
      const batch = body.servers.map(toServer);
      // Only the marker of the next link is used, never its host: the token goes to the
      // configured endpoint and nowhere else.
      marker = nextMarker(body.servers_links, batch);
      yield batch;
      if (marker === undefined || markers.has(marker)) return;
      markers.add(marker);
    }
    throw new EclProtocolError(`ECL listed more than ${maxPages} pages of servers`);
  }

  /**
   * A server by id, or by a name that matches exactly one server.
   * @throws InvalidInputError for a reference that is neither, ServerLookupError for an unknown or
   * ambiguous one, EclApiError and EclNetworkError.
   */
  async resolveServer(nameOrId: string): Promise<Server> {
    const ref = parseServerRef(nameOrId);
    if ("id" in ref) {
      try {
        return await this.showServer(ref.id);
      } catch (error) {
        if (error instanceof EclApiError && error.status === 404) {
          throw new ServerLookupError("not_found", nameOrId);
        }
        throw error;
      }
    }
    const matches = (await this.listServers({ name: ref.name })).filter((s) => s.name === ref.name);
    const [only, ...others] = matches;
    if (!only) throw new ServerLookupError("not_found", ref.name);
    if (others.length > 0) {
      throw new ServerLookupError(
        "ambiguous",
        ref.name,
        matches.map(({ id, name }) => ({ id, name })),
      );
    }
    return only;
  }

  /**
   * Media Detach: exactly the seed's request. Sent once; a 401 is retried once with a renewed
   * token, since a 401 means ECL did not accept it.
   * @throws EclApiError, EclNetworkError (then whether ECL acted is unknown), InvalidInputError.
   */
  async detachMedia(serverId: string, imageId: string): Promise<ActionResult> {
    return this.action(serverId, { "media-detach": { imageRef: parseImageId(imageId) } });
  }

  /** Media Attach, the inverse of {@link detachMedia}; used by the simulator's users and tests. */
  async attachMedia(serverId: string, imageId: string): Promise<ActionResult> {
    return this.action(serverId, { "media-attach": { imageRef: parseImageId(imageId) } });
  }

  /**
   * The name the image service (Glance v2, catalog type `image`) gives an image, shown beside its
   * id. A courtesy: undefined without an image service in the token's catalog (a fixed token has
   * no catalog) or when the call fails in any way; never retried, never counted as an ECL error.
   */
  async imageName(imageId: string): Promise<string | undefined> {
    if (!isUuid(imageId)) return undefined;
    try {
      const endpoint = await this.options.tokens.imageEndpoint?.();
      if (!endpoint) return undefined;
      const response = await this.options.send({
        method: "GET",
        url: new URL(`${endpoint.replace(/\/+$/, "")}/v2/images/${imageId.toLowerCase()}`),
        headers: { accept: "application/json", "x-auth-token": await this.options.tokens.token() },
        timeoutMs: IMAGE_NAME_TIMEOUT_MS,
      });
      if (response.status !== 200) return undefined;
      const name = (JSON.parse(response.body) as { name?: unknown } | null)?.name;
      return typeof name === "string" && name.trim() !== "" ? name : undefined;
    } catch {
      return undefined;
    }
  }

  private async action(serverId: string, body: object): Promise<ActionResult> {
    const path = `/servers/${encodeURIComponent(serverIdOf(serverId))}/action`;
    const response = await this.call("POST", path, undefined, JSON.stringify(body));
    return { status: response.status, requestId: requestIdOf(response) };
  }

  /** One API call: token, retries for GETs only, one renewal after a 401, errors typed. */
  private async call(
    method: "GET" | "POST",
    path: string,
    query?: URLSearchParams,
    body?: string,
    read: ReadOptions = {},
  ): Promise<HttpResponse> {
    const url = new URL(`${await this.base()}${path}${query?.size ? `?${query}` : ""}`);
    const timeoutMs =
      method === "POST"
        ? (this.options.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS)
        : read.timeoutMs;
    const exchange = (token: string) => {
      const once = () =>
        this.options.send({
          method,
          url,
          headers: {
            accept: "application/json",
            "content-type": "application/json",
            "x-auth-token": token,
          },
          ...(body === undefined ? {} : { body }),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        });
      if (method === "POST") return once();
      return withRetries(once, read.retry ?? this.retry, isRetryable, this.retryDeps);
    };
    const token = await this.options.tokens.token();
    let response: HttpResponse;
    try {
      response = await exchange(token);
      if (response.status === 401) {
        const renewed = await this.options.tokens.renew(token);
        if (renewed !== undefined) response = await exchange(renewed);
      }
    } catch (error) {
      if (error instanceof EclNetworkError) this.options.onError?.(error.kind);
      // Without the secret's api_endpoint, the endpoint refused is the one the catalog named.
      if (error instanceof EndpointRefusedError && this.options.apiEndpoint === undefined)
        throw error.fromCatalog();
      throw error;
    }
    if (response.status >= 300) {
      this.options.onError?.(String(response.status));
      const fault = parseErrorBody(response.body);
      throw new EclApiError({
        service: "baremetal",
        status: response.status,
        method,
        path: url.pathname,
        code: fault.code,
        apiMessage: fault.message,
        requestId: requestIdOf(response),
        retryAfterS: retryAfterSeconds(response.headers["retry-after"], Date.now()),
      });
    }
    return response;
  }
}

/** GETs are retried on transport failures, 5xx and 429; never on other answers. */
function isRetryable(outcome: { ok: true; value: HttpResponse } | { ok: false; error: unknown }) {
  if (!outcome.ok) return outcome.error instanceof EclNetworkError;
  return outcome.value.status >= 500 || outcome.value.status === 429;
}

function serverIdOf(serverId: string): string {
  if (!isUuid(serverId)) throw new InvalidInputError("server", "a server id must be a UUID");
  return serverId.toLowerCase();
}

function requestIdOf(response: HttpResponse): string | undefined {
  return response.headers["x-compute-request-id"] ?? response.headers["x-openstack-request-id"];
}

function readJson(response: HttpResponse): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(response.body);
    if (typeof parsed === "object" && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new EclProtocolError(
    `ECL answered ${response.status} with a body that is not a JSON object`,
  );
}

/** The marker of the `rel: "next"` link, or the last id of the page when the link has none. */
function nextMarker(links: unknown, page: Server[]): string | undefined {
  if (!Array.isArray(links)) return undefined;
  const next = links.find((l) => (l as { rel?: unknown })?.rel === "next") as
    | { href?: unknown }
    | undefined;
  if (!next || typeof next.href !== "string") return undefined;
  let marker: string | null = null;
  try {
    marker = new URL(next.href).searchParams.get("marker");
  } catch {
    // A link that is not a URL: go on from the page's last id, as without a marker.
  }
  return marker ?? page.at(-1)?.id;
}
