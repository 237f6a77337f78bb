import { describe, expect, it } from "vitest";
import {
  channel,
  clip,
  code,
  DATE_AND_TIME,
  date,
  decodeSlackText,
  escapeMrkdwn,
  fitMrkdwn,
  fitPlain,
  join,
  link,
  listOf,
  Mrkdwn,
  md,
  principal,
  TIME,
  user,
} from "../../../lib/slack/mrkdwn";

/** The literal parts of a template, for calling `md` as a plain function. */
const literals = (...parts: string[]) =>
  Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray;

describe("escaping and decoding", () => {
  it("escapes Slack's three control characters, every one of them", () => {
    expect(escapeMrkdwn("<@U1> & <http://x|y> && <<>>")).toBe(
      "&lt;@U1&gt; &amp; &lt;http://x|y&gt; &amp;&amp; &lt;&lt;&gt;&gt;",
    );
  });

  it("escapes an entity's & too, so that text reads as it was typed", () => {
    expect(escapeMrkdwn("&amp; &lt;")).toBe("&amp;amp; &amp;lt;");
  });

  it("leaves everything else as it is", () => {
    expect(escapeMrkdwn("*bold* _it_ ~s~ `c` | ! @ # ^ 😀")).toBe(
      "*bold* _it_ ~s~ `c` | ! @ # ^ 😀",
    );
  });

  it("decodes what Slack encoded, every one of them, once", () => {
    expect(decodeSlackText("R&amp;D &lt;ticket&gt; &amp; &lt;&lt;&gt;&gt;")).toBe(
      "R&D <ticket> & <<>>",
    );
    // A person who typed "&amp;" reaches bm as "&amp;amp;": decoded once, it is what they typed.
    expect(decodeSlackText("&amp;amp;")).toBe("&amp;");
    expect(decodeSlackText("&amp;lt;")).toBe("&lt;");
  });
});

describe("md", () => {
  it("escapes values once and keeps bm's own mrkdwn as it is", () => {
    // Prepare
    const reason = decodeSlackText("R&amp;D &lt;ticket&gt;");
    // Act
    const said = md`*Reason* ${reason} by ${user("U0ALICE")}`;
    const nested = md`${md`${reason}`}`;
    // Assess
    expect(said.text).toBe("*Reason* R&amp;D &lt;ticket&gt; by <@U0ALICE>");
    expect(nested.text).toBe("R&amp;D &lt;ticket&gt;");
  });

  it.each([
    ["a mention", "<!channel>", "says &lt;!channel&gt; now"],
    ["a link", "<https://evil.example|click>", "says &lt;https://evil.example|click&gt; now"],
    ["a user mention", "<@U0ALICE>", "says &lt;@U0ALICE&gt; now"],
    ["an entity", "&lt;!here&gt;", "says &amp;lt;!here&amp;gt; now"],
  ])("never lets a value make %s", (_, value, text) => {
    expect(md`says ${value} now`.text).toBe(text);
  });

  it("writes numbers as they read", () => {
    expect(md`${3} of ${-1.5}`.text).toBe("3 of -1.5");
  });

  it("keeps a template without values as it is", () => {
    expect(md`*bold* <@U1>`.text).toBe("*bold* <@U1>");
  });

  it("called as a plain function, takes missing literal parts as empty", () => {
    expect(md(literals()).text).toBe("");
    expect(md(literals("a "), "<b>", "c").text).toBe("a &lt;b&gt;c");
  });

  it("is a Mrkdwn that reads as its text", () => {
    const said = md`a ${"<b>"}`;
    expect(said).toBeInstanceOf(Mrkdwn);
    expect(`${said}`).toBe("a &lt;b&gt;");
  });
});

