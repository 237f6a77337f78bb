import { describe, expect, it } from "vitest";
import {
  EclApiError,
  EclNetworkError,
  EclProtocolError,
  eclFailure,
  gatewayFailed,
  parseErrorBody,
  refusedUntried,
  retryAfterSeconds,
  STATUS_MEANING,
  statusMeaning,
} from "../../../lib/ecl/errors";
import { describeError } from "../../../lib/errors";

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
    [429, "too many requests"],
    [502, "bad gateway"],
    [503, "service unavailable"],
    [504, "gateway timeout"],
    [501, "server error"],
    [599, "server error"],
    [418, "unexpected status"],
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

describe("what a user is told of ECL's errors", () => {
  const api = (service: "baremetal" | "keystone", status: number) =>
    new EclApiError({ service, status, method: "POST", path: "/x" });

  it.each([
    [
      "Keystone's 401",
      api("keystone", 401),
      "ECL Keystone answered 401 (unauthorized): Keystone refused the API key and secret of this tenant",
    ],
    ["Keystone's 403", api("keystone", 403), "ECL Keystone answered 403 (tenant not available)"],
    ["the server API's 401", api("baremetal", 401), "ECL answered 401 (unauthorized)"],
  ])("%s: only Keystone's 401 blames the tenant's keys", (_, error, told) => {
    expect(error.told()).toBe(told);
  });

  it("every message of ECL's errors is written for users and shown as it is", () => {
    const errors = [
      api("baremetal", 500),
      new EclNetworkError("connection", "GET", "https://ecl.test"),
      new EclProtocolError("ECL sent a server without an id"),
    ];
    expect(errors.map((e) => [e.forUsers, describeError(e)])).toEqual([
      [true, "ECL answered 500 (compute fault)"],
      [true, "ECL at https://ecl.test could not be reached"],
      [true, "ECL sent a server without an id"],
    ]);
  });
});

describe("eclFailure", () => {
  it.each([
    [
      "a refusal with the API's words and a request id",
      new EclApiError({
        service: "baremetal",
        status: 400,
        method: "POST",
        path: "/x",
        apiMessage: "Invalid imageRef provided.",
        requestId: "req-7",
      }),
      {
        status: 400,
        meaning: "invalid parameter",
        apiMessage: "Invalid imageRef provided.",
        requestId: "req-7",
      },
    ],
    [
      "a refusal without them",
      new EclApiError({ service: "baremetal", status: 409, method: "POST", path: "/x" }),
      { status: 409, meaning: "task_state not None" },
    ],
    [
      "a refusal with empty ones",
      new EclApiError({
        service: "baremetal",
        status: 404,
        method: "POST",
        path: "/x",
        apiMessage: "",
        requestId: "",
      }),
      { status: 404, meaning: "not found" },
    ],
    ["no refusal", new EclNetworkError("timeout", "POST", "https://ecl.test"), undefined],
    ["anything else", new TypeError("x"), undefined],
  ])("%s", (_, error, failure) => {
    expect(eclFailure(error)).toStrictEqual(failure);
  });
});

describe("what an error answer to an action says of it", () => {
  const answered = (status: number) =>
    new EclApiError({ service: "baremetal", status, method: "POST", path: "/x" });

  it.each([
    [409, true, false],
    [429, true, false],
    [503, true, false],
    [502, false, true],
    [504, false, true],
    [500, false, false],
    [400, false, false],
    [404, false, false],
    [501, false, false],
  ])("%i: refused untried %s, a gateway's %s", (status, untried, gateway) => {
    expect(refusedUntried(answered(status))).toBe(untried);
    expect(gatewayFailed(answered(status))).toBe(gateway);
  });

  it("carries the Retry-After it was given", () => {
    const error = new EclApiError({
      service: "baremetal",
      status: 429,
      method: "POST",
      path: "/x",
      retryAfterS: 7,
    });
    expect(error.retryAfterS).toBe(7);
    expect(answered(429).retryAfterS).toBeUndefined();
  });
});

describe("retryAfterSeconds", () => {
  const now = Date.parse("2026-12-02T10:00:00Z");
  it.each([
    [undefined, undefined],
    ["30", 30],
    [" 0 ", 0],
    ["Wed, 02 Dec 2026 10:00:10 GMT", 10],
    ["Wed, 02 Dec 2026 10:00:10 UTC", undefined],
    ["x Wed, 02 Dec 2026 10:00:10 GMT", undefined],
    ["Wed, 02 Dec 2026 10:00:10 GMT x", undefined],
    ["Wed, 02 Dec 2026 10:00:10 GMT+0100", undefined],
    ["Wed, 32 Dec 2026 10:00:10 GMT", undefined],
    ["Wed, 02 Dec 2026 09:59:00 GMT", 0],
    ["-5", undefined],
    ["1.5", undefined],
    ["soon", undefined],
    ["", undefined],
  ])("%j → %j", (header, seconds) => {
    expect(retryAfterSeconds(header, now)).toBe(seconds);
  });
});
