import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { bmCommand } from "../support/cli";
import { type EclFixture, eclFixture } from "../support/ecl-fixture";

/** The `bm` command as a user runs it: a child process, a secrets file, the simulator. */
let ecl: EclFixture;
let cli: Awaited<ReturnType<typeof bmCommand>>;

beforeAll(async () => {
  ecl = await eclFixture({ taskMs: 1500 });
  cli = await bmCommand(ecl.sim.url);
});
afterAll(async () => {
  await ecl.close();
  await cli.close();
});

const bm = (...args: string[]) => cli.run(...args);

describe("bm", () => {
  it("media: the servers of one image, named by the simulator's image service", async () => {
    const result = await bm("media", SAMPLE.otherImage);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(result.stdout.trim().split("\n")).toEqual([
      `2 servers with virtual media attached, 1 image (image ${SAMPLE.otherImage})`,
      `${SAMPLE.otherImage}  firmware-update-2.4.iso: 2 servers`,
      "  app  66666666-7777-4888-9999-aaaaaaaaaaaa  ACTIVE, power RUNNING, task_state None (idle)",
      "  db01  7f3c2a10-4b5d-4e6f-8a9b-0c1d2e3f4a5b  ACTIVE, power SHUTDOWN, task_state None (idle)",
      "How long each has been mounted: /bm media in Slack shows bm's first sightings.",
    ]);
  });

  it("detaches with --wait against the simulator, printing progress", async () => {
    const result = await bm("detach", "web01", SAMPLE.image, "--wait", "--interval", "0.5");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe(`web01 (${SAMPLE.web01}): task_state None (idle)`);
    expect(lines[1]).toMatch(
      /^ECL accepted the detach of 3339fd5f-ec06-4ef8-9337-c1c70218a748 \(200, request id req-[0-9a-f-]+\)$/,
    );
    expect(lines).toContain("[   0.0s] task_state MEDIA_DETACHING (busy), image still attached");
    expect(lines.at(-2)).toMatch(/^\[ +\d+\.\ds\] task_state None \(idle\), image gone$/);
    expect(lines.at(-1)).toMatch(
      /^done in \d+\.\ds: 3339fd5f-ec06-4ef8-9337-c1c70218a748 is detached from web01$/,
    );
    expect(ecl.sim.model.server(SAMPLE.web01)?.media).toEqual([]);
  });

  it("without the image, lists those attached by id and name, and asks for one", async () => {
    const result = await bm("detach", "db01");
    expect(result.code).toBe(2);
    expect(result.stdout.trim().split("\n")).toEqual([
      "db01 (7f3c2a10-4b5d-4e6f-8a9b-0c1d2e3f4a5b): task_state None (idle)",
      "images attached to db01:",
      `  ${SAMPLE.otherImage}  firmware-update-2.4.iso`,
    ]);
    expect(result.stderr).toBe("bm: give the id of the image to detach: bm detach db01 <image>\n");
  });

  it("shows a server by id with a fixed-token secret", async () => {
    const result = await bm("status", SAMPLE.web01, "--secret", "bm/tenant/sample-token");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  task_state  None (idle)");
  });

  it.each([
    [
      ["detach", "app", SAMPLE.image],
      2,
      /^bm: 2 servers in the tenant of secret bm\/tenant\/sample are named "app": give the id of the one you mean \(bm status <id> shows each\)\n$/,
    ],
    [
      ["status", "00000000-0000-4000-8000-000000000000"],
      1,
      /^bm: no server in the tenant of secret bm\/tenant\/sample has the id 00000000-0000-4000-8000-000000000000\n$/,
    ],
    [
      ["status", "web01", "--secret", "bm/tenant/missing"],
      1,
      /^bm: reading the server: secret "bm\/tenant\/missing" is not in .*secrets\.json\n$/,
    ],
    [
      ["detach", "web01", "not-a-uuid"],
      2,
      /^bm: the image must be an image id \(a UUID\), not "not-a-uuid"\n/,
    ],
  ])("%j exits %i with a one-line reason", async (args, code, stderr) => {
    const result = await bm(...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(stderr);
  });

  it("a mistyped name: the close names, as Slack offers them, and exit 1", async () => {
    const result = await bm("detach", "web1", SAMPLE.image);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'bm: no server in the tenant of secret bm/tenant/sample is named "web1". Did you mean one of these?\n',
    );
    // The order is Slack's ranking of close names, which may put those with the image first.
    expect(result.stdout).toMatch(
      /^ {2}web01 {2}[0-9a-f-]{36} {2}(no image attached|1 image attached: [0-9a-f-]{36})$/m,
    );
    expect(result.stdout).toMatch(/^ {2}web010 /m);
    expect(result.stdout).toMatch(/^ {2}web02 /m);
  });

  it("--help says what each exit code means", async () => {
    const result = await bm("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\nExit codes:\n  0  done, or nothing to do");
  });

  it("names the status, its meaning and the request id when ECL refuses", async () => {
    ecl.sim.model.inject({ route: "action", status: 500 });
    ecl.sim.model.addServer(SAMPLE.tenantId, { name: "web03", media: [SAMPLE.image] });
    const result = await bm("detach", "web03", SAMPLE.image);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^bm: sending the detach: ECL answered 500 \(compute fault\): The server has either erred or is incapable of performing the requested operation\. \(request id req-[0-9a-f-]+\)\n$/,
    );
  });
});
