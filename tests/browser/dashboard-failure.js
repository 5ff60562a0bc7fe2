// After a failed deployment: logs in to the dashboard in headless Chromium
// and prints what the page says about it, as "key=value" lines.
//   node dashboard-failure.js BASE_URL TOKEN SCREENSHOT
'use strict';
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const [base, token, shot] = process.argv.slice(2);
const say = (k, v) => console.log(k + '=' + String(v).replace(/\n/g, ' '));

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  try {
    await page.goto(base + '/');
    await page.fill('#token', token);
    await page.click('#login-form button');
    /* The newest deployment is the failed one: its steps are shown. */
    const failed = '#app-demo .steps li.failed';
    await page.waitForSelector(failed + ' .detail', { timeout: 10000 });
    say('failed_step', (await page.locator(failed).first().evaluate(li => li.firstChild.textContent)).trim());
    say('failed_detail', (await page.textContent(failed + ' .detail')).trim());
    say('color_blue', (await page.textContent('#app-demo [data-testid=color-blue]')).trim());
    say('color_green', (await page.textContent('#app-demo [data-testid=color-green]')).trim());
    say('rollback_label', (await page.textContent('#app-demo .rollback')).trim());
    await page.screenshot({ path: shot, fullPage: true });
    say('done', 1);
  } catch (e) {
    say('error', e.message);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
