/**
 * What the simulated ECL answers: the routes of Keystone and the bare-metal server API, as
 * ecl-api.md and the seed describe them, over the simulator's model. No HTTP here.
 */
import type { IncomingHttpHeaders } from "node:http";
import { isUuid } from "../../lib/ecl/validate";
import type { EclModel, Route } from "./model";
import { errorBody, serverJson, serverRef } from "./responses";

/** An answer: status, body, extra headers, and how long it takes beyond the simulator's latency. */
export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * How long a page of `servers/detail` (or `servers`) takes beyond the simulator's latency: a part
 * for the page, and a part for each server on it (ECL builds and sends each one).
 */
export interface PageLatency {
  perPageMs?: number;
  perServerMs?: number;
}

/** A request, routed. */
export interface SimRequest {
  route: Route;
  tenantId: string | undefined;
  serverId: string | undefined;
  /** The image of an image-service route. */
  imageId?: string | undefined;
  detail: boolean;
  method: string;
  headers: IncomingHttpHeaders;
  url: URL;
  body: string;
}

/** Answers requests for one simulator: its model, its base URL (for links), its page size. */
export function simulatedApi(
  model: EclModel,
  base: () => string,
  pageSize: number,
  pageLatency: PageLatency = {},
) {
  function answer(r: SimRequest): Reply {
    if (r.route === "token") return r.method === "POST" ? token(r.body) : notAllowed(r.method);
    // Authentication comes first, as in OpenStack: keystonemiddleware runs before routing.
    const tokenTenant = model.tokenTenant(header(r.headers, "x-auth-token"));
    if (!tokenTenant) return { status: 401, body: errorBody(401) };
    if (r.route === "unknown")
      return { status: 404, body: errorBody(404, "The resource could not be found.") };
    if (r.route === "image")
      return r.method === "GET" ? image(r.imageId ?? "") : notAllowed(r.method);
    if (r.tenantId !== tokenTenant || !model.hasTenant(r.tenantId)) {
      return {
        status: 403,
        body: errorBody(403, `Tenant ${r.tenantId} is not available for this token.`),
      };
    }
    const wanted = r.route === "action" ? "POST" : "GET";
    if (r.method !== wanted) return notAllowed(r.method);
    if (r.route === "list") return list(r.tenantId, r.url, r.detail);
    if (
      r.route === "action" &&
      !/^application\/json\b/i.test(header(r.headers, "content-type") ?? "")
    ) {
      return {
        status: 415,
        body: errorBody(
          415,
          `The request media type ${header(r.headers, "content-type") ?? "(none)"} is not supported by this server.`,
        ),
      };
    }
    const found = r.serverId ? model.server(r.serverId) : undefined;
    if (!found || found.tenantId !== r.tenantId) {
      return { status: 404, body: errorBody(404, `Instance ${r.serverId} could not be found.`) };
    }
    if (r.route === "show") return json(200, { server: serverJson(found, base(), model.unkind) });
    return action(found.id, r.body);
  }

  function token(body: string): Reply {
    const checked = checkAuthRequest(parseJson(body));
    if ("problem" in checked) return keystoneError(400, checked.problem);
    const issued = model.issueToken(checked.name, checked.password, checked.projectId);
    if (!issued || !checked.domainOk) {
      return keystoneError(401, "The request you have made requires authentication.");
    }
    const project = checked.projectId;
    const endpoints = (url: string) =>
      ["public", "internal", "admin"].map((kind, i) => ({
        id: `${project.slice(0, 28)}${kind.slice(0, 3)}${i}`,
        interface: kind,
        region: REGION,
        region_id: REGION,
        url,
      }));
    return {
      status: 201,
      headers: { "x-subject-token": issued.token },
      body: JSON.stringify({
        token: {
          methods: ["password"],
          audit_ids: [issued.token.slice(0, 22)],
          expires_at: new Date(issued.expiresAt).toISOString().replace("Z", "111Z"),
          issued_at: new Date(model.now()).toISOString().replace("Z", "111Z"),
          user: {
            name: checked.name,
            id: "55e2f8a2f1fb4e5cb3dd5e6c7fa2a37c",
            domain: { id: "default", name: "Default" },
          },
          project: { id: project, name: project, domain: { id: "default", name: "Default" } },
          catalog: [
            {
              type: "baremetal-server",
              name: "baremetal-server",
              id: "1234567890abcdef1234567890abcde3",
              endpoints: endpoints(`${model.catalogBase ?? base()}/v2/${project}`),
            },
            {
              type: "image",
              name: "glance",
              id: "1234567890abcdef1234567890abcde9",
              endpoints: endpoints(`${base()}/image`),
            },
            {
              type: "identity",
              name: "keystone",
              id: "1234567890abcdef1234567890abcdeb",
              endpoints: endpoints(`${base()}/v3`),
            },
          ],
        },
      }),
    };
  }

  /**
   * Glance v2's `GET /v2/images/{id}`: the image object itself (not wrapped), or Glance's 404,
   * which is plain text. Shaped after eclcloud's imagestorage fixtures.
   */
  function image(id: string): Reply {
    const found = model.image(id);
    if (!found)
      return {
        status: 404,
        headers: { "content-type": "text/plain; charset=UTF-8" },
        body: `404 Not Found\n\nNo image found with ID ${id}\n\n   `,
      };
    return json(200, {
      id: found.id,
      name: found.name,
      status: "active",
      visibility: "private",
      container_format: "bare",
      disk_format: "iso",
      min_disk: 0,
      min_ram: 0,
      protected: false,
      tags: [],
      self: `/v2/images/${found.id}`,
      file: `/v2/images/${found.id}/file`,
      schema: "/v2/schemas/image",
    });
  }

  function list(tenantId: string, url: URL, detail: boolean): Reply {
    const name = url.searchParams.get("name");
    // ECL's name filter is undocumented; like Nova, the simulator matches it as a substring, so
    // clients must keep exact matches themselves.
    let servers = model
      .serversOf(tenantId)
      .filter((s) => name === null || s.name.toLowerCase().includes(name.toLowerCase()));
    const marker = url.searchParams.get("marker");
    if (marker !== null) {
      const at = servers.findIndex((s) => s.id === marker);
      // Nova's words for a marker it does not know (a deleted server's, or a made-up one).
      if (at < 0) return { status: 400, body: errorBody(400, `marker [${marker}] not found`) };
      servers = servers.slice(at + 1);
    }
    const limitText = url.searchParams.get("limit");
    const asked = limitText === null ? pageSize : Number(limitText);
    if (limitText !== null && !/^\d+$/.test(limitText))
      return { status: 400, body: errorBody(400, "limit must be an integer >= 0") };
    // Nova's max_limit: a larger limit is lowered to it, silently.
    const limit = Math.min(asked, pageSize);
    const capped = model.unkind.cappedPageSize;
    const page = servers.slice(0, Math.min(limit, capped ?? Number.POSITIVE_INFINITY));
    const body: Record<string, unknown> = {
      servers: page.map((s) =>
        detail ? serverJson(s, base(), model.unkind) : serverRef(s, base()),
      ),
    };
    const last = page.at(-1);
    // As Nova: a full page has a next link, even when nothing follows (the next page is then
    // empty); a capped page says nothing of the servers it left out.
    if (last && page.length === limit && capped === undefined) {
      const next = new URLSearchParams();
      if (name !== null) next.set("name", name);
      next.set("limit", String(page.length));
      next.set("marker", last.id);
      body.servers_links = [
        { href: `${base()}/v2/${tenantId}/servers${detail ? "/detail" : ""}?${next}`, rel: "next" },
      ];
    }
    const delayMs = (pageLatency.perPageMs ?? 0) + (pageLatency.perServerMs ?? 0) * page.length;
    return { ...json(200, body), ...(delayMs > 0 ? { delayMs } : {}) };
  }

  function action(serverId: string, body: string): Reply {
    const parsed = parseJson(body);
    const keys = typeof parsed === "object" && parsed !== null ? Object.keys(parsed) : [];
    const name = keys[0];
    if (keys.length !== 1 || (name !== "media-detach" && name !== "media-attach")) {
      return {
        status: 400,
        body: errorBody(
          400,
          "Malformed request body: one of media-attach or media-detach is required.",
        ),
      };
    }
    const imageRef = ((parsed as Record<string, unknown>)[name] as { imageRef?: unknown } | null)
      ?.imageRef;
    if (typeof imageRef !== "string" || !isUuid(imageRef)) {
      return { status: 400, body: errorBody(400, "Invalid imageRef provided.") };
    }
    const server = model.server(serverId);
    if (!server) return { status: 404, body: errorBody(404) };
    const busy =
      model.raceBeforeAction(server) ||
      server.task !== undefined ||
      (server.taskState !== null &&
        server.taskState !== undefined &&
        server.taskState.toLowerCase() !== "none");
    if (busy) {
      return {
        status: 409,
        body: errorBody(
          409,
          `Cannot '${name}' instance ${serverId} while it is in task_state ${server.taskState}`,
        ),
      };
    }
    const image = imageRef.toLowerCase();
    const same = (id: string) => id.toLowerCase() === image;
    const attached = server.media.some(same);
    if (name === "media-detach") {
      // Not in the seed's words, but its 404 is "not found": the image is not found on the server.
      if (!attached)
        return {
          status: 404,
          body: errorBody(404, `Image ${image} is not attached to instance ${serverId}.`),
        };
      model.startTask(server, "MEDIA_DETACHING", (s) => {
        s.media = s.media.filter((id) => !same(id));
      });
    } else {
      // What ECL answers to attaching an image already attached is undocumented: accepted, and
      // nothing changes.
      model.startTask(server, "MEDIA_ATTACHING", (s) => {
        if (!s.media.some(same)) s.media.push(image);
      });
    }
    return { status: 200 };
  }

  return answer;
}

