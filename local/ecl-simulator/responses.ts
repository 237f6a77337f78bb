/**
 * What the simulated ECL sends back: server JSON as Show Server gives it, and OpenStack-style
 * error bodies.
 */
import type { SimServer } from "./model";

/** The fault name OpenStack puts at the top of an error body, by status. */
const FAULT_NAMES: Record<number, string> = {
  400: "badRequest",
  401: "error",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  415: "badMediaType",
  500: "computeFault",
  503: "serviceUnavailable",
};

const DEFAULT_MESSAGES: Record<number, string> = {
  401: "The request you have made requires authentication.",
  500: "The server has either erred or is incapable of performing the requested operation.",
  503: "The service is temporarily unavailable.",
};

/** `{"itemNotFound":{"code":404,"message":"…"}}` and its kin. */
export function errorBody(status: number, message?: string): string {
  const name = FAULT_NAMES[status] ?? (status >= 500 ? "computeFault" : "badRequest");
  const said = message ?? DEFAULT_MESSAGES[status] ?? `Error ${status}.`;
  const fault =
    status === 401
      ? { code: 401, title: "Unauthorized", message: said }
      : { code: status, message: said };
  return JSON.stringify({ [name]: fault });
}

/**
 * A server as Show Server and List Servers (detail) return it, shaped after eclcloud's fixtures:
 * bookmarks without the version and with the tenant, the string "None" for an idle task_state.
 */
export function serverJson(server: SimServer, base: string, options: { noMedia?: boolean } = {}) {
  const self = `${base}/v2/${server.tenantId}/servers/${server.id}`;
  const bookmark = (kind: string, id: string) => [
    { href: `${base}/${server.tenantId}/${kind}/${id}`, rel: "bookmark" },
  ];
  const json: Record<string, unknown> = {
    id: server.id,
    name: server.name,
    tenant_id: server.tenantId,
    user_id: server.userId,
    status: server.status,
    progress: 100,
    "OS-EXT-STS:power_state": server.powerState,
    "OS-EXT-STS:vm_state": server.vmState,
    "OS-EXT-AZ:availability_zone": "zone1-groupa",
    created: iso(server.created),
    updated: iso(server.updated),
    flavor: { id: server.flavorId, links: bookmark("flavors", server.flavorId) },
    image: { id: server.bootImageId, links: bookmark("images", server.bootImageId) },
    links: [
      { href: self, rel: "self" },
      { href: `${base}/${server.tenantId}/servers/${server.id}`, rel: "bookmark" },
    ],
    metadata: {},
  };
  if (!options.noMedia) {
    json.media_attachments = server.media.map((id) => ({
      image: { id, links: bookmark("images", id) },
    }));
  }
  // undefined mimics an API that leaves the field out.
  if (server.taskState !== undefined) json["OS-EXT-STS:task_state"] = server.taskState;
  return json;
}

/** The plain listing's entry. */
export function serverRef(server: SimServer, base: string) {
  const self = `${base}/v2/${server.tenantId}/servers/${server.id}`;
  return { id: server.id, name: server.name, links: [{ href: self, rel: "self" }] };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
