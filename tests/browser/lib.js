// What the browser scripts share: Chromium from the distribution through
// playwright-core, "key=value" output, and a run that always screenshots.
'use strict';
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const say = (k, v) => console.log(k + '=' + String(v).replace(/\n/g, ' '));

// Runs body(page) in a fresh headless Chromium; says done=1 when it ends
// well, error=... when not, and leaves a screenshot at shot either way.
async function run(shot, body) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  try {
    await body(page);
    await page.screenshot({ path: shot, fullPage: true });
    say('done', 1);
  } catch (e) {
    say('error', e.message);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

module.exports = { say, run };
