// Drives the turnout dashboard in headless Chromium (playwright-core with
// the distribution's browser) the way a person would, and prints what it
// saw as "key=value" lines for the shell test to check.
//   node dashboard.js BASE_URL TOKEN SCREENSHOT
'use strict';
const { say, run } = require('./lib.js');

const [base, token, shot] = process.argv.slice(2);

async function colorOf(page) {
  return (await page.textContent('#app-demo [data-testid=active-color]')).trim();
}

async function waitColor(page, want, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await colorOf(page) === want) return true;
    await page.waitForTimeout(200);
  }
  return false;
}

run(shot, async (page) => {
  page.on('dialog', d => { say('dialog', d.message()); d.accept(); });
  await page.goto(base + '/');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 5000 });
  say('login_shown', 1);

  await page.fill('#token', 'wrong-token');
  await page.click('#login-form button');
  await page.waitForFunction(() => document.querySelector('#login-error').textContent !== '');
  say('wrong_token_error', await page.textContent('#login-error'));

  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.waitForSelector('#app-demo', { timeout: 5000 });
  await page.waitForSelector('#app-demo .history tbody tr', { timeout: 5000 });
  say('logged_in', 1);
  say('color_before', await colorOf(page));
  say('history_rows', await page.locator('#app-demo .history tbody tr').count());
  say('live_commit', await page.textContent('#app-demo [data-testid=live-commit]'));
  say('chart_bars', await page.locator('#app-demo .chart rect').count());

  /* The cookie is HttpOnly: the page's script cannot read it. */
  say('cookie_visible_to_js', await page.evaluate(() => document.cookie.includes('turnout_session')));

  /* A POST without the CSRF token is refused, even with the cookie. */
  say('post_without_csrf', await page.evaluate(async () =>
    (await fetch('/api/apps/demo/rollback', { method: 'POST', credentials: 'same-origin' })).status));

  /* Both colors at a glance, and the Rollback button says where it goes. */
  say('color_blue', (await page.textContent('#app-demo [data-testid=color-blue]')).trim());
  say('color_green', (await page.textContent('#app-demo [data-testid=color-green]')).trim());
  say('rollback_label', (await page.textContent('#app-demo .rollback')).trim());

  /* Rollback: one click (and a confirmation), the color flips. */
  const before = await colorOf(page);
  const other = before === 'blue' ? 'green' : 'blue';
  await page.click('#app-demo .rollback');
  say('rollback_color_changed', await waitColor(page, other, 20000));
  await page.waitForSelector('#app-demo .running-status.succeeded', { timeout: 20000 });
  say('log_has_switch', (await page.textContent('#app-demo [data-testid=log]')).includes('now sends demo to'));
  say('steps_shown', await page.locator('#app-demo .steps li').count());
  say('switch_step', (await page.locator('#app-demo .steps li', { hasText: 'switch' }).first().textContent()).trim());

  /* Redeploy the oldest row's commit: a new deployment, the color flips back. */
  const rows = page.locator('#app-demo .history tbody tr');
  const last = rows.nth((await rows.count()) - 1);
  const commit = (await last.locator('code').textContent()).trim();
  say('redeploy_commit', commit);
  await last.locator('button.redeploy').click();
  say('redeploy_color_changed', await waitColor(page, before, 30000));
  await page.waitForFunction(c => document.querySelector('#app-demo [data-testid=live-commit]').textContent === c,
    commit, { timeout: 30000 });
  say('live_commit_after', await page.textContent('#app-demo [data-testid=live-commit]'));
  await page.waitForTimeout(1500);

  /* Readable on a phone: nothing wider than the screen. */
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  say('phone_overflow', await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth));
  await page.screenshot({ path: shot.replace(/\.png$/, '-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.waitForTimeout(300);
});
