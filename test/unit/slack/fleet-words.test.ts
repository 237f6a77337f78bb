/**
 * A fleet request in a line's words (lib/slack/fleet-words.ts): what it detaches from, and where
 * its targets stand, for /bm history, /bm status and the Home tab.
 */
import { describe, expect, it } from "vitest";
import type { Operation } from "../../../lib/operations/operation";
import { fleetCountsWords, whatOf } from "../../../lib/slack/fleet-words";
import { fleetRequest, operationIn } from "../fakes";

describe("whatOf", () => {
  it("a single operation: its server's name, else what was typed", () => {
    const ops = new Map<string, Operation>();
    expect(whatOf(operationIn(ops, "C0INC", [], { serverName: "web01" })).text).toBe("`web01`");
    expect(whatOf(operationIn(ops, "C0INC", [], { serverRef: "x<y" })).text).toBe("`x&lt;y`");
  });

  it("a fleet: its servers counted, with the prefix when it has one", () => {
    expect(whatOf(fleetRequest(["done", "queued", "queued"])).text).toBe("3 servers");
    expect(whatOf(fleetRequest(["done"])).text).toBe("1 server");
    expect(whatOf(fleetRequest(["done", "done"], undefined, { match: "web-<" })).text).toBe(
      "2 servers named `web-&lt;`…",
    );
  });

  it("a fleet with no targets named (not yet listed, or none had the image): every server", () => {
    expect(whatOf(fleetRequest([], "requested")).text).toBe("every server");
    expect(whatOf(fleetRequest([], "requested", { match: "db" })).text).toBe(
      "every server named `db`…",
    );
    expect(whatOf(fleetRequest([], "noop")).text).toBe("every server");
  });
});

describe("fleetCountsWords", () => {
  it("the counts of its targets, those that are not zero", () => {
    expect(fleetCountsWords(fleetRequest(["done", "detaching", "queued", "failed"]))).toBe(
      "1 of 4 done, 1 in flight, 1 queued, 1 failed",
    );
  });

  it("nothing for a fleet with no targets named, nor for a single operation", () => {
    expect(fleetCountsWords(fleetRequest([], "requested"))).toBe("");
    expect(fleetCountsWords(operationIn(new Map(), "C0INC"))).toBe("");
  });
});