export function routeOf(parts: string[]): {
  route: Route;
  tenantId?: string;
  serverId?: string;
  imageId?: string;
  detail: boolean;
} {
  if (parts.join("/") === "v3/auth/tokens") return { route: "token", detail: false };
  if (parts[0] === "image") {
    const [, v2, images, imageId, ...rest] = parts;
    if (v2 === "v2" && images === "images" && imageId !== undefined && rest.length === 0)
      return { route: "image", imageId, detail: false };
    return { route: "unknown", detail: false };
  }
  const [v2, tenantId, servers, id, action] = parts;
  if (v2 !== "v2" || tenantId === undefined || servers !== "servers" || parts.length > 5) {
    return { route: "unknown", detail: false };
  }
  if (id === undefined) return { route: "list", tenantId, detail: false };
  if (id === "detail" && action === undefined) return { route: "list", tenantId, detail: true };
  if (action === undefined) return { route: "show", tenantId, serverId: id, detail: false };
  if (action === "action") return { route: "action", tenantId, serverId: id, detail: false };
  return { route: "unknown", detail: false };
}

/** The region the simulator's catalog names. */
const REGION = "jp1";

type AuthRequest =
  | { name: string; password: string; projectId: string; domainOk: boolean }
  | { problem: string };

/**
 * Checks a Keystone v3 password-auth body as Keystone does: `methods` holds "password", a user
 * named by name has a domain (id or name), the scope names a project by id (or by name with a
 * domain). Only the "default" domain exists here.
 */
