/* turnout dashboard: plain JavaScript over the JSON API. Text from the
 * server (commit messages, authors, logs) only ever goes in as textContent. */
'use strict';

let csrf = null;          /* set after login; sent with every POST */
let readOnly = false;     /* public_status without a login */
const logs = {};          /* deployment id -> lines already shown */
let timer = null;

function $(sel, root) { return (root || document).querySelector(sel); }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function short(sha) { return sha ? sha.slice(0, 12) : '—'; }

function ago(ms) {
  if (!ms) return '';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
}

function took(d) {
  if (!d.started_at) return '';
  const end = d.finished_at || Date.now();
  return ((end - d.started_at) / 1000).toFixed(1) + ' s';
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') {
    if (csrf) opts.headers['X-CSRF-Token'] = csrf;
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    const err = new Error((data && data.error) || ('HTTP ' + r.status));
    err.status = r.status;
    err.data = data;
    throw err;
  }
  return data;
}

function showError(msg) { $('#error').textContent = msg || ''; }

async function act(what, method, path, body) {
  if (!window.confirm(what + '?')) return;
  try {
    const r = await api(method, path, body);
    showError('');
    if (r && r.deployment) logs[r.deployment] = logs[r.deployment] || 0;
    refresh();
  } catch (e) {
    showError(what + ' failed: ' + e.message);
  }
}

function renderSteps(ol, steps) {
  ol.textContent = '';
  for (const s of steps) {
    const li = el('li', s.status, s.name + ' · ' + s.status +
      (s.finished_at ? ' · ' + ((s.finished_at - s.started_at) / 1000).toFixed(1) + ' s' : '') +
      (s.command_ms > 0 ? ' (' + (s.command_ms / 1000).toFixed(1) + ' s in your commands)' : ''));
    if (s.detail) li.title = s.detail;
    /* Why a step failed is the first thing to read: shown, not hovered. */
    if (s.detail && s.status === 'failed') li.appendChild(el('div', 'detail', s.detail));
    ol.appendChild(li);
  }
}

async function followLog(pre, id) {
  if (pre.dataset.id !== String(id)) {
    pre.dataset.id = String(id);
    pre.textContent = '';
    logs[id] = 0;
  }
  const r = await api('GET', '/api/deployments/' + id + '/log?offset=' + (logs[id] || 0));
  for (const l of r.lines) {
    const line = el('span', l.stream, new Date(l.ts).toISOString().slice(11, 19) + ' ' + l.line + '\n');
    pre.appendChild(line);
  }
  logs[id] = r.next_offset;
  if (r.lines.length) pre.scrollTop = pre.scrollHeight;
}

function renderChart(svg, list) {
  const recent = list.slice(0, 30).reverse();
  const max = Math.max(1, ...recent.map(d => (d.finished_at || Date.now()) - (d.started_at || d.created_at)));
  const w = 100 / Math.max(recent.length, 1);
  svg.setAttribute('viewBox', '0 0 100 60');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.textContent = '';
  const colors = { succeeded: '#1a7f37', failed: '#cf222e', rolled_back: '#cf222e',
    interrupted: '#cf222e', running: '#9a6700', queued: '#9a6700' };
  recent.forEach((d, i) => {
    const dur = d.started_at ? ((d.finished_at || Date.now()) - d.started_at) : 0;
    const h = Math.max(2, 58 * dur / max);
    const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    r.setAttribute('x', (i * w + w * 0.1).toFixed(2));
    r.setAttribute('width', (w * 0.8).toFixed(2));
    r.setAttribute('y', (60 - h).toFixed(2));
    r.setAttribute('height', h.toFixed(2));
    r.setAttribute('fill', colors[d.status] || '#6e7781');
    const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    t.textContent = '#' + d.id + ' ' + d.status + ' ' + took(d);
    r.appendChild(t);
    svg.appendChild(r);
  });
}

