/**
 * Where bm may connect: ECL's endpoints and Slack's response_urls only over https, by a public DNS
 * name, unless an operator lists the host (`BM_ECL_ENDPOINT_ALLOW`, `BM_SLACK_URL_ALLOW`). Pure:
 * the address a name resolves to is checked by `guarded-lookup.ts`, at connect time.
 */
import { BlockList, isIP } from "node:net";

/** Hosts listed by an operator: exact names or addresses, and `*.suffix` wildcards. */
export interface HostPatterns {
  readonly exact: ReadonlySet<string>;
  /** Suffixes of `*.suffix`, each with its leading dot (`.example.test`). */
  readonly under: readonly string[];
}

/** No host listed: the default, and production's. */
export const NO_HOSTS: HostPatterns = { exact: new Set(), under: [] };

/** A DNS name as a pattern may give it: letters, digits, `-` and `_`, in dotted labels. */
function isName(text: string): boolean {
  return /^(?!-)[a-z0-9_-]{1,63}(\.(?!-)[a-z0-9_-]{1,63})*$/.test(text);
}

/**
 * Reads a comma-separated list of host patterns. Each entry is a host as a URL names it (a DNS
 * name, an IPv4 address in any spelling a URL takes, an IPv6 address with or without brackets),
 * or `*.` and a DNS name for every name under it (not the name itself). No scheme, port, path or
 * address range; case and a trailing dot do not matter. Empty or unset: no host.
 */
export function parseHostPatterns(raw: string | undefined): HostPatterns | { problem: string } {
  const text = raw?.trim() ?? "";
  if (text === "") return NO_HOSTS;
  const exact = new Set<string>();
  const under: string[] = [];
  for (const [i, given] of text.split(",").entries()) {
    const entry = given.trim().toLowerCase().replace(/\.$/, "");
    const said = `entry ${i + 1} ("${given.trim().slice(0, 40)}")`;
    if (entry === "") return { problem: `entry ${i + 1} is empty` };
    if (entry.startsWith("*.")) {
      const suffix = entry.slice(2);
      if (!isName(suffix) || isIP(suffix) !== 0 || hostOf(suffix) !== suffix)
        return { problem: `${said}: after "*." must come a DNS name, such as *.example.test` };
      under.push(`.${suffix}`);
      continue;
    }
    const host = hostOf(entry);
    if (host === undefined)
      return {
        problem: `${said} must be a host name, an IP address or *.domain, without scheme, port or path`,
      };
    exact.add(host);
  }
  return { exact, under };
}

/** {@link parseHostPatterns} for a list known to be right (tests, benchmarks). @throws TypeError. */
export function hostPatterns(raw: string): HostPatterns {
  const read = parseHostPatterns(raw);
  if ("problem" in read) throw new TypeError(read.problem);
  return read;
}

/**
 * A pattern's host as `new URL()` writes it, or undefined when it is not one host (a name has no
 * port, as {@link isName} allows no colon; its trailing dot is gone already).
 */
function hostOf(entry: string): string | undefined {
  const bare = unbracketed(entry);
  if (isIP(bare) === 6) return new URL(`http://[${bare}]`).hostname;
  if (!isName(entry) || !URL.canParse(`http://${entry}`)) return undefined;
  return new URL(`http://${entry}`).hostname;
}

/** An IPv6 address without the brackets a URL puts around it; any other text as it is. */
function unbracketed(text: string): string {
  return text.replace(/^\[(.*)\]$/, "$1");
}

/** True when `hostname` (as `new URL()` gives it) is listed. */
export function isAllowedHost(patterns: HostPatterns, hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return patterns.exact.has(host) || patterns.under.some((suffix) => host.endsWith(suffix));
}

/** What kind of address an IP address is; `public` for a global unicast one. */
export type AddressKind =
  | "public"
  | "loopback"
  | "unspecified"
  | "private"
  | "link-local"
  | "shared (CGNAT)"
  | "multicast"
  | "reserved";

/**
 * The subnets of each kind but public, first match wins. Built on each use (a few dozen entries):
 * nothing here is made at import time.
 */
function subnets(): Array<[Exclude<AddressKind, "public">, BlockList]> {
  const table: Array<[Exclude<AddressKind, "public">, Array<[string, number]>]> = [
    [
      "loopback",
      [
        ["127.0.0.0", 8],
        ["::1", 128],
      ],
    ],
    [
      "unspecified",
      [
        ["0.0.0.0", 8],
        ["::", 128],
      ],
    ],
    [
      "private",
      [
        ["10.0.0.0", 8],
        ["172.16.0.0", 12],
        ["192.168.0.0", 16],
        ["fc00::", 7],
      ],
    ],
    [
      "link-local",
      [
        ["169.254.0.0", 16],
        ["fe80::", 10],
      ],
    ],
    ["shared (CGNAT)", [["100.64.0.0", 10]]],
    [
      "multicast",
      [
        ["224.0.0.0", 4],
        ["ff00::", 8],
      ],
    ],
    [
      "reserved",
      [
        ["192.0.0.0", 24],
        ["192.0.2.0", 24],
        ["198.18.0.0", 15],
        ["198.51.100.0", 24],
        ["203.0.113.0", 24],
        ["240.0.0.0", 4],
        // NAT64, 6to4 and Teredo carry an IPv4 address inside: it may be a private one.
        ["64:ff9b::", 96],
        ["64:ff9b:1::", 48],
        ["2002::", 16],
        ["2001::", 32],
        ["2001:db8::", 32],
      ],
    ],
  ];
  return table.map(([kind, nets]) => {
    const list = new BlockList();
    for (const [net, prefix] of nets)
      list.addSubnet(net, prefix, net.includes(":") ? "ipv6" : "ipv4");
    return [kind, list];
  });
}

/**
 * The kind of an IP address (brackets allowed). An IPv4-mapped IPv6 address is the IPv4 address
 * it maps. @throws TypeError for text that is no IP address.
 */
export function addressKind(address: string): AddressKind {
  const bare = unbracketed(address);
  const family = isIP(bare);
  if (family === 0) throw new TypeError("not an IP address");
  const type = family === 4 ? "ipv4" : "ipv6";
  for (const [kind, list] of subnets()) if (list.check(bare, type)) return kind;
  // IPv6 outside its global unicast space (an IPv4-mapped public address too) is none bm uses.
  const global = new BlockList();
  global.addSubnet("2000::", 3, "ipv6");
  return type === "ipv6" && !global.check(bare, type) ? "reserved" : "public";
}

/** "a private address", "an unspecified address". */
export function anAddress(kind: Exclude<AddressKind, "public">): string {
  return `${kind === "unspecified" ? "an" : "a"} ${kind} address`;
}

/**
 * Why bm will not connect to `url`, or undefined when it may (the address its name resolves to is
 * checked when connecting). A listed host may use http and an IP address; any other must be https
 * to a DNS name. A user name or password in the URL is refused for every host.
 */
export function endpointProblem(url: URL, allow: HostPatterns): string | undefined {
  if (url.protocol !== "https:" && url.protocol !== "http:") return "is not an https URL";
  if (url.username !== "" || url.password !== "") return "has a user name or password in it";
  if (isAllowedHost(allow, url.hostname)) return undefined;
  if (url.protocol !== "https:") return "is not https";
  if (isIP(unbracketed(url.hostname)) === 0) return undefined;
  const kind = addressKind(url.hostname);
  return kind === "public" ? "is an IP address, not a DNS name" : `is ${anAddress(kind)}`;
}
