import { describe, expect, it } from "vitest";
import {
  channel,
  code,
  decodeSlackText,
  escapeMrkdwn,
  fitMrkdwn,
  fitPlain,
  link,
  listOf,
  md,
  principal,
  user,
} from "../../../lib/slack/mrkdwn";

describe("escaping and decoding", () => {
  it("escapes Slack's three control characters", () => {
    expect(escapeMrkdwn("<@U1> & <http://x|y>")).toBe("&lt;@U1&gt; &amp; &lt;http://x|y&gt;");
  });

  it("decodes what Slack encoded, once", () => {
    expect(decodeSlackText("R&amp;D &lt;ticket&gt;")).toBe("R&D <ticket>");
    // A person who typed "&amp;" reaches bm as "&amp;amp;": decoded once, it is what they typed.
    expect(decodeSlackText("&amp;amp;")).toBe("&amp;");
    expect(decodeSlackText("&amp;lt;")).toBe("&lt;");
  });

  it("escapes values once and keeps bm's own mrkdwn as it is", () => {
    const reason = decodeSlackText("R&amp;D &lt;ticket&gt;");
    expect(md`*Reason* ${reason} by ${user("U0ALICE")}`.text).toBe(
      "*Reason* R&amp;D &lt;ticket&gt; by <@U0ALICE>",
    );
    expect(md`${md`${reason}`}`.text).toBe("R&amp;D &lt;ticket&gt;");
  });
});

describe("the builders of mentions, code and links", () => {
  it.each([
    [user("U0ALICE"), "<@U0ALICE>"],
    [user("W012ABC"), "<@W012ABC>"],
    [user("<!channel>"), "`&lt;!channel&gt;`"],
    [user("U0ALICE> <!here"), "`U0ALICE&gt; &lt;!here`"],
    [principal("*"), "anyone"],
    [principal("S0APPROVERS"), "<!subteam^S0APPROVERS>"],
    [principal("U0BOB"), "<@U0BOB>"],
    [principal("!channel"), "`!channel`"],
    [channel("C0OPS"), "<#C0OPS>"],
    [channel("#general"), "`#general`"],
    [code("web`01 <x>"), "`web'01 &lt;x&gt;`"],
    [
      link("https://local.slack.test/archives/C1/p1", "thread"),
      "<https://local.slack.test/archives/C1/p1|thread>",
    ],
    [link("javascript:alert(1)", "thread"), "thread"],
    [link("https://evil.example|x", "thread"), "thread"],
    [listOf(["a", "b", "c"], 3), "a, b, c"],
    [listOf(["a", "b", "c", "d"], 2), "a, b, … and 2 more"],
    [listOf(["<a>"], 2), "&lt;a&gt;"],
  ])("%s", (built, text) => {
    expect(built.text).toBe(text);
  });
});

describe("fitMrkdwn", () => {
  it("leaves text that fits", () => {
    expect(fitMrkdwn(md`${"a".repeat(10)}`, 10)).toBe("aaaaaaaaaa");
  });

  it("cuts with an ellipsis, never inside an entity", () => {
    const fitted = fitMrkdwn(md`${"&".repeat(500)}`, 2000);
    expect(fitted.length).toBeLessThanOrEqual(2000);
    expect(fitted).toMatch(/^(&amp;)+…$/);
  });

  it("never inside a mention", () => {
    const fitted = fitMrkdwn(md`${"x".repeat(8)} ${user("U0ALICE")}`, 12);
    expect(fitted).toBe("xxxxxxxx …");
  });

  it("closes inline code it leaves open", () => {
    expect(fitMrkdwn(md`see ${code("abcdefghijkl")}`, 10)).toBe("see `abc`…");
  });

  it("never splits a character made of two code units", () => {
    const fitted = fitMrkdwn(md`${"😀".repeat(10)}`, 7);
    expect(fitted).toBe("😀😀…");
  });

  it("fits plain text too", () => {
    expect(fitPlain("a".repeat(30), 24)).toBe(`${"a".repeat(23)}…`);
    expect(fitPlain("short", 24)).toBe("short");
  });
});
