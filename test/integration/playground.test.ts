import { type IncomingHttpHeaders, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  drain,
  ECL_ACTIONS,
  operation,
  operationIdOf,
  operationIds,
  testStack,
} from "../support/stack-harness";

/**
 * The playground answers only itself: its own page, on 127.0.0.1 or localhost at its own port,
 * with the token that page was served with, in JSON. A web page of any other origin on the
 * developer's machine (or one that rebinds a name of its own to 127.0.0.1) cannot make it sign
 * and send anything to the front door.
 */
let stack: LocalStack;
let port: number;
let token: string;
/** What the stack logged: the terminal's lines under `npm start`. */
const logged: string[] = [];

beforeAll(async () => {
  stack = await testStack({ log: (line) => logged.push(line) });
  port = Number(new URL(stack.frontDoorUrl).port);
  const page = await call({ method: "GET", path: "/" });
  token = /<meta name="bm-playground-token" content="([^"]*)">/.exec(page.body)?.[1] ?? "";
});
afterAll(() => stack.close());

interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One HTTP request to the front door's port, with exactly these headers (Host included). */
async function call(c: Call): Promise<{ status: number; body: string; type: string }> {
  const { status, body, headers } = await callWith(c);
  return { status, body, type: String(headers["content-type"] ?? "") };
}

function callWith(
  c: Call,
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: c.method,
        path: c.path,
        // "host": "" leaves the Host header out altogether, as HTTP/1.0 clients do.
        headers: Object.fromEntries(
          Object.entries({ host: `127.0.0.1:${port}`, ...c.headers }).filter(
            ([name, value]) => name !== "host" || value !== "",
          ),
        ),
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(c.body);
  });
}

const detach = (server: string) =>
  JSON.stringify({
    user: "U0LOCALUSER",
    channel: "C0INCIDENT",
    text: `/bm detach ${server} ${SAMPLE.image} from another page`,
  });

/** What the page itself sends: JSON, its own origin, its token. */
const own = (extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  origin: `http://127.0.0.1:${port}`,
  "x-playground-token": token,
  ...extra,
});

/** Nothing was recorded, asked of Slack or sent to ECL, even once the queue is delivered. */
async function nothingDone(act: () => Promise<{ status: number }>, status: number) {
  const before = {
    ops: await operationIds(stack),
    calls: stack.slack?.calls.length,
    ephemerals: stack.slack?.ephemerals.length,
    ecl: ECL_ACTIONS(stack).length,
  };
  const answer = await act();
  await stack.deliver();
  expect(answer.status).toBe(status);
  expect({
    ops: await operationIds(stack),
    calls: stack.slack?.calls.length,
    ephemerals: stack.slack?.ephemerals.length,
    ecl: ECL_ACTIONS(stack).length,
  }).toEqual(before);
}

describe("a web page of another origin", () => {
  it("posting text/plain to /_playground/slash, as a simple request needs no preflight: 403, nothing recorded, no detach", async () => {
    await nothingDone(
      () =>
        call({
          method: "POST",
          path: "/_playground/slash",
          headers: { "content-type": "text/plain;charset=UTF-8", origin: "http://evil.example" },
          body: detach(SAMPLE.web01),
        }),
      403,
    );
  });

  it.each([
    ["another site", "http://evil.example"],
    ["another port of 127.0.0.1", "http://127.0.0.1:1"],
    ["https on the same host and port", `https://127.0.0.1:PORT`],
    ["an opaque origin (a sandboxed frame, a file)", "null"],
  ])("posting JSON with the token from %s: 403, nothing recorded", async (_, origin) => {
    await nothingDone(
      () =>
        call({
          method: "POST",
          path: "/_playground/slash",
          headers: own({ origin: origin.replace("PORT", String(port)) }),
          body: detach(SAMPLE.web01),
        }),
      403,
    );
  });

  it("asking for the preflight of a JSON post gets no CORS answer", async () => {
    const answer = await call({
      method: "OPTIONS",
      path: "/_playground/slash",
      headers: {
        origin: "http://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-playground-token",
      },
    });
    expect(answer.status).toBe(403);
  });
});

