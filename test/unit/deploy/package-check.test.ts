import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  type PackagedFunction,
  packagedFunctions,
  packageProblems,
  type ZipEntry,
  ZipReadError,
  zipEntries,
} from "../../../lib/deploy/package-check";

/** A zip of stored (uncompressed) files, as the format writes it, with a comment at its end. */
function storedZip(files: Record<string, string>, comment = "", extras = true): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, data);
    const extra = Buffer.from(extras ? "XX" : "");
    const fileComment = Buffer.from(extras ? "c" : "");
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt16LE(fileComment.length, 32);
    entry.writeUInt32LE(offset, 42);
    directory.push(entry, nameBytes, extra, fileComment);
    offset += 30 + nameBytes.length + data.length;
  }
  const dir = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([...locals, dir, end, Buffer.from(comment)]);
}

const POLICY = "team_ids: [T0001]\n";
const entryOf = (name: string, text: string): ZipEntry => ({
  name,
  crc32: crc32(Buffer.from(text)),
  size: Buffer.byteLength(text),
});

describe("zipEntries: the files a zip's central directory lists", () => {
  it("reads each name, CRC-32 and size, past extra fields, comments and a comment at the end", () => {
    const zip = storedZip(
      { "dist/slack.js": "exports.handler=1", "dist/package.json": "{}", "policy.yml": POLICY },
      "a comment after the end record",
    );
    expect(zipEntries(zip)).toEqual([
      entryOf("dist/slack.js", "exports.handler=1"),
      entryOf("dist/package.json", "{}"),
      entryOf("policy.yml", POLICY),
    ]);
  });

  it("reads a zip inside a larger buffer, and one with no file", () => {
    const zip = storedZip({ "a.txt": "a" });
    const larger = Buffer.concat([Buffer.from("padding"), zip]);
    expect(zipEntries(larger.subarray(7))).toEqual([entryOf("a.txt", "a")]);
    expect(zipEntries(storedZip({}))).toEqual([]);
  });

  it("finds the end record 65535 bytes of comment away, no further", () => {
    expect(zipEntries(storedZip({ "a.txt": "a" }, "x".repeat(0xffff)))).toEqual([
      entryOf("a.txt", "a"),
    ]);
    const tooFar = Buffer.concat([storedZip({ "a.txt": "a" }), Buffer.alloc(0x10000)]);
    expect(() => zipEntries(tooFar)).toThrow("not a zip: no end of central directory");
  });

  it("reads an entry that ends right where the end record starts", () => {
    expect(zipEntries(storedZip({ "": "" }, "", false))).toEqual([entryOf("", "")]);
  });

  it("refuses a directory said to start past its end, as a ZipReadError for the deployer", () => {
    const zip = storedZip({ "a.txt": "a" });
    zip.writeUInt32LE(zip.length - 2, zip.length - 22 + 16);
    expect(() => zipEntries(zip)).toThrow("the central directory is cut short at entry 1 of 1");
    try {
      zipEntries(Buffer.alloc(30));
    } catch (error) {
      expect(error).toBeInstanceOf(ZipReadError);
      expect(error).toMatchObject({ name: "ZipReadError", passing: false, forUsers: false });
    }
    expect.assertions(3);
  });

  it("refuses what is no zip, or a directory cut short", () => {
    expect(() => zipEntries(Buffer.from("not a zip at all, only text"))).toThrow(ZipReadError);
    expect(() => zipEntries(Buffer.alloc(10))).toThrow("not a zip: no end of central directory");
    const zip = storedZip({ "a.txt": "a", "b.txt": "b" });
    // The end record claims three entries: the third is not there.
    zip.writeUInt16LE(3, zip.length - 22 + 10);
    expect(() => zipEntries(zip)).toThrow("the central directory is cut short at entry 3 of 3");
    const bad = storedZip({ "a.txt": "a" });
    bad.writeUInt32LE(0, bad.length - 22 + 16);
    expect(() => zipEntries(bad)).toThrow("the central directory is cut short at entry 1 of 1");
  });
});

