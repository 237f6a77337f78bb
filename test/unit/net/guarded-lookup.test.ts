import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { hostPatterns, NO_HOSTS } from "../../../lib/net/endpoint-rule";
import { AddressRefusedError, guardedLookup } from "../../../lib/net/guarded-lookup";

/** A resolver that answers from a table, and records what it was asked. */
function resolver(table: Record<string, LookupAddress[] | NodeJS.ErrnoException>) {
  const asked: Array<{ hostname: string; options: object }> = [];
  const resolve = (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    asked.push({ hostname, options });
    const answer = table[hostname] ?? [];
    if (answer instanceof Error) callback(answer, []);
    else callback(null, answer);
  };
  return { resolve, asked };
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

/** Runs a lookup and returns what its callback was given. */
function lookUp(
  lookup: ReturnType<typeof guardedLookup>,
  hostname: string,
  options: { all?: boolean; family?: number } = {},
) {
  return new Promise<{ error: unknown; address: unknown; family: unknown }>((done) => {
    lookup(hostname, options as never, (error, address, family) =>
      done({ error, address, family }),
    );
  });
}

const TABLE = {
  "ecl.example.com": [v4("203.0.114.10"), v6("2606:4700::10")],
  "rebound.example.com": [v4("8.8.8.8"), v4("10.0.0.5")],
  localhost: [v4("127.0.0.1"), v6("::1")],
  "metadata.example.com": [v4("169.254.169.254")],
  "mapped.example.com": [v6("::ffff:127.0.0.1")],
  "none.example.com": [],
};

describe("guardedLookup", () => {
  it("gives the first public address, asking for all of them", async () => {
    const { resolve, asked } = resolver(TABLE);
    const answer = await lookUp(guardedLookup(NO_HOSTS, resolve), "ecl.example.com", {
      family: 0,
    });
    expect(answer).toEqual({ error: null, address: "203.0.114.10", family: 4 });
    expect(asked).toEqual([{ hostname: "ecl.example.com", options: { family: 0, all: true } }]);
  });

  it("gives every address when the socket asks for all (happy eyeballs)", async () => {
    const { resolve } = resolver(TABLE);
    const answer = await lookUp(guardedLookup(NO_HOSTS, resolve), "ecl.example.com", {
      all: true,
    });
    expect(answer).toEqual({
      error: null,
      address: [v4("203.0.114.10"), v6("2606:4700::10")],
      family: undefined,
    });
  });

  it.each([
    ["localhost", "127.0.0.1", "loopback", "localhost resolves to a loopback address (127.0.0.1)"],
    [
      "metadata.example.com",
      "169.254.169.254",
      "link-local",
      "metadata.example.com resolves to a link-local address (169.254.169.254)",
    ],
    // One private address among public ones is enough: it could be the one connected to.
    [
      "rebound.example.com",
      "10.0.0.5",
      "private",
      "rebound.example.com resolves to a private address (10.0.0.5)",
    ],
    [
      "mapped.example.com",
      "::ffff:127.0.0.1",
      "loopback",
      "mapped.example.com resolves to a loopback address (::ffff:127.0.0.1)",
    ],
  ])("refuses %s, which resolves to %s", async (hostname, address, kind, message) => {
    const { resolve } = resolver(TABLE);
    for (const all of [false, true]) {
      const answer = await lookUp(guardedLookup(NO_HOSTS, resolve), hostname, { all });
      expect(answer.error).toBeInstanceOf(AddressRefusedError);
      expect(answer.error).toMatchObject({ hostname, address, kind, message });
      expect((answer.error as AddressRefusedError).problem).toBe(
        message.slice(hostname.length + 1),
      );
      expect(answer.address).toBe("");
    }
  });

  it("resolves a listed host whatever its addresses", async () => {
    const { resolve } = resolver(TABLE);
    const lookup = guardedLookup(hostPatterns("localhost"), resolve);
    expect(await lookUp(lookup, "localhost")).toEqual({
      error: null,
      address: "127.0.0.1",
      family: 4,
    });
    expect((await lookUp(lookup, "metadata.example.com")).error).toBeInstanceOf(
      AddressRefusedError,
    );
  });

  it("passes on the resolver's own failure", async () => {
    const failure = Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    const { resolve } = resolver({ "gone.example.com": failure });
    const answer = await lookUp(guardedLookup(NO_HOSTS, resolve), "gone.example.com");
    expect(answer).toEqual({ error: failure, address: "", family: 0 });
  });

  it("fails as not found when the resolver gives no address", async () => {
    const { resolve } = resolver(TABLE);
    const answer = await lookUp(guardedLookup(NO_HOSTS, resolve), "none.example.com");
    expect(answer).toEqual({
      error: expect.objectContaining({
        code: "ENOTFOUND",
        message: "no address for none.example.com",
      }),
      address: "",
      family: 0,
    });
    expect(
      await lookUp(guardedLookup(NO_HOSTS, resolve), "none.example.com", { all: true }),
    ).toEqual({
      error: null,
      address: [],
      family: undefined,
    });
  });

  it("is a final refusal written for users", () => {
    const error = new AddressRefusedError("a.example", "10.0.0.1", "private");
    expect([error.name, error.passing, error.forUsers]).toEqual([
      "AddressRefusedError",
      false,
      true,
    ]);
  });
});