describe("a foreign Host header (DNS rebinding: a name of the attacker's, pointed at 127.0.0.1)", () => {
  it.each([
    ["GET", "/"],
    ["GET", "/playground.js"],
    ["GET", "/playground.css"],
    ["GET", "/_playground/state?user=U0LOCALUSER"],
    ["GET", "/_playground/events"],
    ["GET", "/_playground/operation?id=op-0000000000"],
    ["GET", "/_local/history?channel=C0INCIDENT"],
    ["GET", "/_local/response-url?channel=C0INCIDENT&user=U0LOCALUSER"],
  ])("%s %s: 421, nothing served", async (method, path) => {
    for (const host of [`rebind.example:${port}`, "127.0.0.1", `127.0.0.1:${port + 1}`]) {
      const answer = await call({ method, path, headers: { host } });
      expect([host, answer.status, answer.body]).toEqual([host, 421, "misdirected request\n"]);
    }
  });

  it("posting a detach with a right token and Origin of the rebound name: 421, nothing recorded", async () => {
    await nothingDone(
      () =>
        call({
          method: "POST",
          path: "/_playground/slash",
          headers: own({ host: `rebind.example:${port}`, origin: `http://rebind.example:${port}` }),
          body: detach(SAMPLE.web01),
        }),
      421,
    );
  });

  it("no Host header at all: refused by Node's server itself (400, HTTP/1.1 requires one), nothing recorded", async () => {
    await nothingDone(
      () =>
        call({
          method: "POST",
          path: "/_playground/slash",
          headers: own({ host: "" }),
          body: detach(SAMPLE.web01),
        }),
      400,
    );
  });
});

describe("the token", () => {
  it("is in the page, 32 random bytes", () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ["no token", undefined],
    ["an empty token", ""],
    ["a wrong token of the same length", "x".repeat(43)],
    ["a wrong token of another length", "guess"],
  ])("a post with %s: 403, nothing recorded", async (_, value) => {
    const headers = own();
    if (value === undefined) delete (headers as Record<string, string>)["x-playground-token"];
    else headers["x-playground-token"] = value;
    await nothingDone(
      () =>
        call({ method: "POST", path: "/_playground/slash", headers, body: detach(SAMPLE.web01) }),
      403,
    );
  });

  it.each([
    "/_playground/state?user=U0LOCALUSER",
    "/_playground/events",
    "/_playground/operation?id=op-0000000000",
  ])("GET %s without it: 403", async (path) => {
    const answer = await call({ method: "GET", path });
    expect(answer.status).toBe(403);
  });

  it("the token in the query string does not count: only the header", async () => {
    const answer = await call({
      method: "GET",
      path: `/_playground/state?user=U0LOCALUSER&token=${token}`,
    });
    expect(answer.status).toBe(403);
  });
});

