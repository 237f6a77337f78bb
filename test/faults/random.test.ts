/**
 * The seeded random mode of the fault suite: many faults at once, picked from the matrix's sites
 * by a seed, for longer runs outside `npm test`:
 *
 *   BM_FAULT_SEED=42 BM_FAULT_RUNS=50 npx vitest run test/faults/random.test.ts
 *
 * Each run's name carries the seed and its faults, so a failure can be run again as it was.
 * Without BM_FAULT_SEED (as in `npm test`), it is skipped.
 */
import { describe, it } from "vitest";
import type { FaultKind } from "../../local/stand-ins/aws-fault-proxy";
import { detachUnder, type Site, useFaultStack } from "./matrix";
import { DYNAMO_SITES } from "./sites-dynamo";
import { OTHER_SITES, SQS_SITES } from "./sites-others";

const SEED = Number(process.env.BM_FAULT_SEED);
const RUNS = Number(process.env.BM_FAULT_RUNS ?? 20);

/** mulberry32: a small seeded generator, the same numbers for the same seed everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to three faults on different sites, for one run. */
function pick(next: () => number): Array<{ site: Site; kind: FaultKind }> {
  const sites = [...DYNAMO_SITES, ...SQS_SITES, ...OTHER_SITES].filter((s) => !s.approval);
  const chosen: Array<{ site: Site; kind: FaultKind }> = [];
  const count = 1 + Math.floor(next() * 3);
  while (chosen.length < count) {
    const site = sites[Math.floor(next() * sites.length)] as Site;
    if (chosen.some((c) => c.site === site)) continue;
    chosen.push({ site, kind: site.kinds[Math.floor(next() * site.kinds.length)] as FaultKind });
  }
  return chosen;
}

describe.runIf(Number.isInteger(SEED))(`random faults, seed ${SEED}`, () => {
  const { stack, server } = useFaultStack();
  const next = random(SEED);
  for (let run = 0; run < RUNS; run++) {
    const faults = pick(next);
    const ends = [...new Set(["done", ...faults.map((f) => f.site.expect?.[f.kind] ?? "done")])];
    const names = faults.map((f) => `${f.site.name}: ${f.kind}`).join(" + ");
    it(`seed ${SEED} run ${run}: ${names}`, () => detachUnder(stack(), server(), faults, ends));
  }
});
