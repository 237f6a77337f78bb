import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  drain,
  operation,
  sendToFrontDoor,
  settled,
  slashBody,
  testStack,
  thread,
} from "../support/stack-harness";

/**
 * Keystone's catalog naming an internal bare-metal endpoint, through the real handlers, on the
 * tests' stack (the simulator's 127.0.0.1 listed in BM_ECL_ENDPOINT_ALLOW, as `npm start` lists
 * it): the token is issued by the simulator, the endpoint its catalog names is refused.
 */
let stack: LocalStack;
let dir: string;
let listener: Server;
let port: number;
let connections = 0;

const WHY = "bm only connects to ECL's public endpoints, by name and over https";
const FIX = "Ask an admin to set api_endpoint in the tenant secret.";
const CHANNELS = ["C0CATPRIVATE", "C0CATLOOPBACK", "C0CATBYNAME"];

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => listener.listen(0, "127.0.0.1", done));
  port = (listener.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), "bm-catalog-"));
  const policy = join(dir, "policy.yml");
  await writeFile(
    policy,
    JSON.stringify({
      team_ids: ["T0001", "T0LOCAL"],
      tenants: Object.fromEntries(CHANNELS.map((c) => [c, { secret: `bm/tenant/${c}` }])),
      channels: Object.fromEntries(
        CHANNELS.map((c) => [c, { tenant: c, requesters: ["*"], approvals: 0 }]),
      ),
    }),
  );
  stack = await testStack({ policyFile: policy });
  // Keystone credentials and no api_endpoint: the token's catalog names the endpoint.
  for (const c of CHANNELS)
    stack.secretsManager?.secrets.set(
      `bm/tenant/${c}`,
      JSON.stringify({
        tenant_id: SAMPLE.tenantId,
        identity_endpoint: stack.ecl?.url,
        api_key: SAMPLE.apiKey,
        api_secret: SAMPLE.apiSecret,
      }),
    );
});
afterAll(async () => {
  await stack.close();
  await new Promise((done) => listener.close(done));
  await rm(dir, { recursive: true, force: true });
});

describe("Keystone's catalog naming an endpoint bm does not connect to", () => {
  it.each([
    [
      "C0CATPRIVATE",
      () => "https://10.0.0.1",
      () => "https://10.0.0.1 that Keystone's catalog names is a private address",
    ],
    [
      "C0CATLOOPBACK",
      () => `http://[::1]:${port}`,
      () => `http://[::1]:${port} that Keystone's catalog names is not https`,
    ],
    [
      "C0CATBYNAME",
      () => `https://localhost:${port}`,
      () =>
        `https://localhost:${port} that Keystone's catalog names resolves to a loopback address`,
    ],
  ])("%s: the detach fails, saying so, never connected to", async (channel, endpoint, said) => {
    if (!stack.ecl) throw new Error("the stack has no simulator");
    stack.ecl.model.catalogBase = endpoint();
    const before = connections;
    const answer = await sendToFrontDoor(
      stack,
      slashBody({
        text: `detach ${SAMPLE.web01} ${SAMPLE.image} rescue`,
        channel,
        user: "U0ALICE",
      }),
    );
    await drain(stack, () => settled(stack, answer.operationId));

    const op = await operation(stack, answer.operationId);
    expect(op.state).toBe("failed");
    expect(op.outcome).toMatch(new RegExp(`^the ECL endpoint ${escapeRegExp(said())}`));
    expect(op.outcome).toMatch(new RegExp(`; ${WHY}\\. ${escapeRegExp(FIX)}$`));
    expect(thread(stack, op).parent).toContain(op.outcome);
    const failed = (await auditOf(stack, op.id)).find((e) => e.action === "failed");
    expect(failed?.facts?.reason).toBe(op.outcome);
    // Keystone was asked (it is listed); nothing went to the endpoint its catalog named.
    expect(connections - before).toBe(0);
    expect(stack.ecl.requests.filter((r) => r.route !== "token")).toEqual([]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
