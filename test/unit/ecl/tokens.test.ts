import { describe, expect, it } from "vitest";
import { type IssuedToken, KeystoneTokens, StaticTokens } from "../../../lib/ecl/tokens";

const HOUR = 3_600_000;

/** A Keystone stand-in: counts calls, issues numbered tokens valid for an hour of fake time. */
function fakeKeystone(clock: { now: number }) {
  let issued = 0;
  const pending: Array<() => void> = [];
  return {
    calls: () => issued,
    /** When set, each issue waits until release() is called. */
    hold: false,
    release: () => {
      for (const resume of pending.splice(0)) resume();
    },
    async issue(this: { hold: boolean }): Promise<IssuedToken> {
      issued++;
      const n = issued;
      if (this.hold) await new Promise<void>((resume) => pending.push(resume));
      return { token: `token-${n}`, expiresAt: clock.now + HOUR };
    },
  };
}

describe("KeystoneTokens", () => {
  it("keeps a token until five minutes before it expires", async () => {
    const clock = { now: 0 };
    const keystone = fakeKeystone(clock);
    const tokens = new KeystoneTokens(
      () => keystone.issue(),
      () => clock.now,
    );

    expect(await tokens.token()).toBe("token-1");
    clock.now = HOUR - 5 * 60_000 - 1;
    expect(await tokens.token()).toBe("token-1");
    clock.now = HOUR - 5 * 60_000;
    expect(await tokens.token()).toBe("token-2");
    expect(keystone.calls()).toBe(2);
  });

  it("makes one request for fifty concurrent callers", async () => {
    const clock = { now: 0 };
    const keystone = fakeKeystone(clock);
    keystone.hold = true;
    const tokens = new KeystoneTokens(
      () => keystone.issue(),
      () => clock.now,
    );

    const all = Promise.all(Array.from({ length: 50 }, () => tokens.token()));
    await Promise.resolve();
    keystone.release();

    expect(new Set(await all)).toEqual(new Set(["token-1"]));
    expect(keystone.calls()).toBe(1);
  });

  it("renews once for many callers refused with the same token", async () => {
    const clock = { now: 0 };
    const keystone = fakeKeystone(clock);
    const tokens = new KeystoneTokens(
      () => keystone.issue(),
      () => clock.now,
    );
    const rejected = await tokens.token();

    const renewed = await Promise.all(Array.from({ length: 10 }, () => tokens.renew(rejected)));

    expect(new Set(renewed)).toEqual(new Set(["token-2"]));
    expect(keystone.calls()).toBe(2);
  });

  it("does not share a failed request with later callers", async () => {
    let fail = true;
    const tokens = new KeystoneTokens(
      async () => {
        if (fail) throw new Error("keystone down");
        return { token: "t", expiresAt: HOUR };
      },
      () => 0,
    );

    await expect(tokens.token()).rejects.toThrow("keystone down");
    fail = false;
    expect(await tokens.token()).toBe("t");
  });
});

describe("StaticTokens", () => {
  it("offers a rotated token after a 401", async () => {
    const tokens = new StaticTokens("old", async () => "new");
    expect(await tokens.renew("old")).toBe("new");
    expect(await tokens.token()).toBe("new");
  });

  it("has nothing to offer when the secret still holds the refused token", async () => {
    const tokens = new StaticTokens("old", async () => "old");
    expect(await tokens.renew("old")).toBeUndefined();
    expect(await new StaticTokens("old").renew("old")).toBeUndefined();
  });
});

describe("tokens, in detail", () => {
  it("a fixed token: renewed only with a different one from the secret", async () => {
    const same = new StaticTokens("a", async () => "a");
    expect(await same.renew("a")).toBeUndefined();
    const none = new StaticTokens("a", async () => undefined);
    expect(await none.renew("a")).toBeUndefined();
    const without = new StaticTokens("a");
    expect(await without.renew("a")).toBeUndefined();
    const rotated = new StaticTokens("a", async () => "b");
    expect(await rotated.renew("a")).toBe("b");
    expect(await rotated.token()).toBe("b");
  });

  it("Keystone's endpoints come with the token, issued once for both", async () => {
    let issued = 0;
    const tokens = new KeystoneTokens(async () => {
      issued++;
      return {
        token: "t",
        expiresAt: Number.MAX_SAFE_INTEGER,
        endpoint: "https://bm",
        imageEndpoint: "https://img",
      };
    });
    expect(await tokens.endpoint()).toBe("https://bm");
    expect(await tokens.imageEndpoint()).toBe("https://img");
    expect(issued).toBe(1);
  });

  it("a refused token is dropped only by the first caller; one already replaced is kept", async () => {
    let n = 0;
    const tokens = new KeystoneTokens(async () => ({
      token: `t${++n}`,
      expiresAt: Number.MAX_SAFE_INTEGER,
    }));
    expect(await tokens.token()).toBe("t1");
    expect(await tokens.renew("t1")).toBe("t2");
    // A late caller refused with t1: t2 stands.
    expect(await tokens.renew("t1")).toBe("t2");
    expect(n).toBe(2);
  });

  it("Keystone giving the very token refused: no second try", async () => {
    const tokens = new KeystoneTokens(async () => ({
      token: "same",
      expiresAt: Number.MAX_SAFE_INTEGER,
    }));
    await tokens.token();
    expect(await tokens.renew("same")).toBeUndefined();
  });
});

describe("tokens, at their edges", () => {
  it("a fixed token whose secret gives nothing new keeps the token it had", async () => {
    const tokens = new StaticTokens("old", async () => undefined);
    expect(await tokens.renew("old")).toBeUndefined();
    expect(await tokens.token()).toBe("old");
  });

  it("Keystone's endpoints are those of the token in hand, asked for first if there is none", async () => {
    let issued = 0;
    const tokens = new KeystoneTokens(async () => ({
      token: `t${++issued}`,
      expiresAt: Date.now() + 3_600_000,
      endpoint: "https://bm.test",
      imageEndpoint: "https://glance.test",
    }));
    expect(await tokens.endpoint()).toBe("https://bm.test");
    expect(await tokens.imageEndpoint()).toBe("https://glance.test");
    expect(await tokens.token()).toBe("t1");
    expect(issued).toBe(1);
  });
});
