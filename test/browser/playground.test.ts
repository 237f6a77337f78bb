import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { ECL_ACTIONS, earlyCalls, operationIds, testStack } from "../support/stack-harness";

/** web02 of the sample, by id: it has no image attached, so a detach is recorded and ends noop. */
const WEB02 = "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6";

/**
 * The playground in a real browser (Debian's Chromium, headless, driven by playwright-core):
 * what a person sees and does on http://127.0.0.1:3000/ under `npm start`, found by role and
 * name as a screen reader would. Skipped, saying so, when no Chromium is installed.
 */
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!CHROMIUM)
  console.warn(
    "browser tests skipped: no Chromium (apt-get install chromium); .ci/run installs it",
  );

let stack: LocalStack;
let browser: Browser;
let page: Page;
let base: string;
/** A laptop's window: what is on screen is asserted by where the elements are in it. */
const WINDOW = { width: 1440, height: 900 };

/** The element's box in the window, as laid out (Playwright scrolls nothing to measure it). */
async function boxOf(selector: string) {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not laid out`);
  return box;
}
/** The box lies wholly inside the window. */
const onScreen = (box: { x: number; y: number; width: number; height: number }) =>
  box.x >= 0 &&
  box.y >= 0 &&
  box.x + box.width <= WINDOW.width &&
  box.y + box.height <= WINDOW.height;

describe.skipIf(!CHROMIUM)("the playground, in Chromium", () => {
  beforeAll(async () => {
    stack = await testStack({
      taskMs: 400,
      autoRun: true,
      // npm start's fleet: node01…node30, the installer ISO on each.
      sampleFleet: true,
      followupBudgetMs: 2000,
      // The switch's test's own conversations.list, early on purpose (a method bm never calls).
      allowEarly: (call) => call.method === "conversations.list",
    });
    base = new URL(stack.frontDoorUrl).origin;
    browser = await chromium.launch({
      executablePath: CHROMIUM as string,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    // Slack's rate limits are on: closing fails on any call bm made before a Retry-After.
    await stack?.close();
  });
  afterEach(async (context) => {
    // A modal closed on the page is closed on the server once its post has arrived; a page
    // closed before that (the post still queued on a busy machine) would leave it open there,
    // and the next page of the same person would show it again, over every button. So each
    // case ends only when the server holds no modal open.
    if (context.task.result?.state !== "fail")
      await expect
        .poll(() => stack.slack?.views.filter((v) => !v.closed).map((v) => v.triggerId), {
          timeout: 10_000,
        })
        .toEqual([]);
    if (context.task.result?.state === "fail" && page) {
      const dir = join("test-results", context.task.name.replace(/[^a-z0-9]+/gi, "-"));
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, "page.png"), fullPage: true });
      await writeFile(join(dir, "page.html"), await page.content());
    }
    await page?.close();
  });

  async function open(user: string, channel: RegExp, timezoneId?: string) {
    page = await browser.newPage({ viewport: WINDOW, ...(timezoneId ? { timezoneId } : {}) });
    await page.goto(base);
    await page.getByLabel("Acting as").selectOption(user);
    await page.getByRole("button", { name: channel }).click();
  }
  const send = async (text: string) => {
    await page.getByRole("textbox", { name: "Message" }).fill(text);
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
  };

  it("a detach typed in the incident channel ends with the card done and the requester mentioned in the thread", async () => {
    await open("U0LOCALUSER", /^#incident/);
    await send(`/bm detach web01 ${SAMPLE.image} reboot loop`);

    await expect.poll(() => page.getByText("Only visible to you").count()).toBeGreaterThan(0);
    await page
      .getByText(/✅ Done/)
      .first()
      .waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: /1 reply/ }).click();
    const thread = page.getByRole("complementary", { name: "Thread" });
    await thread.getByText(/@riley done: image/).waitFor();
    // ECL's acceptance was said on the card; its request id stays there, shown in the thread too.
    expect(await thread.textContent()).toContain("ECL request id");
    // Each message shows when it was posted, as Slack does beside the name: from its ts.
    const card = stack.slack?.history("C0INCIDENT").at(-1);
    const time = page.locator("#messages li.message:not(.ephemeral) .who time").last();
    expect(await time.getAttribute("datetime")).toBe(
      new Date(Number(card?.ts) * 1000).toISOString(),
    );
    expect(await time.textContent()).toMatch(/^\d{1,2}:\d{2}( [AP]M)?$/);
    expect(await thread.locator(".who time").count()).toBe(2);
  }, 30_000);

  it("a channel full of messages scrolls inside the window: the composer and the channels stay on screen", async () => {
    await open("U0LOCALUSER", /^#ops/);
    const say = (text: string) => stack.slack?.addEphemeral("C0OPS", "U0LOCALUSER", text);
    for (let i = 1; i <= 40; i++) say(`line ${i} of a full channel`);
    await page.getByText("line 40 of a full channel").waitFor({ state: "attached" });
    const list = page.locator("#messages");
    const sizes = () =>
      list.evaluate(
        (l, height) => ({
          scrollHeight: l.scrollHeight,
          clientHeight: l.clientHeight,
          fromBottom: l.scrollHeight - l.scrollTop - l.clientHeight,
          // The page itself never scrolls: only the list does.
          windowScrolls: l.ownerDocument.documentElement.scrollHeight > height,
        }),
        WINDOW.height,
      );
    await expect.poll(async () => (await sizes()).fromBottom).toBeLessThan(2);
    const { scrollHeight, clientHeight, windowScrolls } = await sizes();
    expect(scrollHeight).toBeGreaterThan(clientHeight);
    expect(windowScrolls).toBe(false);
    const messages = await boxOf("#messages");
    expect(messages.y + messages.height).toBeLessThanOrEqual(WINDOW.height);
    expect(onScreen(await boxOf("#composer"))).toBe(true);
    expect(onScreen(await boxOf("#message"))).toBe(true);
    expect(onScreen(await boxOf("nav.sidebar"))).toBe(true);
    expect(onScreen(await boxOf("#channel-header"))).toBe(true);
    // The latest message is in view, above the composer.
    const latest = await boxOf("li.message:last-child");
    expect(latest.y + latest.height).toBeLessThanOrEqual(messages.y + messages.height + 1);

    // Scrolled up to read: a new message leaves the reader where they are.
    await list.evaluate((l) => {
      l.scrollTop = 0;
    });
    say("line 41");
    await page.getByText("line 41", { exact: true }).waitFor({ state: "attached" });
    expect(await list.evaluate((l) => l.scrollTop)).toBe(0);
    // Back at the bottom: the next one keeps it there.
    await list.evaluate((l) => {
      l.scrollTop = l.scrollHeight;
    });
    say("line 42");
    await page.getByText("line 42", { exact: true }).waitFor({ state: "attached" });
    await expect.poll(async () => (await sizes()).fromBottom).toBeLessThan(2);
  }, 30_000);

  it("a name two servers share: the choice is private, one click on Choose replaces it and the detach is done", async () => {
    const name = `pg-${Math.random().toString(36).slice(2, 7)}`;
    stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.image] });
    stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.otherImage] });
    await open("U0LOCALUSER", /^#incident/);
    // The composer's hint says the image may be left out.
    await page.getByRole("textbox", { name: "Message" }).pressSequentially("/bm detach");
    await page.getByText("/bm detach SERVER [IMAGE-ID [REASON…]]").waitFor();
    await send(`/bm detach ${name}`);
    await page.getByText(`2 servers in tenant sample are named ${name}`).first().waitFor();
    // Each button is named as a screen reader says it: its accessibility_label.
    const choose = page.getByRole("button", { name: /^Choose server / });
    await expect.poll(() => choose.count()).toBe(2);
    await choose.last().click();
    await page.getByText(/You picked/).waitFor();
    // Replaced: no live buttons left behind.
    await expect.poll(() => choose.count()).toBe(0);
    await page
      .getByText(/✅ Done/)
      .last()
      .waitFor({ timeout: 15_000 });
  }, 30_000);

  it("the sample fleet: /bm media lists thirty servers under the installer, and Detach from all 30 runs on one card to its end", async () => {
    await open("U0LOCALUSER", /^#incident/);
    await send(`/bm media ${SAMPLE.installer}`);
    await page
      .getByText("30 servers of this tenant have image")
      .first()
      .waitFor({ timeout: 15_000 });
    const all = page.getByRole("button", {
      name: "Detach installer-rhel-9.4-x86_64.iso from every server that has it",
    });
    await all.click();
    const sure = page.getByRole("dialog", { name: "Detach from every server?" });
    await sure.getByRole("button", { name: "Request detach" }).click();
    await page
      .getByText(/^Recorded `?op-/)
      .last()
      .waitFor({ timeout: 15_000 });
    // One card in the channel for the thirty, and its end: every one done (its outcome, a
    // section of its own; the progress says "0 of 30 done" before).
    await page.getByText("30 done", { exact: true }).first().waitFor({ timeout: 60_000 });
    const posts = ECL_ACTIONS(stack).filter(
      (r) => r.status === 200 && r.body.includes(SAMPLE.installer),
    );
    expect(new Set(posts.map((r) => r.path)).size).toBe(30);
    expect(posts).toHaveLength(30);
  }, 90_000);

  it("in the changes channel: a request by an approver, a refused self-approval, another's approval, then done", async () => {
    await open("U0APPROVER1", /^#changes/);
    await send(`/bm detach web010 ${SAMPLE.image} CHG-42`);
    const approve = page
      .getByRole("button", { name: /^Approve detaching .* from web010 \(op-/ })
      .last();
    await approve.waitFor({ timeout: 15_000 });
    // Approve asks first, as Slack's confirm dialog does: Back sends nothing.
    await approve.click();
    const sure = page.getByRole("dialog", { name: "Approve this detach?" });
    await sure.getByText(/A detach cannot be undone/).waitFor();
    await sure.getByRole("button", { name: "Back" }).click();
    await sure.waitFor({ state: "detached" });
    await approve.click();
    await sure.getByRole("button", { name: "Approve" }).click();
    await page.getByText(/You may not approve your own request in this channel/).waitFor();

    await page.getByLabel("Acting as").selectOption("U0APPROVER2");
    await page.getByRole("button", { name: "Approve" }).last().click();
    await sure.getByRole("button", { name: "Approve" }).click();
    await page
      .getByText(/✅ Done/)
      .last()
      .waitFor({ timeout: 15_000 });
    await page
      .getByRole("button", { name: /replies/ })
      .last()
      .click();
    await page
      .getByRole("complementary", { name: "Thread" })
      .getByText(/@ben approved/)
      .waitFor();
  }, 30_000);

  it("a rejection through the modal: Slack's error for an empty reason, then the reason in the thread", async () => {
    stack.ecl?.model.addServer(SAMPLE.tenantId, { name: "rej01", media: [SAMPLE.image] });
    await open("U0LOCALUSER", /^#changes/);
    await send(`/bm detach rej01 ${SAMPLE.image} CHG-43`);
    await page.getByLabel("Acting as").selectOption("U0APPROVER2");
    const reject = page.getByRole("button", { name: "Reject" }).last();
    await reject.waitFor({ timeout: 15_000 });
    await reject.click();
    const dialog = page.getByRole("dialog", { name: "Reject the request" });
    await dialog.waitFor();
    // A modal over the page, wherever the page is scrolled: on screen, on top, the focus in it.
    const modal = await boxOf("dialog");
    expect(onScreen(modal)).toBe(true);
    expect(
      await page
        .locator("dialog")
        .evaluate(
          (d, { x, y }) => Boolean(d.ownerDocument.elementFromPoint(x, y)?.closest("dialog")),
          { x: modal.x + modal.width / 2, y: modal.y + modal.height / 2 },
        ),
    ).toBe(true);
    expect(await page.locator("dialog").evaluate((d) => d.matches(":modal"))).toBe(true);
    expect(
      await page.locator("dialog").evaluate((d) => d.contains(d.ownerDocument.activeElement)),
    ).toBe(true);
    expect(await dialog.getByLabel("Reason").evaluate((box) => box.matches(":focus"))).toBe(true);
    // Escape closes it, as Cancel does: Slack is told, and it stays closed.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => stack.slack?.views.at(-1)?.closed).toBe(true);
    await page.evaluate(() => (globalThis as unknown as { load(): Promise<void> }).load());
    expect(await page.locator("dialog").count()).toBe(0);
    // Its close button does the same.
    await reject.click();
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Back" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => stack.slack?.views.at(-1)?.closed).toBe(true);
    // Reject again: a new modal, the reason typed into it from the start.
    await reject.click();
    await dialog.waitFor();
    await page.keyboard.type("x");
    expect(await dialog.getByLabel("Reason").inputValue()).toBe("x");
    await dialog.getByLabel("Reason").fill("");
    await dialog.getByRole("button", { name: "Reject" }).click();
    await dialog.getByRole("alert").waitFor();
    // Every message bm posts meanwhile renders the page: the box being typed in stays the same
    // box (a box replaced mid-typing loses what was typed, and the reason goes out empty).
    const box = await dialog.getByLabel("Reason").elementHandle();
    await page.evaluate(() => (globalThis as unknown as { load(): Promise<void> }).load());
    expect(await box?.evaluate((element) => element.isConnected)).toBe(true);
    await dialog.getByLabel("Reason").fill("change freeze until Monday");
    await dialog.getByRole("button", { name: "Reject" }).click();
    await dialog.waitFor({ state: "detached" });
    await page
      .getByText(/⛔ Rejected/)
      .last()
      .waitFor({ timeout: 15_000 });
    expect(await page.getByText(/change freeze until Monday/).count()).toBeGreaterThan(0);
  }, 30_000);

  it("dates in the reader's own time zone; a non-approver's Reject turns into the refusal", async () => {
    stack.ecl?.model.addServer(SAMPLE.tenantId, { name: "tz01", media: [SAMPLE.image] });
    await open("U0LOCALUSER", /^#changes/, "Asia/Tokyo");
    await send(`/bm detach tz01 ${SAMPLE.image} CHG-44`);
    const reject = page.getByRole("button", { name: /^Reject detaching .* from tz01 \(op-/ });
    await reject.waitFor({ timeout: 15_000 });
    // The card's expiry, a Slack date token: shown in Tokyo's time, not the UTC fallback.
    const card = stack.slack?.history("C0CHANGES").findLast((m) => m.text.includes("tz01"));
    const epoch = Number(/expires <!date\^(\d+)\^/.exec(JSON.stringify(card?.blocks))?.[1]);
    const expires = page.locator(`time[datetime="${new Date(epoch * 1000).toISOString()}"]`).last();
    const tokyoDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(
      new Date(epoch * 1000),
    );
    expect(await expires.textContent()).toMatch(new RegExp(`^${tokyoDay} \\d{1,2}:\\d\\d`));
    expect(await expires.textContent()).not.toContain("UTC");
    // Someone who may not reject: the form opens, then becomes the refusal, with Close alone.
    await reject.click();
    const refused = page.getByRole("dialog", { name: "Cannot reject" });
    await refused.waitFor();
    expect(await refused.getByRole("button").allTextContents()).toEqual(["Close"]);
    await refused.getByRole("button", { name: "Close" }).click();
    await refused.waitFor({ state: "detached" });
  }, 30_000);

  it("in the channel bm was never invited to, the user is told so, privately", async () => {
    await open("U0LOCALUSER", /^#nobot(?!changes)/);
    await send(`/bm detach ${WEB02} ${SAMPLE.image}`);
    await page.getByText(/invite it with/).waitFor({ timeout: 15_000 });
    await page.getByRole("note").getByText("not_in_channel").first().waitFor();
  }, 30_000);

  it("behind the scenes: a trainer switches on the 409 race, watches bm wait it out, and replays the detach", async () => {
    stack.ecl?.model.addServer(SAMPLE.tenantId, { name: "train01", media: [SAMPLE.image] });
    await open("U0LOCALUSER", /^#incident/);
    await page.getByText("Behind the scenes").click();
    const race = page.getByLabel("409 race on the next action");
    await race.check();
    await expect.poll(() => stack.ecl?.model.race409Armed?.ms).toBe(3000);
    await send(`/bm detach train01 ${SAMPLE.image} training`);
    const card = page
      .getByRole("listitem")
      .filter({ hasText: "train01" })
      .filter({ hasText: "✅ Done" });
    await card.waitFor({ timeout: 15_000 });
    await card.getByRole("button", { name: /replies/ }).click();
    await page
      .getByRole("complementary", { name: "Thread" })
      .getByText(/ECL answered 409/)
      .waitFor();
    const scenes = page.getByRole("group").filter({ hasText: "Behind the scenes" });
    await scenes
      .getByText(/waiting_for_idle by bm/)
      .first()
      .waitFor();
    // Spent by the action that met it: the switch unticks itself and says which one that was.
    await expect.poll(() => race.isChecked()).toBe(false);
    await scenes
      .getByRole("status")
      .getByText(/^Last 409 race: train01, /)
      .waitFor();
    const row = scenes.getByRole("row").filter({ hasText: "train01" });
    await row.getByText("no media").waitFor();
    await row.getByRole("button", { name: "Attach image again" }).click();
    await row.getByText("3339fd5f").waitFor();
    // Ticked again, the replay races again, on the same server.
    await race.check();
    await expect.poll(() => stack.ecl?.model.race409Armed?.ms).toBe(3000);
    await send(`/bm detach train01 ${SAMPLE.image} training again`);
    // A race of 3 s, the wait, then the detach: on a busy machine, a while.
    await row.getByText("no media").waitFor({ timeout: 30_000 });
    expect(stack.ecl?.model.races.filter((r) => r.name === "train01")).toHaveLength(2);
    expect(await race.isChecked()).toBe(false);
    // A click on another card shows that operation behind the scenes instead.
    const shown = () =>
      scenes.getByRole("heading", { level: 3 }).filter({ hasText: /^op-/ }).textContent();
    const before = await shown();
    await page.getByRole("listitem").filter({ hasText: SAMPLE.web01 }).first().click();
    await expect.poll(shown).not.toBe(before);
    expect(await shown()).toMatch(/^op-[a-z0-9]{10}: done$/);
  }, 60_000);

  it("behind the scenes: the switch Slack rate-limits bm turns Slack's limits on and off, and the page names an early call", async () => {
    await open("U0LOCALUSER", /^#incident/);
    await page.getByText("Behind the scenes").click();
    const limits = page.getByLabel("Slack rate-limits bm (Slack's real tiers)");
    // As the stand-in has it (on in this file's stack, as under npm start: playground.test.ts).
    await expect.poll(() => limits.isChecked()).toBe(true);
    await limits.uncheck();
    await expect.poll(() => stack.slack?.ratesLimited).toBe(false);
    await limits.check();
    await expect.poll(() => stack.slack?.ratesLimited).toBe(true);
    // A method bm never calls (Tier 2, as any method the table leaves out), 21 times in a row
    // with bm's token: the 21st is refused for its rate, the 22nd comes before its Retry-After.
    const secrets = JSON.parse(readFileSync("infra/local/secrets.json", "utf8"));
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const res = await fetch(`${stack.slack?.apiUrl}conversations.list`, {
        method: "POST",
        headers: { authorization: `Bearer ${secrets["bm/slack"].bot_token}` },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(19)).toEqual([200, 429, 429]);
    expect(earlyCalls(stack).map((c) => c.method)).toEqual(["conversations.list"]);
    const scenes = page.getByRole("group").filter({ hasText: "Behind the scenes" });
    await scenes
      .getByRole("alert")
      .getByText(
        /^bm called Slack 1 time before a Retry-After had passed \(last: conversations\.list, /,
      )
      .waitFor();
    await scenes
      .getByRole("status")
      .getByText(/^Slack refused \d+ calls? of bm for their rate\.$/)
      .waitFor();
  }, 30_000);

  it("on localhost too: the page's calls carry its origin and token, and a command is answered", async () => {
    page = await browser.newPage();
    await page.goto(base.replace("127.0.0.1", "localhost"));
    await page.getByLabel("Acting as").selectOption("U0LOCALUSER");
    await page.getByRole("button", { name: /^#incident/ }).click();
    await send("/bm help");
    await page.getByText("Only visible to you").first().waitFor();
  }, 30_000);

  it("a page kept open across a restart (its token is no longer good) says to reload it", async () => {
    page = await browser.newPage();
    // The page as a run before this one served it: with that run's token.
    await page.route(`${base}/`, async (route) => {
      const served = await route.fetch();
      const body = (await served.text()).replace(
        /(<meta name="bm-playground-token" content=")[^"]*/,
        `$1${"x".repeat(43)}`,
      );
      await route.fulfill({ response: served, body });
    });
    await page.goto(base);
    await page.getByText("bm was restarted: reload this page").waitFor();
  }, 30_000);

  it("a page served from another origin cannot make the playground record a detach", async () => {
    // Another site on this machine (any port of 127.0.0.1 but the playground's): what a page
    // anywhere on the web can do as well. It sends a detach every way a page can without
    // the playground's consent: a simple no-cors request (no preflight), and a JSON one.
    const foreign = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>another site</title><p>hello</p>");
    });
    await new Promise<void>((done) => foreign.listen(0, "127.0.0.1", done));
    try {
      stack.ecl?.model.addServer(SAMPLE.tenantId, { name: "cross01", media: [SAMPLE.image] });
      const before = await operationIds(stack);
      page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
      const outcomes = await page.evaluate(
        async ({ target, image }) => {
          const body = JSON.stringify({
            user: "U0LOCALUSER",
            channel: "C0INCIDENT",
            text: `/bm detach cross01 ${image} sent by another page`,
          });
          const tries = [
            () => fetch(`${target}/_playground/slash`, { method: "POST", mode: "no-cors", body }),
            () =>
              fetch(`${target}/_playground/slash`, {
                method: "POST",
                mode: "no-cors",
                headers: { "content-type": "text/plain" },
                body,
              }),
            () =>
              fetch(`${target}/_playground/slash`, {
                method: "POST",
                headers: { "content-type": "application/json", "x-playground-token": "guess" },
                body,
              }),
          ];
          const seen: string[] = [];
          for (const attempt of tries)
            seen.push(
              await attempt().then(
                (r) => r.type,
                (e: Error) => e.name,
              ),
            );
          return seen;
        },
        { target: base, image: SAMPLE.image },
      );
      // The no-cors answers are opaque to the page; the JSON one is stopped at its preflight.
      expect(outcomes).toEqual(["opaque", "opaque", "TypeError"]);
      await stack.deliver();
      expect(await operationIds(stack)).toEqual(before);
      const cross01 = stack.ecl?.model.serversOf(SAMPLE.tenantId).find((s) => s.name === "cross01");
      expect(ECL_ACTIONS(stack).filter((a) => a.path.includes(cross01?.id ?? "?"))).toEqual([]);
      expect(cross01?.media).toEqual([SAMPLE.image]);
    } finally {
      await new Promise((done) => foreign.close(done));
    }
  }, 30_000);

  // Last of the file: it leaves an approved detach in #changes behind it.
  it("the Home tab: an approver sees what waits for them, approves it there, and is told on the Home", async () => {
    const before = new Set(await operationIds(stack));
    await open("U0LOCALUSER", /^#changes/, "Asia/Tokyo");
    await send(`/bm detach db01 ${SAMPLE.otherImage} CHG-43`);
    // The request just made: the one operation the table did not hold before, its card up.
    const fresh = async () => (await operationIds(stack)).find((o) => !before.has(o)) ?? "none";
    await expect.poll(fresh, { timeout: 15_000 }).toMatch(/^op-/);
    const id = await fresh();
    await page
      .getByRole("button", { name: new RegExp(`\\(${id}\\)`) })
      .first()
      .waitFor({
        timeout: 15_000,
      });

    await page.getByLabel("Acting as").selectOption("U0APPROVER1");
    await page.getByRole("button", { name: "Home", exact: true }).click();
    await page.getByRole("heading", { name: "Home" }).waitFor();
    await page.getByText(/Waiting for your approval/).waitFor();
    const approve = page.locator(`button[data-action="bm_approve"][data-value="${id}"]`);
    await approve.waitFor({ timeout: 10_000 });
    // The Home's times are Slack date tokens too: shown in Tokyo's time, as on the cards.
    const home = JSON.stringify(stack.slack?.homes.get("U0APPROVER1")?.view);
    const epoch = Number(new RegExp(`${id}[^!]*expires <!date\\^(\\d+)\\^`).exec(home)?.[1]);
    const expires = page
      .locator(`li.home time[datetime="${new Date(epoch * 1000).toISOString()}"]`)
      .first();
    const tokyoDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(
      new Date(epoch * 1000),
    );
    expect(await expires.textContent()).toMatch(new RegExp(`^${tokyoDay} \\d{1,2}:\\d\\d`));
    expect(await expires.textContent()).not.toContain("UTC");
    // The card's button, so the card's confirm dialog first.
    await approve.click();
    await page
      .getByRole("dialog", { name: "Approve this detach?" })
      .getByRole("button", { name: "Approve" })
      .click();
    await page.getByText(`You approved ${id} (1 of 1): bm goes on with the detach.`).waitFor();
    expect(await page.locator(`button[data-value="${id}"]`).count()).toBe(0);
    // Back to a channel from the Home: the sidebar's channels work as before.
    await page.getByRole("button", { name: /^#incident/ }).click();
    await page.getByRole("textbox", { name: "Message" }).waitFor();
  }, 30_000);
});
