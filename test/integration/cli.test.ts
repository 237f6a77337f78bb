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

describe("bm detach --all", () => {
  /** `n` fresh servers named `<prefix>NN`, each with `media`: their ids. */
  function servers(prefix: string, n: number, media: string[] = [SAMPLE.image]): string[] {
    return Array.from({ length: n }, (_, i) => {
      const name = `${prefix}${String(i + 1).padStart(2, "0")}`;
      return ecl.sim.model.addServer(SAMPLE.tenantId, { name, media }).id;
    });
  }
  /** `bm detach --all` of the sample's image for the servers named `<prefix>…`. */
  const fleetOf = (prefix: string, ...more: string[]) => [
    "detach",
    "--all",
    SAMPLE.image,
    "--match",
    prefix,
    ...more,
  ];
  const fresh = (what: string) => `${what}-${Math.random().toString(36).slice(2, 7)}-`;
  /** The POSTs of server actions ECL received for each of these servers. */
  const postsTo = (ids: string[]) =>
    ids.map(
      (id) => ecl.sim.requests.filter((r) => r.route === "action" && r.path.includes(id)).length,
    );

  it("30 with the image: one POST each, none to the others, a count per change, exit 0", async () => {
    const prefix = fresh("fl");
    const targets = servers(prefix, 30);
    const others = servers(`${prefix}x`, 5, [SAMPLE.otherImage]);
    const from = ecl.sim.requests.length;
    const result = await bm(...fleetOf(prefix, "--wait", "--interval", "0.5"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe(
      `30 servers whose name starts with "${prefix}" in the tenant of secret bm/tenant/sample with image ${SAMPLE.image} attached: ${prefix}01, ${prefix}02, ${prefix}03, ${prefix}04, ${prefix}05 and 25 more`,
    );
    expect(lines[1]).toMatch(/^\[ +\d+\.\ds\] 0 of 30 done, 10 in flight, 20 queued$/);
    const counts = lines.slice(1, -1);
    // One line per change: each target's end changes the count once, so 31 lines at most.
    expect(counts.length).toBeLessThanOrEqual(31);
    expect(new Set(counts.map((l) => l.replace(/^\[[^\]]*\] /, ""))).size).toBe(counts.length);
    expect(counts.every((l) => /^\[ +\d+\.\ds\] \d+ of 30 done/.test(l))).toBe(true);
    expect(counts.at(-1)).toMatch(/\] 30 of 30 done$/);
    expect(lines.at(-1)).toBe("outcome: 30 done");
    expect(postsTo(targets)).toEqual(targets.map(() => 1));
    expect(postsTo(others)).toEqual(others.map(() => 0));
    for (const id of targets) expect(ecl.sim.model.server(id)?.media).toEqual([]);
    // One list of the tenant's servers; each target read before its turn and while waited for.
    const routes = ecl.sim.requests.slice(from).map((r) => r.route);
    expect(routes.filter((r) => r === "list")).toHaveLength(1);
    expect(routes.filter((r) => r === "action")).toHaveLength(30);
  }, 60_000);

  it("one target answering 404, one 409 once: the rest done, the failure named, exit 1", async () => {
    const prefix = fresh("mix");
    const ids = servers(prefix, 6);
    const [gone, refusing] = ids as [string, string];
    ecl.sim.model.inject({ route: "action", server: gone, status: 404 });
    ecl.sim.model.inject({ route: "action", server: refusing, status: 409 });
    const result = await bm(...fleetOf(prefix, "--interval", "0.5"));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${prefix}01 failed: ECL answered 404 \\(not found\\).*\\(request id req-[0-9a-f-]+\\)$`,
        "m",
      ),
    );
    expect(result.stderr).toMatch(
      new RegExp(
        `^bm: not every target ended done: 5 done; 1 failed: \`${prefix}01\` \\(ECL answered 404`,
      ),
    );
    // The 409 waited out and sent again once: two POSTs, one accepted; one to each of the rest.
    expect(postsTo(ids)).toEqual([1, 2, 1, 1, 1, 1]);
  }, 60_000);

  it("--match: only the servers whose name starts with it", async () => {
    const prefix = fresh("m");
    const wide = servers(`${prefix}a`, 3);
    const narrow = servers(`${prefix}ab`, 2);
    const result = await bm("detach", "--all", SAMPLE.image, "--match", `${prefix}ab`);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toMatch(/^2 servers whose name starts with/);
    expect(postsTo(narrow)).toEqual([1, 1]);
    expect(postsTo(wide)).toEqual([0, 0, 0]);
  }, 60_000);

  it("Ctrl-C: those sent are waited for, the rest never sent, exit 1", async () => {
    const prefix = fresh("cc");
    const ids = servers(prefix, 5);
    ecl.sim.model.hold();
    const { child, done } = cli.start(
      ...fleetOf(prefix, "--in-flight", "2", "--wait", "--interval", "0.3"),
    );
    try {
      // Both first targets sent and held detaching: then Ctrl-C.
      for (let i = 0; i < 200 && postsTo(ids).slice(0, 2).join() !== "1,1"; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill("SIGINT");
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      ecl.sim.model.release();
    }
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "Ctrl-C: bm sends no more detaches; those sent are waited for (Ctrl-C again stops waiting)\n",
    );
    expect(result.stderr).toBe("bm: not every target ended done: 2 done; 3 cancelled\n");
    expect(postsTo(ids)).toEqual([1, 1, 0, 0, 0]);
  }, 60_000);

  it("a server and --all together: exit 2, nothing read", async () => {
    const before = ecl.sim.requests.length;
    const result = await bm("detach", "--all", "web01", SAMPLE.image);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("bm: give a server or --all, not both: bm detach --all <image>\n");
    expect(ecl.sim.requests.length).toBe(before);
  });
});