describe("the builders of mentions, code and links", () => {
  it.each([
    ["a user", user("U0ALICE"), "<@U0ALICE>"],
    ["a W user", user("W012ABC"), "<@W012ABC>"],
    ["a user of the shortest id", user("U1"), "<@U1>"],
    ["a user of the longest id", user(`U${"A".repeat(20)}`), `<@U${"A".repeat(20)}>`],
    ["a user id one too long", user(`U${"A".repeat(21)}`), `\`U${"A".repeat(21)}\``],
    ["a user id of its letter alone", user("U"), "`U`"],
    ["a user id in lowercase", user("u0alice"), "`u0alice`"],
    ["a user id of another letter", user("X0ALICE"), "`X0ALICE`"],
    ["a broadcast as a user", user("<!channel>"), "`&lt;!channel&gt;`"],
    ["a broadcast before a user id", user("<!channel>U0ALICE"), "`&lt;!channel&gt;U0ALICE`"],
    ["a broadcast after a user id", user("U0ALICE> <!here"), "`U0ALICE&gt; &lt;!here`"],
    ["a user id with a newline", user("U0ALICE\n"), "`U0ALICE\n`"],
    ["anyone", principal("*"), "anyone"],
    ["a user group", principal("S0APPROVERS"), "<!subteam^S0APPROVERS>"],
    [
      "a user group of the longest id",
      principal(`S${"A".repeat(20)}`),
      `<!subteam^S${"A".repeat(20)}>`,
    ],
    ["a user group id one too long", principal(`S${"A".repeat(21)}`), `\`S${"A".repeat(21)}\``],
    ["a broadcast before a group id", principal("<!here>S0AB"), "`&lt;!here&gt;S0AB`"],
    ["a broadcast after a group id", principal("S0AB <!channel>"), "`S0AB &lt;!channel&gt;`"],
    ["a user as a principal", principal("U0BOB"), "<@U0BOB>"],
    ["two stars", principal("**"), "`**`"],
    ["a broadcast as a principal", principal("!channel"), "`!channel`"],
    ["a channel", channel("C0OPS"), "<#C0OPS>"],
    ["a private channel", channel("G0PRIV"), "<#G0PRIV>"],
    ["a direct message", channel("D0DM"), "<#D0DM>"],
    ["a channel of the longest id", channel(`C${"A".repeat(20)}`), `<#C${"A".repeat(20)}>`],
    ["a channel id one too long", channel(`C${"A".repeat(21)}`), `\`C${"A".repeat(21)}\``],
    ["a channel by its name", channel("#general"), "`#general`"],
    ["a channel id in lowercase", channel("c0ops"), "`c0ops`"],
    ["a broadcast before a channel id", channel("<!channel>C0OPS"), "`&lt;!channel&gt;C0OPS`"],
    ["a broadcast after a channel id", channel("C0OPS <!channel>"), "`C0OPS &lt;!channel&gt;`"],
    ["code", code("web`01 <x>`"), "`web'01 &lt;x&gt;'`"],
    ["code of nothing", code(""), ""],
    ["code of a number", code(42), "`42`"],
    ["code of bm's own mrkdwn", code(md`*x* ${"<y>"}`), "`*x* &lt;y&gt;`"],
    [
      "a link",
      link("https://local.slack.test/archives/C1/p1", "thread"),
      "<https://local.slack.test/archives/C1/p1|thread>",
    ],
    [
      "a link with an escaped label",
      link("https://x.test/a", "<b> & c"),
      "<https://x.test/a|&lt;b&gt; &amp; c>",
    ],
    ["a link with bm's own label", link("https://x.test/a", code("x")), "<https://x.test/a|`x`>"],
    ["a script address", link("javascript:alert(1)", "thread"), "thread"],
    ["an address that ends with https", link("javascript:https://x.test", "thread"), "thread"],
    ["an http address", link("http://x.test/a", "thread"), "thread"],
    ["https alone", link("https://", "thread"), "thread"],
    ["an address with a |", link("https://evil.example|x", "thread"), "thread"],
    ["an address with a space", link("https://x.test <!channel>", "thread"), "thread"],
    ["an address with a >", link("https://x.test>", "thread"), "thread"],
    ["an address with a <", link("https://x.test<", "thread"), "thread"],
    ["an address refused, its label escaped", link("ftp://x", "<!channel>"), "&lt;!channel&gt;"],
    ["a join", join(["a", "<b>", md`*c*`, 4]), "a, &lt;b&gt;, *c*, 4"],
    ["a join by bm's separator", join(["a", "b"], " · "), "a · b"],
    ["a join of nothing", join([]), ""],
    ["a list shown whole", listOf(["a", "b", "c"], 3), "a, b, c"],
    ["a list one over", listOf(["a", "b", "c", "d"], 3), "a, b, c, … and 1 more"],
    ["a list cut short", listOf(["a", "b", "c", "d"], 2), "a, b, … and 2 more"],
    ["a list by bm's separator", listOf(["a", "b", "c"], 1, " · "), "a · … and 2 more"],
    ["a list shown whole by bm's separator", listOf(["a", "b"], 2, " · "), "a · b"],
    ["a list escaped", listOf(["<a>"], 2), "&lt;a&gt;"],
    ["a list of nothing", listOf([], 0), ""],
  ])("%s", (_, built, text) => {
    expect(built.text).toBe(text);
  });
});

describe("date", () => {
  // 2026-11-26T10:03:27.900Z: the token counts whole seconds, the fallback whole minutes.
  const AT = Date.UTC(2026, 10, 26, 10, 3, 27, 900);

  it.each<[string, string | number, (typeof TIME)[] | [], string]>([
    [
      "an ISO time",
      "2026-11-26T10:03:27.900Z",
      [],
      "<!date^1795687407^{date_num} {time}|2026-11-26 10:03 UTC>",
    ],
    ["epoch milliseconds", AT, [], "<!date^1795687407^{date_num} {time}|2026-11-26 10:03 UTC>"],
    ["the time alone", AT, [TIME], "<!date^1795687407^{time}|10:03 UTC>"],
    [
      "an ISO time in another zone",
      "2026-11-26T19:03:27+09:00",
      [],
      "<!date^1795687407^{date_num} {time}|2026-11-26 10:03 UTC>",
    ],
    ["the start of the epoch", 0, [], "<!date^0^{date_num} {time}|1970-01-01 00:00 UTC>"],
    ["a time that is not one, as its text, escaped", "soon <@U1>", [], "soon &lt;@U1&gt;"],
    ["no time at all", Number.NaN, [TIME], "NaN"],
  ])("%s", (_, at, tokens, shown) => {
    expect(date(at, ...tokens).text).toBe(shown);
  });

  it("says the date and the time unless told", () => {
    expect(DATE_AND_TIME).toBe("{date_num} {time}");
    expect(TIME).toBe("{time}");
    expect(date(AT, DATE_AND_TIME).text).toBe(date(AT).text);
  });

  it("goes into a template as it is, never escaped", () => {
    expect(md`expires ${date(AT)} ${"&"} then`.text).toBe(
      "expires <!date^1795687407^{date_num} {time}|2026-11-26 10:03 UTC> &amp; then",
    );
  });

  it("is never cut inside: a fitted text keeps it whole or drops it", () => {
    // Prepare
    const text = md`${"a".repeat(20)} ${date(AT)}`;
    const whole = text.text.length;
    // Act, Assess
    expect(fitMrkdwn(text, whole)).toBe(text.text);
    for (let max = 3; max < whole; max++) {
      const fitted = fitMrkdwn(text, max);
      expect(fitted.length).toBeLessThanOrEqual(max);
      expect(fitted).not.toContain("<!date");
    }
  });
});

