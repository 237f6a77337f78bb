import { describe, expect, it } from "vitest";
import { endpointBase } from "../../../lib/ecl/endpoint";

describe("endpointBase", () => {
  it.each([
    ["https://bm.test", "https://bm.test"],
    ["https://bm.test///", "https://bm.test"],
    ["https://bm.test/v2", "https://bm.test"],
    ["https://bm.test/v2/", "https://bm.test"],
    ["https://bm.test/v2/b322a85578de48beba0f92acce57869b", "https://bm.test"],
    ["https://bm.test/v2/b322a85578de48beba0f92acce57869b/", "https://bm.test"],
    ["https://keystone.test/v3", "https://keystone.test"],
    ["https://proxy.test/ecl/v2/x", "https://proxy.test/ecl"],
    // Only a trailing /v2 or /v3 is ECL's own; one in the middle is the path's.
    ["https://proxy.test/v2/x/y", "https://proxy.test/v2/x/y"],
    ["https://proxy.test/v20", "https://proxy.test/v20"],
    ["http://127.0.0.1:8774", "http://127.0.0.1:8774"],
    ["http://localhost:8774/v2", "http://localhost:8774"],
    ["http://[::1]:8774", "http://[::1]:8774"],
    // Only the form: whether bm may connect to it is the request's check (endpoint-rule.ts).
    ["http://bm.test", "http://bm.test"],
    ["http://127.0.0.2", "http://127.0.0.2"],
  ])("%s → %s", (given, base) => {
    expect(endpointBase(given)).toEqual({ base });
  });

  it.each([
    ["not a url", "must be a URL"],
    ["ftp://localhost", "must be an https URL"],
    ["file:///etc/passwd", "must be an https URL"],
    ["https://bm.test/?x=1", "must not have a query or fragment"],
    ["https://bm.test/#x", "must not have a query or fragment"],
  ])("%s: %s", (given, problem) => {
    expect(endpointBase(given)).toEqual({ problem });
  });
});
