/**
 * `npx tsx scripts/playground-picture.ts [file]`: the README's picture of the playground
 * (docs/playground.png unless told), taken from the real thing. It starts the stack `npm start`
 * starts (the local policy, its channels and people, on free ports), and in Debian's Chromium,
 * 1440×900 as in the browser tests: riley asks for a detach in #changes, ana approves it, and
 * the picture shows the card done and its thread. Emoji need fonts-noto-color-emoji.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import { SAMPLE } from "../local/ecl-simulator/sample";
import { startLocalStack } from "../local/stack";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!CHROMIUM) {
  console.error("no Chromium: apt-get install -y chromium fonts-noto-color-emoji");
  process.exit(1);
}
const out = resolve(process.argv[2] ?? "docs/playground.png");

const stack = await startLocalStack({
  frontDoorPort: 0,
  eclPort: 0,
  dynamoPort: 0,
  autoRun: true,
  // The picture's ECL is kind and quick, whatever BM_SIMULATOR_* says.
  unkind: {},
  taskMs: 1500,
  env: { POWERTOOLS_METRICS_DISABLED: "true" },
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(new URL(stack.frontDoorUrl).origin);
  await page.getByLabel("Acting as").selectOption("U0LOCALUSER");
  await page.getByRole("button", { name: /^#changes/ }).click();
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(`/bm detach web010 ${SAMPLE.image} CHG-1042 stuck installer ISO`);
  await box.press("Enter");
  const approve = page.getByRole("button", { name: "Approve" }).last();
  await approve.waitFor({ timeout: 20_000 });
  await page.getByLabel("Acting as").selectOption("U0APPROVER1");
  await approve.click();
  // Approve asks first, as Slack's confirm dialog does.
  await page
    .getByRole("dialog", { name: "Approve this detach?" })
    .getByRole("button", { name: "Approve" })
    .click();
  await page
    .getByText(/✅ Done/)
    .last()
    .waitFor({ timeout: 30_000 });
  await page
    .getByRole("button", { name: /replies/ })
    .last()
    .click();
  await page
    .getByRole("complementary", { name: "Thread" })
    .getByText(/done: image/)
    .waitFor({ timeout: 30_000 });
  // Nothing focused, no hint: the page as a reader sees it.
  await page.evaluate(() => (globalThis as unknown as { blur(): void }).blur());
  await page.locator("#message").blur();
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await stack.close();
}