describe("clip", () => {
  it("is fitMrkdwn's cut, still mrkdwn", () => {
    const text = md`${"a".repeat(10)} ${user("U1")}`;
    expect(clip(text, 100)).toBeInstanceOf(Mrkdwn);
    expect(clip(text, 100).text).toBe("aaaaaaaaaa <@U1>");
    expect(clip(text, 8).text).toBe("aaaaaa…");
    expect(md`${clip(md`${"<"}`, 10)}`.text).toBe("&lt;");
  });
});

describe("fitMrkdwn", () => {
  it.each([
    ["text that fits", md`${"a".repeat(9)}`, 10, "a".repeat(9)],
    ["text that fits exactly", md`${"a".repeat(10)}`, 10, "a".repeat(10)],
    ["text one over, cut with room for a closing `", md`${"a".repeat(11)}`, 10, "aaaaaaaa…"],
    ["a limit below 2", md`abc`, 1, "…"],
    ["a mention after the cut", md`${"a".repeat(9)}${user("U0ALICE")}`, 10, "aaaaaaaa…"],
    ["a mention across the cut", md`${"x".repeat(8)} ${user("U0ALICE")}`, 12, "xxxxxxxx …"],
    ["a mention at the start", md`${user("U0ALICE")} and more text`, 5, "…"],
    ["a mention ending at the cut", md`xx${user("U1")}yyyy`, 8, "xx…"],
    ["a mention ending before the cut", md`${user("U1")} ${"b".repeat(9)}`, 8, "<@U1> …"],
    ["an entity after the cut", md`${"a".repeat(9)}${"&"}`, 10, "aaaaaaaa…"],
    ["a ; after the cut, and no entity", md`${"a".repeat(20)};`, 10, "aaaaaaaa…"],
    ["an entity before the cut", md`${"a&"}${"b".repeat(11)}`, 10, "a&amp;bb…"],
    ["an entity at the start", md`${"&"}${"b".repeat(10)}`, 5, "…"],
    ["an entity ending at the cut", md`${"xx&"}yyyy`, 8, "xx…"],
    ["entities only", md`${"&".repeat(500)}`, 2000, `${"&amp;".repeat(399)}…`],
    ["a character split by the cut", md`a${"😀"}bbbbbbb`, 4, "a…"],
    ["a character before the cut", md`a${"😀"}bbbbbbb`, 5, "a😀…"],
    ["the first character outside the BMP", md`a${"\u{10000}"}bbbbbbb`, 4, "a…"],
    ["the last character outside the BMP", md`a${"\u{10FFFF}"}bbbbbbb`, 4, "a…"],
    ["characters of two code units", md`${"😀".repeat(10)}`, 7, "😀😀…"],
    ["inline code left open", md`see ${code("abcdefghijkl")}`, 10, "see `abc`…"],
    ["inline code closed before the cut", md`${code("a")} ${"b".repeat(11)}`, 8, "`a` bb…"],
  ])("%s", (_, value, max, fitted) => {
    // Act
    const text = fitMrkdwn(value, max);
    // Assess
    expect(text).toBe(fitted);
    expect(text.length).toBeLessThanOrEqual(max);
  });
});

describe("fitPlain", () => {
  it.each([
    ["text that fits", "short", 24, "short"],
    ["text that fits exactly", "a".repeat(24), 24, "a".repeat(24)],
    ["text one over", "a".repeat(25), 24, `${"a".repeat(23)}…`],
    ["a character split by the cut", "a😀bbbb", 3, "a…"],
    ["a character before the cut", "a😀bbbb", 4, "a😀…"],
    ["the first character outside the BMP", "a\u{10000}bbbb", 3, "a…"],
    ["the last character outside the BMP", "a\u{10FFFF}bbbb", 3, "a…"],
    ["markup, kept as text", "<@U1> &amp; *b*", 6, "<@U1>…"],
  ])("%s", (_, text, max, fitted) => {
    expect(fitPlain(text, max)).toBe(fitted);
  });
});
