import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Unkindness } from "../../local/ecl-simulator/model";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { bmCommand } from "../support/cli";
import { type EclFixture, eclFixture } from "../support/ecl-fixture";

/**
 * `bm detach --wait`, as a user runs it, against the simulator in each unkind mode: it ends as
 * ECL would have it, done, or a failure that says what ECL said. The secret is the Keystone one,
 * without api_endpoint: the catalog names the endpoint.
 */
let ecl: EclFixture;
let cli: Awaited<ReturnType<typeof bmCommand>>;

beforeAll(async () => {
  ecl = await eclFixture({ taskMs: 300 });
  cli = await bmCommand(ecl.sim.url);
});
afterAll(async () => {
  await ecl.close();
  await cli.close();
});

const bm = (...args: string[]) => cli.run(...args);

afterEach(() => {
  ecl.sim.model.unkind = {};
});

const fresh = (media: string[] = [SAMPLE.image]) =>
  ecl.sim.model.addServer(SAMPLE.tenantId, {
    name: `cli-${Math.random().toString(36).slice(2, 8)}`,
    media,
  });

const MODES: Array<[string, Unkindness, RegExp | undefined]> = [
  ["capped list pages", { cappedPageSize: 1 }, undefined],
  [
    "no media_attachments",
    { noMedia: true },
    /^ECL did not list media for this server; bm cannot tell whether the image is attached; bm sends the detach and lets ECL answer$/m,
  ],
  ["a 409 race", { race409Ms: 500 }, /^ECL answered 409 \(task_state not None\): a task started/m],
  ["a media change that shows late", { mediaDelayMs: 800 }, undefined],
  ["actions slower than a read's timeout", { slowActionMs: 1500 }, undefined],
  [
    "all of them at once",
    { cappedPageSize: 1, noMedia: true, race409Ms: 500, mediaDelayMs: 800, slowActionMs: 1500 },
    /^ECL answered 409/m,
  ],
];

describe("bm detach --wait against an unkind ECL", () => {
  it.each(MODES)("%s: done", async (_, unkind, says) => {
    ecl.sim.model.unkind = unkind;
    const server = fresh();

    const result = await bm(
      "detach",
      server.name,
      SAMPLE.image,
      "--wait",
      "--interval",
      "0.2",
      "--grace",
      "2",
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    if (says) expect(result.stdout).toMatch(says);
    expect(result.stdout.trim().split("\n").at(-1)).toMatch(
      unkind.noMedia
        ? new RegExp(
            `^done in \\d+\\.\\ds: ${server.name} is idle again\\. ECL did not list media for this server, so bm judged completion by task_state alone and cannot confirm that ${SAMPLE.image} is gone\\.$`,
          )
        : new RegExp(`^done in \\d+\\.\\ds: ${SAMPLE.image} is detached from ${server.name}$`),
    );
    expect(ecl.sim.model.server(server.id)?.media).toEqual([]);
  });

  it("no media_attachments and the image not attached: the failure says what ECL said", async () => {
    ecl.sim.model.unkind = { noMedia: true };
    const server = fresh([]);

    const result = await bm("detach", server.name, SAMPLE.image, "--wait");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^bm: sending the detach: ECL answered 404 \\(not found\\): Image ${SAMPLE.image} is not attached to instance ${server.id}\\. \\(request id req-[0-9a-f-]+\\)\\n$`,
      ),
    );
  });

  it("bm status says when ECL does not list a server's media", async () => {
    ecl.sim.model.unkind = { noMedia: true };
    const result = await bm("status", "web01");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  media       (not listed: ECL left media_attachments out)");
  });
});
