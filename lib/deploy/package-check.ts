/**
 * What `npm run package` checks after osls has packaged: each function's zip holds its bundle
 * and the very policy that was checked, at the path the function reads (`BM_POLICY`). osls
 * packages by patterns, and a pattern that matches nothing is no error to it.
 */

import { posix } from "node:path";
import { BmError } from "../errors";

/** A file of a zip, as its central directory lists it. */
export interface ZipEntry {
  name: string;
  crc32: number;
  size: number;
}

/** A zip that cannot be read. For the deployer, in a terminal. */
export class ZipReadError extends BmError {
  readonly passing = false;
  readonly forUsers = false;
  override readonly name = "ZipReadError";
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
/** The end record is 22 bytes, and a comment after it at most 65535. */
const END_SEARCH = 22 + 0xffff;

/**
 * The files a zip's central directory lists, in its order.
 * @throws ZipReadError when it has no central directory, or one cut short.
 */
export function zipEntries(zip: Uint8Array): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = -1;
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - END_SEARCH); at--)
    if (view.getUint32(at, true) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  if (end < 0) throw new ZipReadError("not a zip: no end of central directory");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== DIRECTORY_ENTRY)
      throw new ZipReadError(`the central directory is cut short at entry ${i + 1} of ${count}`);
    const nameLength = view.getUint16(at + 28, true);
    const skip = nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    entries.push({
      name: new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength)),
      crc32: view.getUint32(at + 16, true),
      size: view.getUint32(at + 24, true),
    });
    at += 46 + skip;
  }
  return entries;
}

/** A function of the packaged template, and what its zip must hold. */
export interface PackagedFunction {
  /** The template's logical id, SlackLambdaFunction. */
  id: string;
  /** Its zip, in the package directory: slack.zip. */
  zip: string;
  /** Its bundle, from its handler: dist/slack.js. */
  bundle: string;
  /** The policy it reads, from BM_POLICY less /var/task/; undefined when it has none. */
  policy: string | undefined;
}

interface TemplateFunction {
  Type: string;
  Properties?: {
    Handler?: unknown;
    Code?: { S3Key?: unknown };
    Environment?: { Variables?: Record<string, unknown> };
  };
}

/** The functions of a packaged template (cloudformation-template-update-stack.json). */
export function packagedFunctions(template: {
  Resources: Record<string, TemplateFunction>;
}): PackagedFunction[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::Lambda::Function")
    .map(([id, r]) => {
      const key = String(r.Properties?.Code?.S3Key ?? "");
      const handler = String(r.Properties?.Handler ?? "");
      const policy = r.Properties?.Environment?.Variables?.BM_POLICY;
      return {
        id,
        zip: key.slice(key.lastIndexOf("/") + 1),
        bundle: `${handler.slice(0, handler.lastIndexOf("."))}.js`,
        policy: typeof policy === "string" ? policy.replace(/^\/var\/task\//, "") : undefined,
      };
    });
}

/** The policy that was checked: its path in the project, and its bytes' CRC-32 and length. */
export interface CheckedPolicy {
  file: string;
  crc32: number;
  size: number;
}

/**
 * What is wrong with the package: a function without its zip, a zip without its bundle or
 * `dist/package.json` (which keeps the bundle CommonJS), without the policy the function reads,
 * or with a policy other than the one checked. `zips` maps a zip's name to its entries, or to
 * undefined when the package has no such zip.
 */
export function packageProblems(
  functions: readonly PackagedFunction[],
  zips: ReadonlyMap<string, readonly ZipEntry[] | undefined>,
  policy: CheckedPolicy,
): string[] {
  const problems: string[] = [];
  for (const fn of functions) {
    const entries = zips.get(fn.zip);
    if (!entries) {
      problems.push(`${fn.id}: its zip ${fn.zip} is not in the package`);
      continue;
    }
    const entry = (name: string) => entries.find((e) => e.name === name);
    for (const name of [fn.bundle, "dist/package.json"])
      if (!entry(name)) problems.push(`${fn.zip} lacks ${name}: run npm run build`);
    // As the functions resolve it: /var/task/./policy.yml is /var/task/policy.yml.
    const file = posix.normalize(policy.file);
    if (fn.policy === undefined || posix.normalize(fn.policy) !== file) {
      problems.push(
        `${fn.id} reads BM_POLICY=/var/task/${fn.policy ?? ""}, not the policy checked, ${policy.file}`,
      );
      continue;
    }
    const packed = entry(file);
    if (!packed) problems.push(`${fn.zip} lacks the policy ${file}, which ${fn.id} reads`);
    else if (packed.crc32 !== policy.crc32 || packed.size !== policy.size)
      problems.push(
        `${fn.zip} holds a ${file} other than the one checked: package again (no --package of an old one)`,
      );
  }
  return problems;
}
