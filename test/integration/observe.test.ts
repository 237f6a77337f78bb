import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FleetReads } from "../../lib/ecl/client";
import { type Look, observe } from "../../lib/followup/observe";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { type EclFixture, eclFixture } from "../support/ecl-fixture";

/**
 * observe() over real HTTP against the simulator: pages by limit and marker as Nova's, the list's
 * faults falling back to direct reads, a deleted server's marker refused.
 */
let ecl: EclFixture;
let fleet: string[];
beforeEach(async () => {
  ecl = await eclFixture();
  fleet = Array.from(
    { length: 45 },
    (_, i) => ecl.sim.model.addServer(SAMPLE.tenantId, { name: `fleet-${i}` }).id,
  );
});
afterEach(() => ecl.close());

const deps = { log: { warn: () => {} } };
const lists = () => ecl.sim.requests.filter((r) => r.route === "list");
const shows = () => ecl.sim.requests.filter((r) => r.route === "show").map((r) => r.path);
const kinds = (looks: Map<string, Look>) =>
  [...looks.values()].map((l) => `${l.kind}${"via" in l ? ` ${l.via}` : ""}`);

describe("observe() against the simulator", () => {
  it("past the crossover: pages of `limit` by marker, until every wanted server is seen", async () => {
    const wanted = [fleet[3], fleet[25], fleet[30]] as string[];
    const looks = await observe(deps, { ecl: ecl.client() }, wanted, {
      crossover: 2,
      pageSize: 10,
    });
    expect(kinds(looks)).toEqual(["seen list", "seen list", "seen list"]);
    // 6 sample servers, then the fleet: fleet[30] is the 37th, on the fourth page of 10.
    expect(lists().map((r) => [r.query.get("limit"), r.query.has("marker")])).toEqual([
      ["10", false],
      ["10", true],
      ["10", true],
      ["10", true],
    ]);
    expect(shows()).toEqual([]);
  });

  it("up to the crossover: each read directly, no list", async () => {
    const looks = await observe(deps, { ecl: ecl.client() }, [fleet[0], fleet[44]] as string[]);
    expect(kinds(looks)).toEqual(["seen read", "seen read"]);
    expect(lists()).toEqual([]);
    expect(shows()).toHaveLength(2);
  });

  it("a list ECL keeps failing: the wanted servers read directly", async () => {
    ecl.sim.model.inject({ route: "list", status: 503, times: 10 });
    const looks = await observe(
      deps,
      { ecl: ecl.client() },
      [fleet[1], fleet[2], fleet[3]] as string[],
      {
        crossover: 2,
      },
    );
    expect(kinds(looks)).toEqual(["seen read", "seen read", "seen read"]);
    // A page is tried twice (one retry), then given up.
    expect(lists()).toHaveLength(2);
  });

  it("a server deleted while the list is paged: its marker refused (400), the rest read directly", async () => {
    const client = ecl.client();
    // Between the first page and the second, the server whose id is the next marker is deleted.
    const deleting: FleetReads = {
      showServer: (id, options) => client.showServer(id, options),
      listServerPages: (options) => ({
        async *[Symbol.asyncIterator]() {
          let first = true;
          for await (const page of client.listServerPages(options)) {
            yield page;
            if (first) ecl.sim.model.removeServer(page.at(-1)?.id as string);
            first = false;
          }
        },
      }),
    };
    const wanted = [fleet[40], fleet[41], fleet[42]] as string[];
    const looks = await observe(deps, { ecl: deleting }, wanted, { crossover: 2, pageSize: 10 });
    expect(lists().map((r) => r.status)).toEqual([200, 400]);
    expect(kinds(looks)).toEqual(["seen read", "seen read", "seen read"]);
  });

  it("a wanted server a complete list leaves out is read directly: a 404 is gone", async () => {
    ecl.sim.model.removeServer(fleet[41] as string);
    const wanted = [fleet[40], fleet[41], fleet[42]] as string[];
    const looks = await observe(deps, { ecl: ecl.client() }, wanted, { crossover: 2 });
    expect(kinds(looks)).toEqual(["seen list", "gone", "seen list"]);
    expect(shows()).toEqual([`/v2/${SAMPLE.tenantId}/servers/${fleet[41]}`]);
  });
});
