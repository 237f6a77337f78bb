/**
 * A Secrets Manager stand-in on loopback that speaks the AWS JSON 1.1 protocol, so that tests
 * exercise the real SDK client, its serialization and its error parsing.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SecretsManagerStandIn {
  url: string;
  /** Secret values by id, as SecretString; change them to rotate a secret. */
  secrets: Map<string, string>;
  /** The `X-Amz-Target` operation of every request received, with its body. */
  calls: Array<{ target: string; body: Record<string, unknown> }>;
  /** Delay before every answer. */
  latencyMs: number;
  close(): Promise<void>;
}

export async function startSecretsManager(
  secrets: Record<string, unknown> = {},
): Promise<SecretsManagerStandIn> {
  const stored = new Map(
    Object.entries(secrets).map(([id, value]) => [
      id,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
  const standIn: Omit<SecretsManagerStandIn, "url" | "close"> = {
    secrets: stored,
    calls: [],
    latencyMs: 0,
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<
        string,
        unknown
      >;
      standIn.calls.push({ target, body });
      if (standIn.latencyMs > 0) await new Promise((r) => setTimeout(r, standIn.latencyMs));
      const reply = (status: number, payload: unknown, errorType?: string) => {
        res.writeHead(status, {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-requestid": `standin-${standIn.calls.length}`,
          ...(errorType ? { "x-amzn-errortype": errorType } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      if (target !== "secretsmanager.GetSecretValue") {
        return reply(400, { __type: "UnknownOperationException" }, "UnknownOperationException");
      }
      const id = String(body.SecretId);
      const value = stored.get(id);
      if (value === undefined) {
        return reply(
          400,
          {
            __type: "ResourceNotFoundException",
            Message: "Secrets Manager can't find the specified secret.",
          },
          "ResourceNotFoundException",
        );
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:${id}-AbCdEf`,
        Name: id,
        VersionId: "00000000-0000-4000-8000-000000000001",
        SecretString: value,
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 1.7e9,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
