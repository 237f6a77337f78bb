/**
 * `npm run bench:fleet`: what one observation round of the follow-up costs against large fleets,
 * written to bench/results/fleet.json. Not a test: numbers to read, compare and report
 * (docs/operations.md#the-follow-up-against-large-fleets).
 *
 * For each scenario (tenants × servers, servers wanted in total, spread evenly over each tenant's
 * list), the simulator runs in a process of its own, seeded with the fleet, answering with a
 * latency (below); and in a fresh process each, a round reads every tenant at once (one HTTP pool,
 * as tenants of one region share one endpoint), one warm-up and then `BENCH_FLEET_ROUNDS` rounds:
 * - `observe`: observe() as it ships (its strategy by the crossover);
 * - `list`/`reads`: observe() forced to one strategy, for the crossover's comparison;
 * - `legacy`: the round as it was, `listServers()` of every server of the tenant, unpaged.
 * Measured: time per round (median, max), peak RSS and heap during the rounds (sampled every
 * 5 ms) and before them, the ECL response bytes and requests per round.
 *
 * Latency (BENCH_FLEET_LATENCY_MS, BENCH_FLEET_PER_SERVER_MS): every request 50 ms, plus 1.5 ms
 * per server on a page of the list: a page of 100 takes 200 ms, a show 50 ms, a page of 1,000
 * (the simulator's largest, as Nova's max_limit) 1.55 s. docs/architecture.md says why.
 *
 * Modes, for the child processes: `fleet.ts simulator T N`, `fleet.ts observer URL T N W MODE`.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { EclClient } from "../lib/ecl/client";
import { HttpPools } from "../lib/ecl/http";
import { StaticTokens } from "../lib/ecl/tokens";
import { type Look, OBSERVE_DEFAULTS, observe } from "../lib/followup/observe";
import { hostPatterns } from "../lib/net/endpoint-rule";
import { startEclSimulator } from "../local/ecl-simulator/server";

const ROOT = resolve(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_FLEET_ROUNDS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_FLEET_LATENCY_MS ?? 50);
const PER_SERVER_MS = Number(process.env.BENCH_FLEET_PER_SERVER_MS ?? 1.5);
const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

const tenantId = (t: number) => t.toString(16).padStart(32, "0");
const tokenOf = (t: number) => `bench-token-${t}`;
const serverId = (t: number, i: number) =>
  `${t.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

/** `w` servers of a tenant of `n`, spread evenly over its list (the last near its end). */
function wantedOf(t: number, n: number, w: number): string[] {
  return Array.from({ length: w }, (_, j) => serverId(t, Math.floor(((j + 1) * n) / w) - 1));
}

type Mode = "observe" | "list" | "reads" | "legacy";

async function simulator(tenants: number, servers: number) {
  const sim = await startEclSimulator({
    latencyMs: LATENCY_MS,
    pageLatency: { perServerMs: PER_SERVER_MS },
  });
  for (let t = 0; t < tenants; t++) {
    sim.model.addTenant(tenantId(t), { token: tokenOf(t) });
    for (let i = 0; i < servers; i++)
      sim.model.addServer(tenantId(t), { id: serverId(t, i), name: `srv-${i}`, media: [IMAGE] });
  }
  console.log(JSON.stringify({ url: sim.url }));
  // Stops when the bench closes its stdin.
  process.stdin.resume();
  process.stdin.on("end", () => void sim.close().then(() => process.exit(0)));
}

async function observer(url: string, tenants: number, servers: number, wanted: number, mode: Mode) {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const pools = new HttpPools({}, { allow: hostPatterns("127.0.0.1") });
  let bytes = 0;
  let requests = 0;
  const clients = Array.from(
    { length: tenants },
    (_, t) =>
      new EclClient({
        apiEndpoint: url,
        tenantId: tenantId(t),
        tokens: new StaticTokens(tokenOf(t)),
        send: async (request) => {
          const response = await pools.send(request);
          requests++;
          bytes += Buffer.byteLength(response.body);
          return response;
        },
      }),
  );
  const perTenant = wanted / tenants;
  const ids = clients.map((_, t) => wantedOf(t, servers, perTenant));
  const deps = { log: { warn: (message: string) => console.error(message) } };
  const forced =
    mode === "list"
      ? { crossover: 0 }
      : mode === "reads"
        ? { crossover: Number.POSITIVE_INFINITY }
        : {};
  const round = () =>
    Promise.all(
      clients.map(async (ecl, t): Promise<number> => {
        const mine = ids[t] as string[];
        if (mode === "legacy") {
          // The round as it was: every server of the tenant, then the wanted picked out.
          const all = new Map((await ecl.listServers()).map((s) => [s.id, s]));
          return mine.filter((id) => all.has(id)).length;
        }
        const looks: Map<string, Look> = await observe(deps, { ecl }, mine, forced);
        return [...looks.values()].filter((l) => l.kind === "seen").length;
      }),
    );

  await round(); // warm-up: connections opened, code compiled
  const rssBefore = process.memoryUsage().rss;
  gc();
  const baseline = { ...process.memoryUsage(), rss: rssBefore };
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 5);
  const times: number[] = [];
  let seen = 0;
  const before = { bytes, requests };
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    seen = (await round()).reduce((a, b) => a + b, 0);
    times.push(performance.now() - started);
  }
  clearInterval(sampler);
  await pools.close();
  times.sort((a, b) => a - b);
  const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  console.log(
    JSON.stringify({
      mode,
      seen,
      roundMs: {
        median: Math.round(times[Math.floor(times.length / 2)] as number),
        max: Math.round(times.at(-1) as number),
      },
      rssMB: { before: mb(baseline.rss), peak: mb(peakRss), added: mb(peakRss - baseline.rss) },
      heapMB: {
        before: mb(baseline.heapUsed),
        peak: mb(peakHeap),
        added: mb(peakHeap - baseline.heapUsed),
      },
      eclPerRound: {
        kB: Math.round((bytes - before.bytes) / ROUNDS / 1024),
        requests: Math.round((requests - before.requests) / ROUNDS),
      },
    }),
  );
  process.exit(0);
}