function renderHistory(tbody, app, list) {
  tbody.textContent = '';
  for (const d of list) {
    const tr = el('tr');
    tr.dataset.id = d.id;
    tr.appendChild(el('td', null, d.id));
    const st = el('td');
    st.appendChild(el('span', 'badge ' + d.status, d.status.replace('_', ' ')));
    if (d.kind !== 'push') st.appendChild(el('span', 'muted', ' ' + d.kind));
    tr.appendChild(st);
    const c = el('td');
    c.appendChild(el('code', null, short(d.commit)));
    if (d.tag) c.appendChild(el('span', 'tag', ' ' + d.tag));
    if (d.bad_release) c.appendChild(el('span', 'bad', ' ⚠ bad release'));
    tr.appendChild(c);
    tr.appendChild(el('td', 'author', d.author || ''));
    const m = el('td', 'message', (d.message || '').split('\n')[0]);
    m.title = d.error ? d.error : (d.message || '');
    tr.appendChild(m);
    tr.appendChild(el('td', null, took(d)));
    const b = el('td');
    if (!readOnly && d.commit && !['queued', 'running'].includes(d.status)) {
      const btn = el('button', 'redeploy', 'Redeploy');
      btn.type = 'button';
      btn.onclick = () => act('Redeploy ' + short(d.commit) + ' of ' + app, 'POST',
        '/api/apps/' + encodeURIComponent(app) + '/deploy', { commit: d.commit });
      b.appendChild(btn);
    }
    if (!readOnly && ['queued', 'running'].includes(d.status)) {
      const btn = el('button', 'cancel-row', 'Cancel');
      btn.type = 'button';
      btn.onclick = () => act('Cancel deployment ' + d.id, 'POST', '/api/deployments/' + d.id + '/cancel');
      b.appendChild(btn);
    }
    tr.appendChild(b);
    tbody.appendChild(tr);
  }
}

/* A frozen app says by whom, why and until when; the button freezes or unfreezes. */
function renderFreeze(sec, app) {
  const f = app.frozen;
  const note = $('.frozen', sec);
  note.hidden = !f;
  note.textContent = !f ? '' : 'Frozen by ' + f.by + ' ' + ago(f.since) +
    (f.until ? ', until ' + new Date(f.until).toLocaleString() : ', until unfrozen') +
    ': ' + f.reason + (app.queue ? ' · ' + app.queue + ' queued, waiting' : '');
  const b = $('.freeze', sec);
  const path = '/api/apps/' + encodeURIComponent(app.name);
  b.textContent = f ? 'Unfreeze' : 'Freeze…';
  b.onclick = f ? () => act('Unfreeze ' + app.name + ' (queued deployments start)', 'POST', path + '/unfreeze')
    : () => {
      const reason = window.prompt('Freeze ' + app.name + ': why? (shown to everyone)');
      if (!reason) return;
      const until = window.prompt('Until when? 30m, 2h, 3d or 2026-12-24T18:00Z; empty: until unfrozen', '');
      if (until === null) return;
      act('Freeze ' + app.name + (until ? ' until ' + until : '') + ': ' + reason, 'POST',
        path + '/freeze', until ? { reason, until } : { reason });
    };
}

/* What the forge and notify_url were told: each event's delivery and its last attempt. */
function renderTold(ul, rows) {
  ul.textContent = '';
  ul.hidden = rows.length === 0;
  for (const n of rows) {
    let text = (n.target === 'forge' ? 'forge' : 'notify') + ' · ' + n.event + ' · ' + n.state;
    if (n.attempts) text += ' after ' + n.attempts + (n.attempts === 1 ? ' attempt' : ' attempts');
    if (n.state !== 'delivered' && n.last_error) text += ' · last: ' + n.last_error;
    if (n.state === 'pending' && n.attempts)
      text += ' · next try in ' + Math.max(0, Math.round((n.next_at - Date.now()) / 1000)) + ' s';
    ul.appendChild(el('li', n.state, text));
  }
}

