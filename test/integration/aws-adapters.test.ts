import {
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chained, eventHash } from "../../lib/audit/chain";
import { AuditConflict, DynamoAuditLog } from "../../lib/aws/dynamo/audit-log";
import { DynamoChoiceStore } from "../../lib/aws/dynamo/choice-store";
import { nextWrite, putIfUnchanged } from "../../lib/aws/dynamo/conditional-writes";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { DynamoOperationStore } from "../../lib/aws/dynamo/operation-store";
import { SqsWorkQueue } from "../../lib/aws/sqs-work-queue";
import { newChoice } from "../../lib/choices/choice";
import {
  type AuditEvent,
  bmActor,
  type Operation,
  transition,
} from "../../lib/operations/operation";
import { AwsSecretSource } from "../../lib/secrets/aws-secret-source";
import { AWS_BACKENDS, type Aws } from "../support/aws-backends";
import { AT, sampleOperation } from "../unit/operations/sample-operation";

/**
 * The AWS adapters of lib/aws (and the Secrets Manager source) against each backend, with the
 * same assertions: dynalite and the stand-ins, which every other integration test uses, and
 * moto_server, an independent implementation from AWS's own service models. Where the two
 * disagree, docs/testing.md says which one AWS agrees with.
 */
for (const backend of AWS_BACKENDS) {
  if (backend.skipped)
    console.warn(`adapter tests against ${backend.name} skipped: ${backend.skipped}`);
}

let unique = 0;
const opId = () => `op-${Date.now().toString(36).slice(-6)}${String(++unique).padStart(4, "0")}`;

