// Drives Debian's headless Chromium with playwright-core (from tools/, via NODE_PATH): opens the
// cross-origin page, waits for it to render the articles it fetched, then opens Swagger UI.
// Prints one JSON object for tests/browser/test_cors_browser.py to read.
const { chromium } = require("playwright-core");

const [pageUrl, docsUrl] = process.argv.slice(2);
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function main() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    page.on("console", (msg) => msg.type() === "error" && consoleErrors.push(msg.text()));
    await page.goto(pageUrl);
    await page.waitForSelector("#status[data-state=done], #status[data-state=failed]",
      { timeout: 30000 });
    const state = await page.getAttribute("#status", "data-state");
    const status = await page.textContent("#status");
    const titles = await page.$$eval("#articles li", (items) => items.map((li) => li.textContent));

    await page.goto(docsUrl);
    await page.waitForSelector(".opblock", { timeout: 60000 });
    const operations = await page.$$eval(".opblock", (blocks) => blocks.map((block) => ({
      id: block.id,
      method: block.querySelector(".opblock-summary-method")?.textContent ?? null,
      path: block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? null,
    })));
    const title = await page.textContent(".info .title");
    console.log(JSON.stringify({ state, status, titles, consoleErrors, operations, docsTitle: title }));
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
