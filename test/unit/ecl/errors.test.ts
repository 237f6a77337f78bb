import { describe, expect, it } from "vitest";
import {
  EclApiError,
  parseErrorBody,
  STATUS_MEANING,
  statusMeaning,
} from "../../../lib/ecl/errors";

describe("statusMeaning", () => {
  it("gives the seed's meaning for each of its codes", () => {
    expect(STATUS_MEANING).toEqual({
      400: "invalid parameter",
      401: "unauthorized",
      403: "tenant not available",
      404: "not found",
      405: "bad URL or method",
      409: "task_state not None",
      415: "bad media type",
      500: "compute fault",
    });
  });

  it.each([
    [503, "server error"],
    [429, "unexpected status"],
    [302, "unexpected status"],
  ])("%i → %s", (status, meaning) => {
    expect(statusMeaning(status)).toBe(meaning);
  });
});

describe("parseErrorBody", () => {
  it.each([
    [
      '{"itemNotFound":{"code":404,"message":"Instance x could not be found."}}',
      { code: "itemNotFound", message: "Instance x could not be found." },
    ],
    [
      '{"conflictingRequest":{"code":409,"message":"busy"}}',
      { code: "conflictingRequest", message: "busy" },
    ],
    ['{"computeFault":{"code":500}}', { code: "computeFault" }],
    [
      '{"error":{"code":401,"title":"Unauthorized","message":"auth needed"}}',
      { code: "error", message: "auth needed" },
    ],
    ['{"message":"flat"}', { message: "flat" }],
    ["", {}],
    ["<html><body>502 Bad Gateway</body></html>", {}],
    ["null", {}],
    ["[1,2]", {}],
    ['"text"', {}],
    ['{"a":{"message":"x"},"b":{}}', {}],
    ['{"badRequest":"no object"}', {}],
    ['{"badRequest":{"message":42}}', { code: "badRequest" }],
  ])("%s", (body, fault) => {
    expect(parseErrorBody(body)).toEqual(fault);
  });

  it("clips long messages and folds white space", () => {
    const fault = parseErrorBody(
      JSON.stringify({ computeFault: { message: `a\n\n b ${"x".repeat(400)}` } }),
    );
    expect(fault.message?.startsWith("a b x")).toBe(true);
    expect(fault.message?.length).toBe(301);
  });
});

describe("EclApiError", () => {
  it("says the status, its meaning, the API's words and the request id", () => {
    const error = new EclApiError({
      service: "baremetal",
      status: 409,
      method: "POST",
      path: "/v2/t/servers/s/action",
      code: "conflictingRequest",
      apiMessage: "Cannot 'media-detach' while it is in task_state REBOOTING",
      requestId: "req-1",
    });
    expect(error.message).toBe(
      "ECL answered 409 (task_state not None): Cannot 'media-detach' while it is in task_state REBOOTING (request id req-1)",
    );
    expect(error).toMatchObject({
      status: 409,
      meaning: "task_state not None",
      code: "conflictingRequest",
      requestId: "req-1",
    });
  });

  it("reads well without a body or a request id", () => {
    const error = new EclApiError({
      service: "keystone",
      status: 500,
      method: "POST",
      path: "/v3/auth/tokens",
    });
    expect(error.message).toBe("ECL Keystone answered 500 (compute fault)");
  });
});

describe("ECL's errors, at their edges", () => {
  it("each error names itself, for logs and for what users are told", async () => {
    const { EclNetworkError, EclProtocolError } = await import("../../../lib/ecl/errors");
    const api = new EclApiError({
      service: "baremetal",
      status: 500,
      method: "GET",
      path: "/x",
      code: undefined,
      apiMessage: undefined,
      requestId: undefined,
    });
    expect([
      api.name,
      new EclNetworkError("timeout", "GET", "https://ecl.test").name,
      new EclProtocolError("x").name,
    ]).toEqual(["EclApiError", "EclNetworkError", "EclProtocolError"]);
  });

  it("an API message is kept on one line, trimmed, and cut only past 300 characters", () => {
    expect(parseErrorBody(JSON.stringify({ message: "  two\n lines \t " })).message).toBe(
      "two lines",
    );
    const exactly = "x".repeat(300);
    expect(parseErrorBody(JSON.stringify({ message: exactly })).message).toBe(exactly);
    expect(parseErrorBody(JSON.stringify({ message: `${exactly}y` })).message).toBe(`${exactly}…`);
  });
});
