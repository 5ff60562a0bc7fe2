// After a failed deployment: logs in to the dashboard in headless Chromium
// and prints what the page says about it, as "key=value" lines.
//   node dashboard-failure.js BASE_URL TOKEN SCREENSHOT
'use strict';
const { say, run } = require('./lib.js');

const [base, token, shot] = process.argv.slice(2);

run(shot, async (page) => {
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
});