describe("packagedFunctions: each function's zip, bundle and policy, from the template", () => {
  it("reads the zip from the S3 key, the bundle from the handler, the policy from BM_POLICY", () => {
    const fn = (handler: string, key: string, policy?: unknown) => ({
      Type: "AWS::Lambda::Function",
      Properties: {
        Handler: handler,
        Code: { S3Bucket: { Ref: "B" }, S3Key: key },
        Environment: { Variables: policy === undefined ? {} : { BM_POLICY: policy } },
      },
    });
    expect(
      packagedFunctions({
        Resources: {
          SlackLambdaFunction: fn(
            "dist/slack.handler",
            "serverless/bm/ci/1/slack.zip",
            "/var/task/policy.yml",
          ),
          AuditCheckLambdaFunction: fn(
            "dist/audit-check.handler",
            "s/auditCheck.zip",
            "/var/task/infra/p.yml",
          ),
          NoPolicyLambdaFunction: fn("dist/x.handler", "x.zip"),
          OddPolicyLambdaFunction: fn("dist/y.handler", "y.zip", { Ref: "P" }),
          SlackRole: { Type: "AWS::IAM::Role" },
        },
      }),
    ).toEqual([
      {
        id: "SlackLambdaFunction",
        zip: "slack.zip",
        bundle: "dist/slack.js",
        policy: "policy.yml",
      },
      {
        id: "AuditCheckLambdaFunction",
        zip: "auditCheck.zip",
        bundle: "dist/audit-check.js",
        policy: "infra/p.yml",
      },
      { id: "NoPolicyLambdaFunction", zip: "x.zip", bundle: "dist/x.js", policy: undefined },
      { id: "OddPolicyLambdaFunction", zip: "y.zip", bundle: "dist/y.js", policy: undefined },
    ]);
  });

  it("reads a function without properties, environment or variables as having no policy", () => {
    const F = "AWS::Lambda::Function";
    expect(
      packagedFunctions({
        Resources: {
          A: { Type: F },
          B: { Type: F, Properties: {} },
          C: { Type: F, Properties: { Environment: {} } },
          D: { Type: F, Properties: { Code: {}, Environment: { Variables: {} } } },
        },
      }),
    ).toEqual(
      ["A", "B", "C", "D"].map((id) => ({ id, zip: "", bundle: ".js", policy: undefined })),
    );
  });

  it("keeps a BM_POLICY outside /var/task/ as it is", () => {
    const [only] = packagedFunctions({
      Resources: {
        F: {
          Type: "AWS::Lambda::Function",
          Properties: { Environment: { Variables: { BM_POLICY: "/opt/var/task/p.yml" } } },
        },
      },
    });
    expect(only).toEqual({ id: "F", zip: "", bundle: ".js", policy: "/opt/var/task/p.yml" });
  });
});

describe("packageProblems: each zip holds its bundle and the policy checked", () => {
  const slack: PackagedFunction = {
    id: "SlackLambdaFunction",
    zip: "slack.zip",
    bundle: "dist/slack.js",
    policy: "policy.yml",
  };
  const checked = { file: "policy.yml", ...entryOf("policy.yml", POLICY) };
  const good = [
    entryOf("dist/package.json", "{}"),
    entryOf("dist/slack.js", "js"),
    entryOf("policy.yml", POLICY),
  ];
  const problems = (entries: ZipEntry[] | undefined, fn = slack, policy = checked) =>
    packageProblems([fn], new Map([["slack.zip", entries]]), policy);

  it("finds nothing wrong with a zip holding its bundle, dist/package.json and the policy checked", () => {
    expect(problems(good)).toEqual([]);
    // ./policy.yml is the path /var/task/./policy.yml resolves to.
    expect(
      problems(good, { ...slack, policy: "./policy.yml" }, { ...checked, file: "./policy.yml" }),
    ).toEqual([]);
  });

  it("names a zip that is not there, and each thing a zip lacks", () => {
    expect(problems(undefined)).toEqual([
      "SlackLambdaFunction: its zip slack.zip is not in the package",
    ]);
    expect(packageProblems([slack], new Map(), checked)).toEqual([
      "SlackLambdaFunction: its zip slack.zip is not in the package",
    ]);
    expect(problems([])).toEqual([
      "slack.zip lacks dist/slack.js: run npm run build",
      "slack.zip lacks dist/package.json: run npm run build",
      "slack.zip lacks the policy policy.yml, which SlackLambdaFunction reads",
    ]);
    expect(problems(good.filter((e) => e.name !== "policy.yml"))).toEqual([
      "slack.zip lacks the policy policy.yml, which SlackLambdaFunction reads",
    ]);
  });

  it("names a policy other than the one checked: other bytes, or another path", () => {
    const other = good.map((e) =>
      e.name === "policy.yml" ? entryOf("policy.yml", "team_ids: [T0002]\n") : e,
    );
    const expected =
      "slack.zip holds a policy.yml other than the one checked: package again (no --package of an old one)";
    expect(problems(other)).toEqual([expected]);
    expect(
      problems(good.map((e) => (e.name === "policy.yml" ? { ...e, size: e.size + 1 } : e))),
    ).toEqual([expected]);
    expect(
      problems(good.map((e) => (e.name === "policy.yml" ? { ...e, crc32: e.crc32 ^ 1 } : e))),
    ).toEqual([expected]);
    expect(problems(good, { ...slack, policy: "infra/policy.example.yml" })).toEqual([
      "SlackLambdaFunction reads BM_POLICY=/var/task/infra/policy.example.yml, not the policy checked, policy.yml",
    ]);
    expect(problems(good, { ...slack, policy: undefined })).toEqual([
      "SlackLambdaFunction reads BM_POLICY=/var/task/, not the policy checked, policy.yml",
    ]);
  });

  it("checks every function, each against its own zip", () => {
    const worker = {
      ...slack,
      id: "WorkerLambdaFunction",
      zip: "worker.zip",
      bundle: "dist/worker.js",
    };
    expect(
      packageProblems(
        [slack, worker],
        new Map([
          ["slack.zip", good],
          ["worker.zip", good],
        ]),
        checked,
      ),
    ).toEqual(["worker.zip lacks dist/worker.js: run npm run build"]);
  });
});
