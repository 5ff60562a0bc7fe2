// Freezes and unfreezes an app from the dashboard in headless Chromium,
// answering its prompts as a person would, and prints what the page said
// as "key=value" lines. The shell test checks the API between the steps.
//   node dashboard-freeze.js BASE_URL TOKEN SCREENSHOT REASON UNTIL
'use strict';
const { say, run } = require('./lib.js');

const [base, token, shot, reason, until] = process.argv.slice(2);

run(shot, async (page) => {
  const prompts = [reason, until];
  page.on('dialog', d => {
    say('dialog_' + d.type(), d.message());
    if (d.type() === 'prompt') d.accept(prompts.shift()); else d.accept();
  });
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.waitForSelector('#app-demo .freeze', { timeout: 5000 });
  say('button_before', (await page.textContent('#app-demo .freeze')).trim());
  await page.click('#app-demo .freeze');
  await page.waitForSelector('#app-demo [data-testid=frozen]:not([hidden])', { timeout: 5000 });
  say('frozen_note', (await page.textContent('#app-demo [data-testid=frozen]')).trim());
  say('button_frozen', (await page.textContent('#app-demo .freeze')).trim());
  /* The shell side queues a deployment now and tells us by this file. */
  say('frozen', 1);
  await page.waitForFunction(() => /queued, waiting/.test(
    document.querySelector('#app-demo [data-testid=frozen]').textContent), null, { timeout: 20000 });
  say('frozen_note_queued', (await page.textContent('#app-demo [data-testid=frozen]')).trim());
  await page.click('#app-demo .freeze');
  await page.waitForSelector('#app-demo [data-testid=frozen]', { state: 'hidden', timeout: 5000 });
  say('button_after', (await page.textContent('#app-demo .freeze')).trim());
});
