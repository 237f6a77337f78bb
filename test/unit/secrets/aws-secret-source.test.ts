import type { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { AwsSecretSource } from "../../../lib/secrets/aws-secret-source";
import { SecretError } from "../../../lib/secrets/secret-source";

/** A fake GetSecretValue: counts calls per id, answers from a map, optionally held open. */
function fakeClient(values: Record<string, string | Error>) {
  const calls: string[] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  return {
    calls,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    async send(command: GetSecretValueCommand) {
      const id = command.input.SecretId as string;
      calls.push(id);
      await gate;
      const value = values[id];
      if (value instanceof Error) throw value;
      return { SecretString: value };
    },
  };
}

function awsError(name: string): Error {
  return Object.assign(new Error(`${name}: something`), { name });
}

describe("AwsSecretSource", () => {
  it("keeps a value for five minutes, then reads it again", async () => {
    const clock = { now: 0 };
    const client = fakeClient({ a: '{"token":"t1"}' });
    const source = new AwsSecretSource({ client, now: () => clock.now });

    expect(await source.read("a")).toEqual({ token: "t1" });
    clock.now = 5 * 60_000 - 1;
    await source.read("a");
    expect(client.calls).toEqual(["a"]);
    clock.now = 5 * 60_000;
    await source.read("a");
    expect(client.calls).toEqual(["a", "a"]);
  });

  it("shares one request among concurrent readers of one id", async () => {
    const client = fakeClient({ a: '{"x":1}', b: '{"x":2}' });
    client.hold();
    const source = new AwsSecretSource({ client });

    const reads = Promise.all([
      ...Array.from({ length: 50 }, () => source.read("a")),
      source.read("b"),
    ]);
    client.release();
    const values = await reads;

    expect(values.at(0)).toEqual({ x: 1 });
    expect(values.at(-1)).toEqual({ x: 2 });
    expect(client.calls.sort()).toEqual(["a", "b"]);
  });

  it("reads again after invalidate", async () => {
    const client = fakeClient({ a: "{}" });
    const source = new AwsSecretSource({ client });
    await source.read("a");
    source.invalidate("a");
    await source.read("a");
    expect(client.calls).toEqual(["a", "a"]);
  });

  it.each([
    [
      awsError("ResourceNotFoundException"),
      "not_found",
      'secret "a" does not exist in Secrets Manager',
    ],
    [awsError("AccessDeniedException"), "denied", 'secret "a" may not be read by this role'],
    [
      awsError("ThrottlingException"),
      "unavailable",
      'secret "a" could not be read from Secrets Manager (ThrottlingException)',
    ],
  ])("maps %s", async (error, kind, message) => {
    const source = new AwsSecretSource({ client: fakeClient({ a: error }) });
    const failure = await source.read("a").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SecretError);
    expect(failure).toMatchObject({ kind, secretId: "a", message });
  });

  it("does not cache a failure", async () => {
    const values: Record<string, string | Error> = { a: awsError("ThrottlingException") };
    const client = fakeClient(values);
    const source = new AwsSecretSource({ client });
    await expect(source.read("a")).rejects.toThrow(SecretError);
    values.a = '{"ok":true}';
    expect(await source.read("a")).toEqual({ ok: true });
  });

  it.each([
    ["api_secret=hunter2", "is not a JSON object"],
    ['["hunter2"]', "is not a JSON object"],
    ['"hunter2"', "is not a JSON object"],
  ])("refuses %j without echoing it", async (value, message) => {
    const source = new AwsSecretSource({ client: fakeClient({ a: value }) });
    const failure = (await source.read("a").catch((e: unknown) => e)) as SecretError;
    expect(failure.message).toBe(`secret "a" ${message}`);
    expect(JSON.stringify({ m: failure.message, c: String(failure.cause) })).not.toContain(
      "hunter2",
    );
  });
});

describe("AwsSecretSource, word for word", () => {
  it.each([
    [
      "no SecretString (a binary secret)",
      undefined,
      "has no SecretString (binary secrets are not used)",
    ],
    ["text that is not JSON", "not json", "is not a JSON object"],
    ["JSON that is not an object", "[1]", "is not a JSON object"],
  ])("%s: not_json, said so, the value never quoted", async (_, value, said) => {
    const client = {
      send: async () => ({ SecretString: value }),
    };
    const error = await new AwsSecretSource({ client: client as never })
      .read("bm/a")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "not_json", secretId: "bm/a" });
    expect((error as Error).message).toBe(`secret "bm/a" ${said}`);
    expect((error as Error).cause).toBeUndefined();
  });

  it.each([
    ["ResourceNotFoundException", "not_found", 'secret "bm/a" does not exist in Secrets Manager'],
    ["AccessDeniedException", "denied", 'secret "bm/a" may not be read by this role'],
    [
      "ThrottlingException",
      "unavailable",
      'secret "bm/a" could not be read from Secrets Manager (ThrottlingException)',
    ],
  ])("%s: %s, with AWS's error as its cause", async (name, kind, said) => {
    const thrown = awsError(name);
    const client = fakeClient({ "bm/a": thrown });
    const error = await new AwsSecretSource({ client }).read("bm/a").catch((e: unknown) => e);
    expect(error).toMatchObject({ kind, secretId: "bm/a", message: said });
    expect((error as Error).cause).toBe(thrown);
  });

  it("a failure without a name: unavailable, said without one", async () => {
    const client = { send: async () => Promise.reject("down") };
    const error = await new AwsSecretSource({ client: client as never })
      .read("bm/a")
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('secret "bm/a" could not be read from Secrets Manager');
  });

  it("a value read at time t is kept until t + 5 minutes, whatever the clock's origin", async () => {
    const clock = { now: 1_000_000 };
    const client = fakeClient({ a: '{"k":1}' });
    const source = new AwsSecretSource({ client, now: () => clock.now });
    await source.read("a");
    clock.now += 5 * 60_000 - 1;
    await source.read("a");
    expect(client.calls).toHaveLength(1);
  });
});

describe("secrets, at their edges", () => {
  it("a client that fails with nothing at all: unavailable, said without a name", async () => {
    const source = new AwsSecretSource({
      client: {
        send: async () => {
          throw undefined;
        },
      },
    });
    await expect(source.read("a")).rejects.toMatchObject({
      name: "SecretError",
      kind: "unavailable",
      message: 'secret "a" could not be read from Secrets Manager',
    });
  });

  it("a plain JSON object only: null, a list, a string are not", async () => {
    const { isJsonObject } = await import("../../../lib/secrets/secret-source");
    expect([null, [], "x", 1, {}].map(isJsonObject)).toEqual([false, false, false, false, true]);
  });
});
