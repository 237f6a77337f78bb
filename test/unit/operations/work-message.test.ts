import { describe, expect, it } from "vitest";
import { parseWorkMessage, type WorkMessage } from "../../../lib/operations/work-message";

const status = {
  teamId: "T0001",
  channelId: "C0OPS",
  userId: "U0ALICE",
  target: "web01",
  tenant: "sample",
  secretId: "bm/tenant/sample",
};

describe("parseWorkMessage", () => {
  it.each<WorkMessage>([
    { kind: "prepare", operationId: "op-0123456789" },
    { kind: "execute", operationId: "op-0123456789" },
    { kind: "announce", operationId: "op-0123456789" },
    { kind: "recheck", operationId: "op-0123456789", userId: "U0BOB" },
    { kind: "lookup", choiceId: "ch-0123456789" },
    { kind: "status", request: status },
    { kind: "status", request: { ...status, responseUrl: "https://hooks.slack.com/x" } },
    { kind: "status", request: { ...status, readId: "rd-0123456789" } },
    { kind: "media", request: status },
    { kind: "media", request: { ...status, target: undefined } },
  ])("reads back what the queue was sent: %j", (message) => {
    expect(parseWorkMessage(JSON.stringify(message))).toEqual(message);
  });

  it("keeps only the fields a kind has", () => {
    expect(
      parseWorkMessage(JSON.stringify({ kind: "prepare", operationId: "op-x", userId: "U0X" })),
    ).toEqual({ kind: "prepare", operationId: "op-x" });
  });

  it.each([
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["null", "null"],
    ["an unknown kind", JSON.stringify({ kind: "delete", operationId: "op-x" })],
    ["no kind", JSON.stringify({ operationId: "op-x" })],
    ["an operation id that is not a string", JSON.stringify({ kind: "execute", operationId: 7 })],
    ["an empty operation id", JSON.stringify({ kind: "execute", operationId: "" })],
    ["a re-check without its user", JSON.stringify({ kind: "recheck", operationId: "op-x" })],
    ["a lookup without its choice", JSON.stringify({ kind: "lookup" })],
    ["a status without a request", JSON.stringify({ kind: "status" })],
    ["a media answer without a request", JSON.stringify({ kind: "media" })],
    [
      "a media answer without its secret",
      JSON.stringify({ kind: "media", request: { ...status, secretId: undefined } }),
    ],
    [
      "a media answer whose target is empty",
      JSON.stringify({ kind: "media", request: { ...status, target: "" } }),
    ],
    [
      "a status without its tenant",
      JSON.stringify({ kind: "status", request: { ...status, tenant: undefined } }),
    ],
    [
      "a status whose response_url is not a string",
      JSON.stringify({ kind: "status", request: { ...status, responseUrl: 5 } }),
    ],
    [
      "a status whose read id is empty",
      JSON.stringify({ kind: "status", request: { ...status, readId: "" } }),
    ],
  ])("is undefined for %s", (_, body) => {
    expect(parseWorkMessage(body)).toBeUndefined();
  });
});