describe.each(AWS_BACKENDS)("the AWS adapters against $name", (backend) => {
  let aws: Aws;
  let store: DynamoOperationStore;
  beforeAll(async () => {
    if (backend.skipped) return;
    aws = await backend.start();
    store = new DynamoOperationStore(documentClient(aws.dynamo), aws.tables.operations);
  }, 30_000);
  afterAll(() => aws?.close());

  describe.skipIf(!!backend.skipped)("the operation store", () => {
    it("creates an operation once; a second create returns the one stored", async () => {
      const op = sampleOperation({ id: opId() });
      expect(await store.create(op)).toEqual({ created: true });
      const again = await store.create({ ...op, reason: "a second request" });
      expect(again).toEqual({ created: false, existing: op });
      expect(await store.get(op.id)).toEqual(op);
      expect(await store.get("op-nothing00")).toBeUndefined();
    });

    it("saves over the revision it read; a writer holding an older copy loses", async () => {
      const op = sampleOperation({ id: opId() });
      await store.create(op);
      const approved = transition(op, "awaiting_approval", bmActor(op), AT);
      const saved = await store.save(op, approved);
      expect(saved).toMatchObject({ state: "awaiting_approval", rev: 1, seq: 2 });
      expect(saved?.writeId).toMatch(/^[0-9a-f]{16}$/);
      expect(await store.get(op.id)).toEqual(saved);
      // The same move from the copy read before it: refused, and nothing changes.
      expect(await store.save(op, approved)).toBeUndefined();
      // The right state but a stale revision: refused too.
      expect(await store.save({ ...(saved as Operation), rev: 0 }, approved)).toBeUndefined();
      expect(await store.get(op.id)).toEqual(saved);
    });

    it("knows its own write again when the answer was lost and the retry refused", async () => {
      const op = sampleOperation({ id: opId() });
      await store.create(op);
      const db = documentClient(aws.dynamo);
      const written = nextWrite(op, { ...op, reason: "changed" });
      const condition = {
        expression: "#rev = :rev",
        names: { "#rev": "rev" },
        values: { ":rev": op.rev },
      };
      const read = () => store.get(op.id);
      const put = () =>
        putIfUnchanged(db, aws.tables.operations, written, written, condition, read);
      expect(await put()).toEqual(written);
      // As the SDK's retry of a write that landed: the condition fails, the writeId is its own.
      expect(await put()).toEqual(written);
      const other = nextWrite(op, { ...op, reason: "another" });
      expect(
        await putIfUnchanged(db, aws.tables.operations, other, other, condition, read),
      ).toBeUndefined();
    });

    it("keeps the card's ts once, bumping the revision; a missing operation is refused", async () => {
      const op = sampleOperation({ id: opId() });
      await store.create(op);
      const first = await store.setParent(op.id, "1700000000.000100", "https://slack/p1");
      expect(first).toMatchObject({ parentTs: "1700000000.000100", permalink: "https://slack/p1" });
      expect(first.rev).toBe(1);
      const second = await store.setParent(op.id, "1700000000.000200", undefined);
      expect(second).toMatchObject({
        parentTs: "1700000000.000100",
        permalink: "https://slack/p1",
      });
      expect(second.rev).toBe(2);
      await expect(store.setParent("op-nothing01", "1.2", undefined)).rejects.toBeInstanceOf(
        ConditionalCheckFailedException,
      );
    });

    it("clears audited events at the revision read, and takes a settled one out of the index", async () => {
      const op = sampleOperation({ id: opId() });
      await store.create(op);
      const moved = (await store.save(
        op,
        transition(op, "awaiting_approval", bmActor(op), AT),
      )) as Operation;
      expect(moved.unaudited?.map((e) => e.seq)).toEqual([1, 2]);
      // At a revision no longer stored: nothing happens, and nothing is thrown.
      await store.clearAudited(op, [1, 2], true);
      expect((await store.get(op.id))?.unaudited?.map((e) => e.seq)).toEqual([1, 2]);
      await store.clearAudited(moved, [1], false);
      expect(await store.get(op.id)).toMatchObject({
        unaudited: [{ seq: 2 }],
        inflight: "awaiting_approval",
        rev: 1,
      });
      expect((await store.listInFlight()).map((o) => o.id)).toContain(op.id);
      await store.clearAudited((await store.get(op.id)) as Operation, [2], true);
      const settled = await store.get(op.id);
      expect(settled?.unaudited).toEqual([]);
      expect(settled?.inflight).toBeUndefined();
      expect((await store.listInFlight()).map((o) => o.id)).not.toContain(op.id);
    });

    it("lists what is in flight from the sparse index only: no locks, no choices", async () => {
      const op = sampleOperation({ id: opId() });
      await store.create(op);
      await store.lock(`lock#in-flight-${op.id}`, op.id);
      const inFlight = await store.listInFlight();
      expect(inFlight.find((o) => o.id === op.id)).toEqual(op);
      expect(inFlight.every((o) => o.id.startsWith("op-"))).toBe(true);
    });

    it("answers a tenant's history newest first, filtered and limited", async () => {
      const tenant = `t-${opId()}`;
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const op = sampleOperation({
          id: opId(),
          tenant,
          createdAt: `2026-11-26T10:00:0${i}.000Z`,
        });
        ids.push(op.id);
        await store.create(op);
      }
      expect((await store.recentForTenant(tenant, 10)).map((o) => o.id)).toEqual(
        [...ids].reverse(),
      );
      expect((await store.recentForTenant(tenant, 2)).map((o) => o.id)).toEqual([ids[3], ids[2]]);
      const keep = (o: Operation) => o.id !== ids[3];
      expect((await store.recentForTenant(tenant, 2, keep)).map((o) => o.id)).toEqual([
        ids[2],
        ids[1],
      ]);
      expect(await store.recentForTenant(`${tenant}-none`, 5)).toEqual([]);
    });

    it("pages through the tenant index past DynamoDB's page (50 a query)", async () => {
      const tenant = `t-${opId()}`;
      const ids: string[] = [];
      for (let i = 0; i < 53; i++) {
        const op = sampleOperation({
          id: opId(),
          tenant,
          createdAt: `2026-11-26T10:${String(i).padStart(2, "0")}:00.000Z`,
        });
        ids.push(op.id);
        await store.create(op);
      }
      const found = await store.recentForTenant(tenant, 52);
      expect(found.map((o) => o.id)).toEqual([...ids].reverse().slice(0, 52));
    });
  });

  describe.skipIf(!!backend.skipped)("the locks", () => {
    it("one holder at a time, taken again by it, handed over only from the holder named", async () => {
      const key = `lock#${opId()}`;
      expect(await store.lock(key, "op-a")).toEqual({ held: true });
      expect(await store.lock(key, "op-a")).toEqual({ held: true });
      expect(await store.lock(key, "op-b")).toEqual({ held: false, holder: "op-a" });
      expect(await store.takeLock(key, "op-c", "op-b")).toBe(false);
      expect(await store.takeLock(key, "op-a", "op-b")).toBe(true);
      expect(await store.lock(key, "op-a")).toEqual({ held: false, holder: "op-b" });
      // Let go by someone who no longer holds it: left alone.
      await store.unlock(key, "op-a");
      expect(await store.lock(key, "op-c")).toEqual({ held: false, holder: "op-b" });
      await store.unlock(key, "op-b");
      expect(await store.lock(key, "op-c")).toEqual({ held: true });
      // A lock nobody holds: taking it over from anyone fails; letting it go is harmless.
      const free = `lock#${opId()}`;
      expect(await store.takeLock(free, "op-a", "op-b")).toBe(false);
      await expect(store.unlock(free, "op-a")).resolves.toBeUndefined();
    });
  });

  describe.skipIf(!!backend.skipped)("the choice store", () => {
    it("creates a choice once, and saves over the revision it read", async () => {
      const choices = new DynamoChoiceStore(documentClient(aws.dynamo), aws.tables.operations);
      const choice = newChoice(
        {
          id: `ch-${opId().slice(3)}`,
          teamId: "T1",
          channelId: "C1",
          requester: "U1",
          tenant: "prod",
          secretId: "bm/tenant/prod",
          approvalsRequired: 0,
          approvers: [],
          requestTtlMinutes: 30,
          reason: "INC-1",
          asked: { server: "web01" },
        },
        AT,
      );
      expect(await choices.createChoice(choice)).toEqual({ created: true });
      expect(await choices.createChoice({ ...choice, state: "open" })).toEqual({
        created: false,
        existing: choice,
      });
      const opened = await choices.saveChoice(choice, { ...choice, state: "open" });
      expect(opened).toMatchObject({ state: "open", rev: 1 });
      expect(await choices.getChoice(choice.id)).toEqual(opened);
      expect(await choices.saveChoice(choice, { ...choice, state: "ended" })).toBeUndefined();
      // Out of both indexes: the follow-up never sees a choice.
      expect((await store.listInFlight()).some((o) => o.id.includes(choice.id))).toBe(false);
      expect(await choices.getChoice("ch-nothing000")).toBeUndefined();
    });
  });

  describe.skipIf(!!backend.skipped)("the audit log", () => {
    const eventsOf = async (id: string) => {
      const { Items = [] } = await aws.dynamo.send(
        new QueryCommand({
          TableName: aws.tables.audit,
          KeyConditionExpression: "operationId = :id",
          ExpressionAttributeValues: { ":id": { S: id } },
          ConsistentRead: true,
        }),
      );
      return Items.map((i) => unmarshall(i));
    };
    const firstEvent = () => {
      const id = opId();
      return chained<AuditEvent>({ ...sampleOperation().lastEvent, operationId: id });
    };

    it("appends an event once, hashed; appending it again changes nothing; refusals keep apart", async () => {
      const audit = new DynamoAuditLog(documentClient(aws.dynamo), aws.tables.audit);
      const event = firstEvent();
      await audit.append(event);
      await audit.append(event);
      const refusal = { ...event, seq: 0, action: "refused" };
      await audit.append(refusal);
      await audit.append(refusal);
      const stored = await eventsOf(event.operationId);
      expect(stored.map((e) => [e.event.slice(0, 1), e.action])).toEqual([
        ["e", "requested"],
        ["r", "refused"],
        ["r", "refused"],
      ]);
      expect(stored[0]).toEqual({ ...event, event: "e000001" });
      // A standalone event is hashed as it is written, chained to nothing.
      expect(stored[1]?.hash).toBe(eventHash(stored[1] as object));
      expect(stored[1]?.prev).toBeUndefined();
    });

    it("never takes an event planted in its place for its own: it says so, and writes nothing", async () => {
      const audit = new DynamoAuditLog(documentClient(aws.dynamo), aws.tables.audit);
      const event = firstEvent();
      // Planted in advance by someone with PutItem: another actor, hashed as bm would.
      const planted = chained<AuditEvent>({
        ...event,
        actor: { teamId: "T1", userId: "U0MALLORY" },
      });
      await aws.dynamo.send(
        new PutItemCommand({
          TableName: aws.tables.audit,
          Item: marshall({ ...planted, event: "e000001" }),
        }),
      );
      const refused = await audit.append(event).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AuditConflict);
      expect(refused).toMatchObject({
        operationId: event.operationId,
        key: "e000001",
        passing: true,
      });
      expect((await eventsOf(event.operationId)).map((e) => e.actor.userId)).toEqual(["U0MALLORY"]);
      // Its own event, rewritten in place without a new hash, is no repeat either.
      const other = firstEvent();
      await audit.append(other);
      await aws.dynamo.send(
        new PutItemCommand({
          TableName: aws.tables.audit,
          Item: marshall({ ...other, event: "e000001", reason: "rewritten" }),
        }),
      );
      await expect(audit.append(other)).rejects.toBeInstanceOf(AuditConflict);
    });

    it("refuses to write a chained event whose hash is missing or wrong", async () => {
      const audit = new DynamoAuditLog(documentClient(aws.dynamo), aws.tables.audit);
      const event = firstEvent();
      await expect(audit.append({ ...event, action: "rewritten" })).rejects.toThrow(
        "its hash is missing or wrong",
      );
      const { hash: _none, ...bare } = event;
      await expect(audit.append(bare)).rejects.toThrow("its hash is missing or wrong");
      expect(await eventsOf(event.operationId)).toEqual([]);
    });
  });

  describe.skipIf(!!backend.skipped)("the work queue", () => {
    const receive = (visibility: number) =>
      aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: visibility,
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
        }),
      );

    it("sends a message as JSON; a receive hides it, counts, and a delete takes it away", async () => {
      const queue = new SqsWorkQueue(aws.sqs, aws.queueUrl);
      const before = Date.now();
      await queue.send({ kind: "prepare", operationId: "op-queue00001" });
      const first = (await receive(0)).Messages ?? [];
      expect(first.map((m) => JSON.parse(m.Body ?? ""))).toEqual([
        { kind: "prepare", operationId: "op-queue00001" },
      ]);
      expect(first[0]?.Attributes?.ApproximateReceiveCount).toBe("1");
      expect(Number(first[0]?.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(before - 1000);
      // Visible again at once (a visibility of 0): received a second time, counted.
      const second = (await receive(30)).Messages ?? [];
      expect(second.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(["2"]);
      // Hidden now for 30 s: nothing to receive.
      expect((await receive(30)).Messages ?? []).toEqual([]);
      await aws.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: aws.queueUrl,
          ReceiptHandle: second[0]?.ReceiptHandle,
        }),
      );
    });

    it("holds a delayed message back, and clamps a delay to SQS's 15 minutes", async () => {
      const queue = new SqsWorkQueue(aws.sqs, aws.queueUrl);
      // 3600 s asked for: sent with 900, which SQS takes (above it, SQS refuses the call).
      await queue.send({ kind: "announce", operationId: "op-queue00002" }, 3600);
      await queue.send({ kind: "announce", operationId: "op-queue00003" }, -5);
      const now = (await receive(30)).Messages ?? [];
      expect(now.map((m) => JSON.parse(m.Body ?? "").operationId)).toEqual(["op-queue00003"]);
    });

    it("refuses what SQS refuses: a delay past 15 minutes, more than 10 a receive, another queue", async () => {
      const send = (input: { DelaySeconds?: number; QueueUrl?: string }) =>
        aws.sqs.send(
          new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: "{}", ...input }),
        );
      await expect(send({ DelaySeconds: 901 })).rejects.toMatchObject({
        name: "InvalidParameterValue",
      });
      // A negative delay too, says AWS; moto takes it (docs/testing.md): not asserted here.
      await expect(
        aws.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, MaxNumberOfMessages: 11 }),
        ),
      ).rejects.toMatchObject({ name: "InvalidParameterValue" });
      await expect(
        send({ QueueUrl: aws.queueUrl.replace(/[^/]+$/, "no-such-queue") }),
      ).rejects.toMatchObject({ name: "QueueDoesNotExist" });
    });

    it("returns the system attributes asked for, and no others", async () => {
      await aws.sqs.send(
        new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: '{"attributes":1}' }),
      );
      const plain = await aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, VisibilityTimeout: 0 }),
      );
      expect(plain.Messages?.map((m) => [m.Body, m.Attributes])).toEqual([
        ['{"attributes":1}', undefined],
      ]);
      const some = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.queueUrl,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        }),
      );
      expect(some.Messages?.map((m) => m.Attributes)).toEqual([{ ApproximateReceiveCount: "2" }]);
      await aws.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: aws.queueUrl,
          ReceiptHandle: some.Messages?.[0]?.ReceiptHandle,
        }),
      );
    });

    it("moves a message received five times to the dead-letter queue (the redrive policy)", async () => {
      const queue = new SqsWorkQueue(aws.sqs, aws.queueUrl);
      await queue.send({ kind: "recheck", operationId: "op-queue00004", userId: "U1" });
      const counts: string[] = [];
      for (let i = 0; i < 6; i++) {
        for (const m of (await receive(0)).Messages ?? [])
          if (m.Body?.includes("op-queue00004"))
            counts.push(m.Attributes?.ApproximateReceiveCount ?? "");
      }
      expect(counts).toEqual(["1", "2", "3", "4", "5"]);
      expect((await aws.deadLetters()).map((b) => JSON.parse(b).operationId)).toEqual([
        "op-queue00004",
      ]);
    });
  });

  describe.skipIf(!!backend.skipped)("secrets", () => {
    it("reads a JSON secret; a missing one and one not JSON are said plainly", async () => {
      const id = `bm/tenant/${opId()}`;
      await aws.putSecret(id, JSON.stringify({ tenant_id: "t1", token: "tok" }));
      await aws.putSecret(`${id}-text`, "not json");
      const source = new AwsSecretSource({ client: aws.secretsManager });
      expect(await source.read(id)).toEqual({ tenant_id: "t1", token: "tok" });
      await expect(source.read(`${id}-none`)).rejects.toMatchObject({
        name: "SecretError",
        kind: "not_found",
      });
      await expect(source.read(`${id}-text`)).rejects.toMatchObject({
        name: "SecretError",
        kind: "not_json",
      });
    });
  });
});