function checkAuthRequest(parsed: unknown): AuthRequest {
  const auth = (parsed as { auth?: Record<string, unknown> } | undefined)?.auth;
  if (!isObject(auth)) return { problem: "Expecting to find auth in request body." };
  const identity = auth.identity;
  if (!isObject(identity)) return { problem: "Expecting to find identity in auth." };
  const methods = identity.methods;
  if (!Array.isArray(methods) || !methods.includes("password"))
    return { problem: "Expecting to find methods with password in identity." };
  const user = (identity.password as { user?: unknown } | undefined)?.user;
  if (!isObject(user)) return { problem: "Expecting to find user in password." };
  if (typeof user.password !== "string") return { problem: "Expecting to find password in user." };
  if (typeof user.name !== "string") return { problem: "Expecting to find name in user." };
  const domain = user.domain;
  if (!isObject(domain) || (typeof domain.id !== "string" && typeof domain.name !== "string"))
    return { problem: "Expecting to find domain in user." };
  const project = (auth.scope as { project?: unknown } | undefined)?.project;
  if (!isObject(project)) return { problem: "Expecting to find project in scope." };
  if (typeof project.id !== "string")
    return { problem: "Expecting to find id in project (bm's tenants are scoped by id)." };
  return {
    name: user.name,
    password: user.password,
    projectId: project.id,
    domainOk: domain.id === "default" || domain.name === "Default",
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function keystoneError(status: 400 | 401, message: string): Reply {
  const title = status === 400 ? "Bad Request" : "Unauthorized";
  return { status, body: JSON.stringify({ error: { code: status, title, message } }) };
}

function json(status: number, body: unknown): Reply {
  return { status, body: JSON.stringify(body) };
}

function notAllowed(method: string): Reply {
  return {
    status: 405,
    body: errorBody(405, `The method ${method} is not allowed for this resource.`),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
