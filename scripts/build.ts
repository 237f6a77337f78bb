/**
 * `npm run build`: the five Lambda bundles, dist/slack.js, dist/worker.js, dist/followup.js,
 * dist/archiver.js and dist/audit-check.js (esbuild, minified, CommonJS, each exporting `handler`).
 *
 * What keeps them small and quick to load (each guarded by test/integration/bundle.test.ts,
 * which sends a signed request through the built dist/slack.js):
 * - ES module builds of the AWS SDK, so unused code is dropped;
 * - Bolt's socket mode, Express and OAuth, which a Lambda never runs, replaced by an empty module;
 * - the SDK's default credential chain replaced by the environment provider: on Lambda the
 *   role's credentials are always in the environment.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type BuildOptions, build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");
const EMPTY = join(ROOT, "build/empty.cjs");

export const BUILD_OPTIONS: BuildOptions = {
  entryPoints: {
    slack: join(ROOT, "handlers/slack.ts"),
    worker: join(ROOT, "handlers/worker.ts"),
    followup: join(ROOT, "handlers/followup.ts"),
    archiver: join(ROOT, "handlers/archiver.ts"),
    "audit-check": join(ROOT, "handlers/audit-check.ts"),
  },
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  minify: true,
  legalComments: "none",
  mainFields: ["module", "main"],
  conditions: ["module"],
  alias: {
    "@slack/socket-mode": EMPTY,
    "@slack/oauth": EMPTY,
    express: EMPTY,
    "raw-body": EMPTY,
    bowser: EMPTY,
    "@aws-sdk/credential-provider-node": join(ROOT, "build/lambda-credentials.ts"),
  },
  logLevel: "warning",
};

/** Builds the bundles into `outdir` and returns each file's size in bytes. */
export async function buildBundles(outdir = join(ROOT, "dist")): Promise<Record<string, number>> {
  await mkdir(outdir, { recursive: true });
  const result = await build({ ...BUILD_OPTIONS, outdir, metafile: true });
  await writeFile(join(outdir, "meta.json"), JSON.stringify(result.metafile));
  // The bundles are CommonJS wherever they are copied, whatever the package.json above says.
  await writeFile(join(outdir, "package.json"), '{ "type": "commonjs" }\n');
  const sizes: Record<string, number> = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (file.endsWith(".js")) sizes[file.split("/").at(-1) as string] = output.bytes;
  }
  return sizes;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const sizes = await buildBundles(process.argv[2] ? resolve(process.argv[2]) : undefined);
  for (const [file, bytes] of Object.entries(sizes))
    console.log(`dist/${file}  ${(bytes / 1024).toFixed(0)} KB`);
}
