import { describe, expect, it } from "vitest";
import {
  isJson,
  MISDIRECTED,
  newToken,
  ownHost,
  refusal,
  TOKEN_HEADER,
} from "../../../local/playground/guard";

const TOKEN = "A".repeat(43);
const PORT = 3000;

/** The page's own call: its Host, its Origin, its token, JSON. */
function own(change: { method?: string; path?: string; headers?: Record<string, unknown> } = {}) {
  const headers: Record<string, unknown> = {
    host: "127.0.0.1:3000",
    origin: "http://127.0.0.1:3000",
    [TOKEN_HEADER]: TOKEN,
    "content-type": "application/json",
    ...change.headers,
  };
  for (const [name, value] of Object.entries(headers))
    if (value === undefined) delete headers[name];
  return {
    method: change.method ?? "POST",
    path: change.path ?? "/_playground/slash",
    headers: headers as Record<string, string>,
    port: PORT,
  };
}

describe("ownHost", () => {
  it.each([
    ["127.0.0.1:3000", 3000, true],
    ["localhost:3000", 3000, true],
    ["127.0.0.1:3001", 3000, false],
    ["localhost:3001", 3000, false],
    ["127.0.0.1", 3000, false],
    ["localhost", 3000, false],
    ["LOCALHOST:3000", 3000, false],
    ["rebind.example:3000", 3000, false],
    ["127.0.0.2:3000", 3000, false],
    ["[::1]:3000", 3000, false],
    ["0.0.0.0:3000", 3000, false],
    ["127.0.0.1:3000.evil.example", 3000, false],
    [undefined, 3000, false],
    ["127.0.0.1:3000", undefined, false],
    ["127.0.0.1:undefined", undefined, false],
  ])("%s at port %s: %s", (host, port, expected) => {
    expect(ownHost(host, port)).toBe(expected);
  });
});

describe("isJson", () => {
  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON ;charset=UTF-8", true],
    [" application/json", true],
    ["text/plain", false],
    ["text/plain;charset=UTF-8", false],
    ["application/x-www-form-urlencoded", false],
    ["multipart/form-data; boundary=x", false],
    ["text/plain; a=application/json", false],
    ["application/jsonx", false],
    ["application/json-patch+json", false],
    ["", false],
    [undefined, false],
  ])("%s: %s", (type, expected) => {
    expect(isJson(type)).toBe(expected);
  });
});

describe("refusal", () => {
  it("the page's own call is answered", () => {
    expect(refusal(own(), TOKEN)).toBeUndefined();
  });

  it.each([
    ["localhost, its own origin", { host: "localhost:3000", origin: "http://localhost:3000" }],
    ["no Origin (a same-origin GET, a terminal)", { origin: undefined }],
  ])("answered too: %s", (_, headers) => {
    expect(refusal(own({ headers }), TOKEN)).toBeUndefined();
  });

  const FOREIGN_ORIGIN = { status: 403, text: "another origin may not use the playground" };
  const NO_TOKEN = {
    status: 403,
    text: "no playground token, or not this run's: reload the page",
  };
  const NOT_JSON = { status: 415, text: "the playground takes JSON only" };
  it.each([
    ["a foreign Host", { headers: { host: "rebind.example:3000" } }, MISDIRECTED],
    ["no Host", { headers: { host: undefined } }, MISDIRECTED],
    [
      "a foreign Host, even for the page",
      { method: "GET", path: "/", headers: { host: "rebind.example:3000", origin: undefined } },
      MISDIRECTED,
    ],
    ["another site's Origin", { headers: { origin: "http://evil.example" } }, FOREIGN_ORIGIN],
    ["another port's Origin", { headers: { origin: "http://127.0.0.1:3001" } }, FOREIGN_ORIGIN],
    ["https", { headers: { origin: "https://127.0.0.1:3000" } }, FOREIGN_ORIGIN],
    ["the other own name", { headers: { origin: "http://localhost:3000" } }, FOREIGN_ORIGIN],
    ["an opaque origin", { headers: { origin: "null" } }, FOREIGN_ORIGIN],
    ["an empty Origin", { headers: { origin: "" } }, FOREIGN_ORIGIN],
    [
      "a foreign Origin on the page",
      { method: "GET", path: "/", headers: { origin: "http://evil.example" } },
      FOREIGN_ORIGIN,
    ],
    ["no token", { headers: { [TOKEN_HEADER]: undefined } }, NO_TOKEN],
    ["an empty token", { headers: { [TOKEN_HEADER]: "" } }, NO_TOKEN],
    ["a wrong token", { headers: { [TOKEN_HEADER]: "B".repeat(43) } }, NO_TOKEN],
    ["a token with more after it", { headers: { [TOKEN_HEADER]: `${TOKEN}A` } }, NO_TOKEN],
    ["the token twice", { headers: { [TOKEN_HEADER]: [TOKEN, TOKEN] } }, NO_TOKEN],
    ["no token on a GET", { method: "GET", headers: { [TOKEN_HEADER]: undefined } }, NO_TOKEN],
    ["text/plain", { headers: { "content-type": "text/plain;charset=UTF-8" } }, NOT_JSON],
    ["no Content-Type", { headers: { "content-type": undefined } }, NOT_JSON],
  ])("refused: %s", (_, change, expected) => {
    expect(refusal(own(change), TOKEN)).toEqual(expected);
  });

  it("the page and its files need no token (the page is where it comes from)", () => {
    for (const path of ["/", "/playground.js", "/playground.css"])
      expect(
        refusal(own({ method: "GET", path, headers: { [TOKEN_HEADER]: undefined } }), TOKEN),
      ).toBeUndefined();
  });

  it("a GET needs no Content-Type", () => {
    expect(
      refusal(own({ method: "GET", headers: { "content-type": undefined } }), TOKEN),
    ).toBeUndefined();
  });
});

describe("newToken", () => {
  it("is 32 random bytes in base64url, new each time", () => {
    const tokens = new Set(Array.from({ length: 50 }, newToken));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
    }
  });
});