async function renderApp(app) {
  let sec = document.getElementById('app-' + app.name);
  if (!sec) {
    sec = $('#app-template').content.firstElementChild.cloneNode(true);
    sec.id = 'app-' + app.name;
    $('.app-name', sec).textContent = app.name;
    $('.deploy', sec).onclick = () => act('Deploy the head of ' + app.branch + ' to ' + app.name,
      'POST', '/api/apps/' + encodeURIComponent(app.name) + '/deploy');
    $('#apps').appendChild(sec);
  }
  /* Both colors at a glance, and what Rollback would do. */
  for (const c of ['blue', 'green']) {
    const info = (app.colors && app.colors[c]) || {};
    const li = $('.color-' + c, sec);
    li.textContent = c + ' · ' + (info.state || 'empty') +
      (info.commit ? ' · ' + short(info.commit) : '') + ' · ' +
      (info.port ? 'port ' + info.port : '');
    li.className = 'color-' + c + ' ' + (info.state || 'empty');
  }
  const rb = $('.rollback', sec);
  const to = app.rollback_to;
  rb.disabled = !to;
  rb.textContent = !to ? 'Rollback (nothing to go back to)' :
    to.how === 'switch' ? 'Rollback to ' + to.color + ' (' + short(to.commit) + ')' :
      'Rollback: redeploy ' + short(to.commit) + ' to ' + to.color;
  rb.onclick = () => act(to && to.how === 'switch' ?
    'Send ' + app.name + ' traffic back to ' + to.color + ', which runs ' + short(to.commit) :
    'Redeploy ' + short(to && to.commit) + ' of ' + app.name + ' to ' + (to && to.color),
  'POST', '/api/apps/' + encodeURIComponent(app.name) + '/rollback');
  renderFreeze(sec, app);
  const badge = $('.color', sec);
  badge.textContent = app.active_color || 'none';
  badge.className = 'badge color ' + (app.active_color || '');
  $('.live-commit', sec).textContent = short(app.live_commit);
  $('.since', sec).textContent = app.since ? 'since ' + ago(app.since) : '';
  $('.state', sec).textContent = app.state + (app.queue ? ' · ' + app.queue + ' queued' : '');
  for (const b of sec.querySelectorAll('.actions button')) b.hidden = readOnly;

  const hist = await api('GET', '/api/apps/' + encodeURIComponent(app.name) + '/deployments?limit=30');
  renderHistory($('.history tbody', sec), app.name, hist.deployments);
  renderChart($('.chart', sec), hist.deployments);

  /* The running deployment, or the newest one while its log is still open. */
  const run = $('.running', sec);
  const id = app.running || (hist.deployments[0] && hist.deployments[0].id);
  if (!id) { run.hidden = true; return false; }
  const d = await api('GET', '/api/deployments/' + id);
  run.hidden = false;
  $('.running-id', sec).textContent = '#' + d.id + ' (' + short(d.commit) + (d.tag ? ', tag ' + d.tag : '') + ')';
  const rs = $('.running-status', sec);
  rs.textContent = d.status.replace('_', ' ');
  rs.className = 'running-status badge ' + d.status;
  const cancel = $('.cancel', sec);
  cancel.hidden = readOnly || !['queued', 'running'].includes(d.status);
  cancel.onclick = () => act('Cancel deployment ' + d.id, 'POST', '/api/deployments/' + d.id + '/cancel');
  renderSteps($('.steps', sec), d.steps);
  renderTold($('.told', sec), d.notifications || []);
  await followLog($('.log', sec), d.id);
  return !!app.running || app.queue > 0;
}

async function refresh() {
  clearTimeout(timer);
  let busy = false;
  try {
    const r = await api('GET', '/api/apps');
    for (const app of r.apps) busy = (await renderApp(app)) || busy;
    showError('');
  } catch (e) {
    if (e.status === 401) { showLogin(); return; }
    showError('cannot reach turnout: ' + e.message);
  }
  /* While something runs the page follows it at most a second behind. */
  timer = setTimeout(refresh, busy ? 700 : 3000);
}

function showLogin() {
  $('#login').hidden = false;
  $('#logout').hidden = true;
  $('#apps').textContent = '';
}

async function start() {
  try {
    const s = await api('GET', '/api/session');
    csrf = s.csrf;
    $('#logout').hidden = false;
    $('#whoami').textContent = 'logged in';
  } catch (e) {
    if (e.data && e.data.public_status) {
      readOnly = true;
      $('#whoami').textContent = 'read-only: log in to act';
      $('#login').hidden = false;
    } else {
      showLogin();
      return;
    }
  }
  refresh();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const r = await api('POST', '/api/session', { token: $('#token').value });
    csrf = r.csrf;
    readOnly = false;
    $('#token').value = '';
    $('#login').hidden = true;
    $('#login-error').textContent = '';
    $('#logout').hidden = false;
    $('#whoami').textContent = 'logged in';
    refresh();
  } catch (e) {
    $('#login-error').textContent = e.message;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('DELETE', '/api/session').catch(() => {});
  csrf = null;
  location.reload();
});

start();
