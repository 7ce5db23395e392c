// Open local HTML files in headless Chromium, run axe-core on each, and print what it finds
// as JSON: {"<file>": {"violations": [...], "best_practice": [...], "incomplete": [...]}}.
// "violations" are the WCAG 2.2 A and AA rules; "best_practice" axe's own rules (landmarks,
// heading order), which WCAG does not name; "incomplete" what axe could not decide.
// Usage: node axe_check.mjs NODE_MODULES_DIR CHROMIUM FILE.html [FILE.html ...]
// puppeteer-core drives the browser it is given (Debian's chromium in CI); it downloads none.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, chromium, ...files] = process.argv.slice(2);
if (!modules || !chromium || files.length === 0) {
  console.error("usage: node axe_check.mjs NODE_MODULES_DIR CHROMIUM FILE.html...");
  process.exit(2);
}
const require = createRequire(join(resolve(modules), "_"));
const puppeteer = require("puppeteer-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

// A failing node as the reader of a test failure needs it: where, what, and why.
const node = (n) => ({ target: n.target, html: n.html, summary: n.failureSummary ?? null });
const rule = (r) => ({
  id: r.id, impact: r.impact, help: r.help, helpUrl: r.helpUrl, nodes: r.nodes.map(node),
});
const run = (page, tags) => page.evaluate(
  (values) => window.axe.run(document, { runOnly: { type: "tag", values } }), tags);

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  // CI runs as root, where Chromium's sandbox cannot start.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const found = {};
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 1600 });
  for (const file of files) {
    await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load" });
    await page.evaluate(axeSource);
    const wcag = await run(page, WCAG);
    const practice = await run(page, ["best-practice"]);
    found[file] = {
      axe: wcag.testEngine.version,
      violations: wcag.violations.map(rule),
      best_practice: practice.violations.map(rule),
      incomplete: wcag.incomplete.map(rule),
      passed: wcag.passes.length + practice.passes.length,
    };
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(found, null, 1));