describe("JSON bodies only", () => {
  it.each([
    ["text/plain", "text/plain;charset=UTF-8"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["JSON's name inside another type", "text/plain; a=application/json"],
    ["no Content-Type", ""],
  ])("%s, from the page itself with its token: 415, nothing recorded", async (_, type) => {
    await nothingDone(
      () =>
        call({
          method: "POST",
          path: "/_playground/slash",
          headers: own({ "content-type": type }),
          body: detach(SAMPLE.web01),
        }),
      415,
    );
  });

  it.each([
    ["not JSON", "user=U0LOCALUSER&text=/bm detach"],
    ["a JSON array", "[1]"],
    ["a field that is not a string", JSON.stringify({ text: ["/bm detach web01"] })],
  ])("%s: 400, nothing recorded", async (_, body) => {
    await nothingDone(
      () => call({ method: "POST", path: "/_playground/slash", headers: own(), body }),
      400,
    );
  });
});

describe("the page itself", () => {
  it("is served with its token, and no CORS header lets another origin read it", async () => {
    const page = await call({
      method: "GET",
      path: "/",
      headers: { origin: "http://evil.example" },
    });
    expect(page.status).toBe(403);
    const served = await call({ method: "GET", path: "/" });
    expect(served.status).toBe(200);
    expect(served.body).toContain(`<meta name="bm-playground-token" content="${token}">`);
  });

  it("may not be framed by another page, nor kept in a cache (its token is this run's)", async () => {
    const served = await callWith({ method: "GET", path: "/" });
    expect(served.headers).toMatchObject({
      "cache-control": "no-store",
      "content-security-policy": "frame-ancestors 'none'",
      "x-frame-options": "DENY",
    });
    expect(served.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it.each([
    ["GET", "/_playground/nothing", 404],
    ["POST", "/_playground/nothing", 404],
    ["PUT", "/_playground/slash", 405],
    ["POST", "/playground.js", 405],
  ])(
    "%s %s, with the token: %i, never passed on to the front door's handler",
    async (method, path, status) => {
      const answer = await call({
        method,
        path,
        headers: own(),
        ...(method === "GET" ? {} : { body: "{}" }),
      });
      expect(answer.status).toBe(status);
    },
  );

  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["localhost", "localhost"],
  ])("on %s: a detach it sends is recorded", async (_, name) => {
    const before = await operationIds(stack);
    const answer = await call({
      method: "POST",
      path: "/_playground/slash",
      headers: own({
        host: `${name}:${port}`,
        origin: `http://${name}:${port}`,
        "content-type": "application/json; charset=utf-8",
      }),
      body: detach(SAMPLE.web01),
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 200 });
    expect((await operationIds(stack)).length).toBe(before.length + 1);
    const state = await call({
      method: "GET",
      path: "/_playground/state?user=U0LOCALUSER",
      headers: { host: `${name}:${port}`, "x-playground-token": token },
    });
    expect(state.status).toBe(200);
    expect(state.type).toBe("application/json");
  });

  it("shows Slack's rate limits on from the start, and its switch turns them off and on", async () => {
    const shown = async () => {
      const state = await call({
        method: "GET",
        path: "/_playground/state?user=U0LOCALUSER",
        headers: own(),
      });
      const ecl = JSON.parse(state.body).ecl;
      return { on: ecl.faults.slackRateLimits, rates: ecl.slackRates };
    };
    const turn = (on: string) =>
      call({
        method: "POST",
        path: "/_playground/fault",
        headers: own(),
        body: JSON.stringify({ fault: "slackRateLimits", on }),
      });
    expect(await shown()).toEqual({ on: true, rates: { refused: 0, early: [] } });
    expect((await turn("false")).status).toBe(200);
    expect(stack.slack?.ratesLimited).toBe(false);
    expect((await shown()).on).toBe(false);
    await turn("true");
    expect(stack.slack?.ratesLimited).toBe(true);
    expect((await shown()).on).toBe(true);
  });

  it("a same-origin post without Origin (as some clients send it) is accepted", async () => {
    const headers: Record<string, string> = own();
    delete headers.origin;
    const answer = await call({
      method: "POST",
      path: "/_playground/close",
      headers,
      body: JSON.stringify({ modal: "none" }),
    });
    expect(answer.status).toBe(200);
  });
});

/**
 * What the terminal shows while `act` runs: the stack's log lines, and anything written to the
 * console or to stdout and stderr (where Bolt and the functions' loggers write).
 */
async function printedBy(act: () => Promise<unknown>): Promise<string[]> {
  const printed: string[] = [];
  const from = logged.length;
  const spies = [
    ...(["log", "info", "warn", "error", "debug"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args) => {
        printed.push(args.map(String).join(" "));
      }),
    ),
    ...[process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
        printed.push(String(chunk));
        return true;
      }),
    ),
  ];
  try {
    await act();
    // A line Bolt prints after answering would come in the next turns.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return [...logged.slice(from), ...printed];
}

describe("what a browser asks for besides the page", () => {
  it("the page names an icon of its own, so that a browser need not ask for one", async () => {
    const served = await call({ method: "GET", path: "/" });
    expect(served.body).toContain('<link rel="icon" href="data:,">');
  });

  it.each([
    ["GET", "/favicon.ico", 204],
    ["HEAD", "/favicon.ico", 204],
    ["GET", "/favicon.ico?v=2", 204],
    ["GET", "/apple-touch-icon.png", 404],
    ["GET", "/robots.txt", 404],
    ["GET", "/slack/events", 404],
    ["HEAD", "/slack/events", 404],
  ])(
    "%s %s: %i, never passed on to Bolt, and nothing in the terminal",
    async (method, path, status) => {
      const slackCalls = stack.slack?.calls.length;
      let answer = { status: 0, body: "" };
      const printed = await printedBy(async () => {
        answer = await call({ method, path });
      });
      expect(answer.status).toBe(status);
      // API Gateway's own answer for a path it has no route for, as the real HTTP API sends it.
      if (status === 404 && method === "GET")
        expect(JSON.parse(answer.body)).toEqual({ message: "Not Found" });
      expect(printed).toEqual([]);
      expect(stack.slack?.calls.length).toBe(slackCalls);
    },
  );

  it("a POST to a path the HTTP API has no route for: its 404, and one line that names the route", async () => {
    let answer = { status: 0, body: "" };
    const printed = await printedBy(async () => {
      answer = await call({ method: "POST", path: "/slack/event", body: "token=x" });
    });
    expect(answer).toMatchObject({ status: 404, body: '{"message":"Not Found"}' });
    expect(printed).toEqual([
      "front door: POST /slack/event -> 404 (the one route is POST /slack/events)",
    ]);
  });
});

