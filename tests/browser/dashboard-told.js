// Logs in to the dashboard in headless Chromium and prints what the
// running (or newest) deployment's panel says was told to the forge and
// notify_url, one "told=..." line each, once a failed attempt shows.
//   node dashboard-told.js BASE_URL TOKEN SCREENSHOT
'use strict';
const { say, run } = require('./lib.js');

const [base, token, shot] = process.argv.slice(2);

run(shot, async (page) => {
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.waitForFunction(() => /last: /.test(
    (document.querySelector('#app-demo [data-testid=told]') || {}).textContent || ''),
  null, { timeout: 20000 });
  for (const li of await page.locator('#app-demo [data-testid=told] li').all())
    say('told', (await li.textContent()).trim());
});
