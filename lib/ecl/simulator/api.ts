/**
 * What the simulated ECL answers: the routes of Keystone and the bare-metal server API, as
 * ecl-api.md and the seed describe them, over the simulator's model. No HTTP here.
 */
import type { IncomingHttpHeaders } from "node:http";
import { isUuid } from "../validate";
import type { EclModel, Route } from "./model";
import { errorBody, serverJson, serverRef } from "./responses";

/** An answer: status, body, extra headers. */
export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A request, routed. */
export interface SimRequest {
  route: Route;
  tenantId: string | undefined;
  serverId: string | undefined;
  detail: boolean;
  method: string;
  headers: IncomingHttpHeaders;
  url: URL;
  body: string;
}

/** Answers requests for one simulator: its model, its base URL (for links), its page size. */
export function simulatedApi(model: EclModel, base: () => string, pageSize: number) {
  function answer(r: SimRequest): Reply {
    if (r.route === "token") return r.method === "POST" ? token(r.body) : notAllowed(r.method);
    // Authentication comes first, as in OpenStack: keystonemiddleware runs before routing.
    const tokenTenant = model.tokenTenant(header(r.headers, "x-auth-token"));
    if (!tokenTenant) return { status: 401, body: errorBody(401) };
    if (r.route === "unknown")
      return { status: 404, body: errorBody(404, "The resource could not be found.") };
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
    if (r.route === "show") return json(200, { server: serverJson(found, base()) });
    return action(found.id, r.body);
  }

  function token(body: string): Reply {
    const auth = parseJson(body) as
      | {
          auth?: {
            identity?: { password?: { user?: { name?: unknown; password?: unknown } } };
            scope?: { project?: { id?: unknown } };
          };
        }
      | undefined;
    const user = auth?.auth?.identity?.password?.user;
    const project = auth?.auth?.scope?.project?.id;
    if (
      typeof user?.name !== "string" ||
      typeof user.password !== "string" ||
      typeof project !== "string"
    ) {
      return {
        status: 400,
        body: JSON.stringify({
          error: {
            code: 400,
            title: "Bad Request",
            message: "Expecting to find auth in request body.",
          },
        }),
      };
    }
    const issued = model.issueToken(user.name, user.password, project);
    if (!issued) return { status: 401, body: errorBody(401) };
    return {
      status: 201,
      headers: { "x-subject-token": issued.token },
      body: JSON.stringify({
        token: {
          methods: ["password"],
          expires_at: new Date(issued.expiresAt).toISOString().replace("Z", "111Z"),
          issued_at: new Date(model.now()).toISOString().replace("Z", "111Z"),
          project: { id: project, domain: { id: "default", name: "Default" } },
          catalog: [
            {
              type: "baremetal-server",
              name: "baremetal-server",
              endpoints: [
                { interface: "public", region: "RegionOne", url: `${base()}/v2/${project}` },
              ],
            },
            {
              type: "identity",
              name: "keystone",
              endpoints: [{ interface: "public", region: "RegionOne", url: `${base()}/v3` }],
            },
          ],
        },
      }),
    };
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
      if (at < 0) return { status: 400, body: errorBody(400, `marker [${marker}] not found`) };
      servers = servers.slice(at + 1);
    }
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? pageSize : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      return { status: 400, body: errorBody(400, "limit must be a positive integer") };
    const page = servers.slice(0, Math.min(limit, pageSize));
    const body: Record<string, unknown> = {
      servers: page.map((s) => (detail ? serverJson(s, base()) : serverRef(s, base()))),
    };
    const last = page.at(-1);
    if (last && servers.length > page.length) {
      const next = new URLSearchParams();
      if (name !== null) next.set("name", name);
      next.set("limit", String(page.length));
      next.set("marker", last.id);
      body.servers_links = [
        { href: `${base()}/v2/${tenantId}/servers${detail ? "/detail" : ""}?${next}`, rel: "next" },
      ];
    }
    return json(200, body);
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
    if (
      server.task ||
      (server.taskState !== null &&
        server.taskState !== undefined &&
        server.taskState.toLowerCase() !== "none")
    ) {
      return {
        status: 409,
        body: errorBody(
          409,
          `Cannot '${name}' instance ${serverId} while it is in task_state ${server.taskState}`,
        ),
      };
    }
    const image = imageRef.toLowerCase();
    const attached = server.media.includes(image);
    if (name === "media-detach") {
      if (!attached)
        return {
          status: 404,
          body: errorBody(404, `Image ${image} is not attached to instance ${serverId}.`),
        };
      model.startTask(server, "MEDIA_DETACHING", (s) => {
        s.media = s.media.filter((id) => id !== image);
      });
    } else {
      if (attached)
        return {
          status: 409,
          body: errorBody(409, `Image ${image} is already attached to instance ${serverId}.`),
        };
      model.startTask(server, "MEDIA_ATTACHING", (s) => {
        s.media.push(image);
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
  detail: boolean;
} {
  if (parts.join("/") === "v3/auth/tokens") return { route: "token", detail: false };
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