describe("every server the local stack starts listens on 127.0.0.1 only", () => {
  it("none answers on another loopback address (a server on 0.0.0.0 would)", async () => {
    const urls = [
      stack.frontDoorUrl,
      stack.ecl?.url,
      ...Object.values(stack.env).filter((v) => /^http:\/\/127\.0\.0\.1:\d+/.test(v)),
    ].filter((u): u is string => Boolean(u));
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of new Set(urls.map((u) => new URL(u).port))) {
      for (const other of ["127.0.0.2", "::1"]) {
        const refused = await new Promise<string>((resolve) => {
          const req = request({ host: other, port: Number(url), path: "/" }, () =>
            resolve("answered"),
          );
          req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
          req.end();
        });
        expect([other, url, refused]).toEqual([other, url, "ECONNREFUSED"]);
      }
    }
  });
});

describe("the Home tab", () => {
  const home = async (user: string) => {
    const state = await call({
      method: "GET",
      path: `/_playground/state?user=${user}`,
      headers: own(),
    });
    return (JSON.parse(state.body) as { home: { type: string; blocks: unknown[] } | null }).home;
  };

  it("opens the Home of the person acting with a signed app_home_opened, and its Approve approves", async () => {
    expect(await home("U0APPROVER1")).toBeNull();
    const opened = await call({
      method: "POST",
      path: "/_playground/home",
      headers: own(),
      body: JSON.stringify({ user: "U0APPROVER1" }),
    });
    expect(JSON.parse(opened.body)).toEqual({ status: 200 });
    const shown = await home("U0APPROVER1");
    expect(shown?.type).toBe("home");
    expect(JSON.stringify(shown?.blocks)).toContain("*bm: media detach* for <@U0APPROVER1>");
    expect(stack.slack?.callsOf("views.publish").at(-1)?.error).toBeUndefined();

    // A request that waits for U0APPROVER1, then its Approve clicked on the Home. Its server is
    // web010, which no other test here touches: the detaches of web01 sent above are still in the
    // queue, and one that gets to ECL first would make this request a no-op.
    const asked = await call({
      method: "POST",
      path: "/_playground/slash",
      headers: own(),
      body: JSON.stringify({
        user: "U0LOCALUSER",
        channel: "C0CHANGES",
        text: `/bm detach ${SAMPLE.web010} ${SAMPLE.image} CHG-7`,
      }),
    });
    expect(JSON.parse(asked.body)).toEqual({ status: 200 });
    const id = operationIdOf(
      stack.slack?.ephemeralsOf("C0CHANGES", "U0LOCALUSER").at(-1)?.text ?? "",
    );
    await drain(stack, async () => (await operation(stack, id)).state === "awaiting_approval");
    await call({
      method: "POST",
      path: "/_playground/home",
      headers: own(),
      body: JSON.stringify({ user: "U0APPROVER1" }),
    });
    expect(JSON.stringify(await home("U0APPROVER1"))).toContain(`"block_id":"bm_home_${id}"`);
    const clicked = await call({
      method: "POST",
      path: "/_playground/click",
      headers: own(),
      body: JSON.stringify({
        user: "U0APPROVER1",
        home: "true",
        action: "bm_approve",
        value: id ?? "",
        block: `bm_home_${id}`,
      }),
    });
    expect(JSON.parse(clicked.body)).toEqual({ status: 200 });
    expect(JSON.stringify(await home("U0APPROVER1"))).toContain(`You approved \`${id}\``);
  });
});