const TSX = join(ROOT, "node_modules/.bin/tsx");
const SELF = join(ROOT, "bench/fleet.ts");
const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: "1" };

function startSimulator(
  tenants: number,
  servers: number,
): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, [SELF, "simulator", String(tenants), String(servers)], {
      env: { ...childEnv, ...simulatorEnv() },
      stdio: ["pipe", "pipe", "inherit"],
    });
    child.once("error", reject);
    child.stdout?.once("data", (data: Buffer) =>
      resolvePromise({ url: JSON.parse(data.toString().trim()).url, child }),
    );
  });
}
function simulatorEnv() {
  return {
    BENCH_FLEET_LATENCY_MS: String(LATENCY_MS),
    BENCH_FLEET_PER_SERVER_MS: String(PER_SERVER_MS),
  };
}

function runObserver(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) =>
    execFile(
      TSX,
      [SELF, "observer", ...args],
      { env: { ...childEnv, BENCH_FLEET_ROUNDS: String(ROUNDS) }, maxBuffer: 1 << 20 },
      (error, stdout) =>
        error
          ? reject(new Error(`observer ${args.join(" ")}: ${stdout || error.message}`))
          : resolvePromise(JSON.parse(stdout.trim().split("\n").at(-1) as string)),
    ),
  );
}

interface Scenario {
  name: string;
  tenants: number;
  servers: number;
  wanted: number;
  modes: Mode[];
}
const SCENARIOS: Scenario[] = [
  {
    name: "1 tenant × 50 servers, 1 wanted",
    tenants: 1,
    servers: 50,
    wanted: 1,
    modes: ["observe", "legacy"],
  },
  {
    name: "1 tenant × 5,000 servers, 1 wanted",
    tenants: 1,
    servers: 5000,
    wanted: 1,
    modes: ["observe", "legacy"],
  },
  {
    name: "1 tenant × 5,000 servers, 200 wanted",
    tenants: 1,
    servers: 5000,
    wanted: 200,
    modes: ["observe", "list", "legacy"],
  },
  {
    name: "50 tenants × 1,000 servers, 200 wanted",
    tenants: 50,
    servers: 1000,
    wanted: 200,
    modes: ["observe", "list", "legacy"],
  },
  // The crossover's neighbourhood: a smaller tenant, where the list is at its cheapest.
  {
    name: "1 tenant × 1,000 servers, 200 wanted",
    tenants: 1,
    servers: 1000,
    wanted: 200,
    modes: ["reads", "list"],
  },
  {
    name: "1 tenant × 1,000 servers, 50 wanted",
    tenants: 1,
    servers: 1000,
    wanted: 50,
    modes: ["reads", "list"],
  },
];

async function bench() {
  const only = process.env.BENCH_FLEET_ONLY;
  const results: Array<Scenario & { runs: Array<Record<string, unknown>> }> = [];
  for (const scenario of SCENARIOS) {
    if (only && !scenario.name.includes(only)) continue;
    const { url, child } = await startSimulator(scenario.tenants, scenario.servers);
    const runs: Array<Record<string, unknown>> = [];
    for (const mode of scenario.modes) {
      const run = await runObserver([
        url,
        String(scenario.tenants),
        String(scenario.servers),
        String(scenario.wanted),
        mode,
      ]);
      console.error(`${scenario.name}: ${JSON.stringify(run)}`);
      runs.push(run);
    }
    child.stdin?.end();
    await new Promise((r) => child.once("exit", r));
    results.push({ ...scenario, runs });
  }
  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    latency: { everyRequestMs: LATENCY_MS, perServerOnAPageMs: PER_SERVER_MS },
    rounds: ROUNDS,
    observe: OBSERVE_DEFAULTS,
    scenarios: results,
  };
  await mkdir(join(ROOT, "bench/results"), { recursive: true });
  await writeFile(join(ROOT, "bench/results/fleet.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "simulator") await simulator(Number(args[0]), Number(args[1]));
else if (mode === "observer")
  await observer(
    args[0] as string,
    Number(args[1]),
    Number(args[2]),
    Number(args[3]),
    args[4] as Mode,
  );
else await bench();
