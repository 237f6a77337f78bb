import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { AwsSecretSource } from "../../../lib/secrets/aws-secret-source";
import { FileSecretSource } from "../../../lib/secrets/file-secret-source";
import { secretSourceFromEnv } from "../../../lib/secrets/from-env";
import { SecretError } from "../../../lib/secrets/secret-source";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bm-secrets-"));
});

async function file(content: string) {
  const path = join(dir, "secrets.json");
  await writeFile(path, content);
  return new FileSecretSource(path);
}

describe("FileSecretSource", () => {
  it("reads a secret by id, afresh on every read (an edit takes effect at once)", async () => {
    const path = join(dir, "secrets.json");
    await writeFile(path, JSON.stringify({ "bm/a": { token: "one" } }));
    const source = new FileSecretSource(path);
    expect(await source.read("bm/a")).toEqual({ token: "one" });
    await writeFile(path, JSON.stringify({ "bm/a": { token: "two" } }));
    source.invalidate();
    expect(await source.read("bm/a")).toEqual({ token: "two" });
  });

  it.each([
    ["a file that is not JSON", "{nope", "not_json", "is not valid JSON"],
    ["a file that is not an object", "[1]", "not_json", "is not a JSON object"],
    ["an id it does not hold", '{"bm/b":{}}', "not_found", "is not in"],
    ["an id inherited, not its own", '{"bm/b":{}}', "not_found", "is not in"],
    [
      "a value that is not an object",
      '{"bm/a":"text"}',
      "not_json",
      'secret "bm/a" is not a JSON object',
    ],
  ])(
    "%s: a SecretError of kind %s naming the secret, never its value",
    async (what, content, kind, said) => {
      const source = await file(content);
      const id = what.includes("inherited") ? "toString" : "bm/a";
      const error = await source.read(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretError);
      expect(error).toMatchObject({ kind, secretId: id });
      expect((error as Error).message).toContain(said);
      expect((error as Error).message).not.toContain("text");
    },
  );

  it("a file that cannot be read: unavailable", async () => {
    const error = await new FileSecretSource(join(dir, "missing.json"))
      .read("bm/a")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "unavailable", secretId: "bm/a" });
    expect((error as Error).message).toBe(
      `secret "bm/a" cannot be read: ${join(dir, "missing.json")} is not readable`,
    );
    expect((error as Error).cause).toMatchObject({ code: "ENOENT" });
  });
});

describe("secretSourceFromEnv", () => {
  it("reads the file BM_SECRETS_FILE names, else Secrets Manager", async () => {
    const path = join(dir, "s.json");
    await writeFile(path, JSON.stringify({ "bm/a": { k: "v" } }));
    const fromFile = secretSourceFromEnv({ BM_SECRETS_FILE: path });
    expect(fromFile).toBeInstanceOf(FileSecretSource);
    expect(await fromFile.read("bm/a")).toEqual({ k: "v" });
    const configured = secretSourceFromEnv({}, { region: "ap-northeast-1" });
    expect(configured).toBeInstanceOf(AwsSecretSource);
    // The client it builds (lazily, at the first read) takes the deadlines given.
    expect((configured as unknown as { clientConfig: unknown }).clientConfig).toEqual({
      region: "ap-northeast-1",
    });
    expect(secretSourceFromEnv({})).toBeInstanceOf(AwsSecretSource);
  });
});
