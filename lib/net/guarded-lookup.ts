/**
 * The DNS lookup of bm's sockets to ECL: a name that resolves to an address bm does not connect
 * to (loopback, private, link-local…) fails the connection before it is made. It runs in the
 * socket's own connect, so the address checked is the address connected to: a name that answers
 * a public address to a first lookup and a private one to the next (DNS rebinding) gains nothing.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import type { LookupFunction } from "node:net";
import { BmError } from "../errors";
import {
  type AddressKind,
  addressKind,
  anAddress,
  type HostPatterns,
  isAllowedHost,
} from "./endpoint-rule";

/** A name resolved to an address bm does not connect to. */
export class AddressRefusedError extends BmError {
  override readonly name = "AddressRefusedError";
  readonly passing = false;
  readonly forUsers = true;
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly kind: Exclude<AddressKind, "public">,
  ) {
    super(`${hostname} ${resolvesTo(kind, address)}`);
  }

  /** Why, as the end of a sentence: "resolves to a loopback address (127.0.0.1)". */
  get problem(): string {
    return resolvesTo(this.kind, this.address);
  }
}

function resolvesTo(kind: Exclude<AddressKind, "public">, address: string): string {
  return `resolves to ${anAddress(kind)} (${address})`;
}

type Resolve = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for `net.connect` and `tls.connect` (undici's `connect` options): a listed host is
 * resolved as usual; any other name only when every address it resolves to is public, else the
 * connection fails with an {@link AddressRefusedError}.
 */
export function guardedLookup(
  allow: HostPatterns,
  resolve: Resolve = dnsLookup as unknown as Resolve,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 0);
      if (!isAllowedHost(allow, hostname)) {
        for (const { address } of addresses) {
          const kind = addressKind(address);
          if (kind !== "public")
            return callback(new AddressRefusedError(hostname, address, kind), "", 0);
        }
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first)
        return callback(
          Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }),
          "",
          0,
        );
      callback(null, first.address, first.family);
    });
  };
}
