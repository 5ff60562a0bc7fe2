// Loads of clients for the intake tests (t1006), from loopback source
// addresses of their own (127.0.0.2 and up), so that per-address limits
// can be seen. Each mode prints one JSON line of what it saw.
//
//   bad URL CONNS SECONDS ADDRS
//       CONNS connections spread over ADDRS addresses post pushes with a
//       wrong signature, again and again, for SECONDS; a refused
//       connection is opened again. {"status": {"401": n}, "refused": n}
//   slow PORT CONNS SECONDS ADDRS
//       CONNS connections that send a request head a byte at a time and
//       never finish it. {"opened": n, "closed": n, "closed_early": n}
//       (closed_early: by the server within its first second)
//   partial PORT CONNS SECONDS same|distinct
//       from 127.0.0.1 (a proxy), CONNS requests with a whole head naming
//       one client (same) or each its own (distinct) in X-Forwarded-For,
//       and a body that never ends. {"status": {"429": n}, "held": n, "closed": n,
//       "answer": the first answer, as it came}
//   burst URL CLIENTS SECRET OUT
//       CLIENTS clients post good pushes, each with a delivery id of its
//       own, one after another, until the server goes away; every id
//       answered 202 is appended to OUT at once. {"accepted": n, "errors": n}
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');

const [mode, ...args] = process.argv.slice(2);
const addr = (i, n) => '127.0.0.' + (2 + (i % n));
const push = (id) => JSON.stringify({
  ref: 'refs/heads/main', before: '1'.repeat(40), after: id, deleted: false,
  repository: { full_name: 'octo/demo' },
  head_commit: { id, message: 'load', author: { name: 'Load', email: 'load@example.com' } },
});
const count = (o, k) => { o[k] = (o[k] || 0) + 1; };
const done = (o) => { process.stdout.write(JSON.stringify(o) + '\n'); process.exit(0); };

function post(url, agent, body, headers) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(10000, () => req.destroy());
    req.end(body);
  });
}

async function bad([url, conns, seconds, addrs]) {
  const out = { status: {}, refused: 0 };
  const until = Date.now() + Number(seconds) * 1000;
  const body = push('a'.repeat(40));
  const loop = async (i) => {
    let agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: addr(i, Number(addrs)) });
    while (Date.now() < until) {
      const status = await post(url, agent, body, {
        'Content-Type': 'application/json', 'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': 'bad-' + i + '-' + Date.now(),
        'X-Hub-Signature-256': 'sha256=' + '0'.repeat(64),
      });
      if (status === 0) {
        out.refused++;
        agent.destroy();
        agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: addr(i, Number(addrs)) });
        await new Promise((r) => setTimeout(r, 100));
      } else {
        count(out.status, status);
      }
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: Number(conns) }, (_, i) => loop(i)));
  done(out);
}

function slow([port, conns, seconds, addrs]) {
  const out = { opened: 0, closed: 0, closed_early: 0 };
  const head = 'POST /hooks/demo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\nX-Slow: ';
  for (let i = 0; i < Number(conns); i++) {
    const s = net.connect({ port: Number(port), host: '127.0.0.1', localAddress: addr(i, Number(addrs)) });
    let opened = 0, n = 0, timer;
    s.on('connect', () => {
      opened = Date.now();
      out.opened++;
      timer = setInterval(() => s.write(n++ < head.length ? head[n - 1] : 'x'), 250);
    });
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => {
      clearInterval(timer);
      if (!opened) return;
      out.closed++;
      if (Date.now() - opened < 1000) out.closed_early++;
    });
  }
  setTimeout(() => done(out), Number(seconds) * 1000);
}

function partial([port, conns, seconds, which]) {
  const out = { status: {}, held: 0, closed: 0 };
  const open = new Set();
  for (let i = 0; i < Number(conns); i++) {
    const client = which === 'same' ? '203.0.113.7' : '198.51.100.' + (1 + i);
    const s = net.connect({ port: Number(port), host: '127.0.0.1' });
    let answered = false;
    s.on('connect', () => {
      open.add(s);
      s.write('POST /hooks/demo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\n' +
        'X-Forwarded-For: 192.0.2.1, ' + client + '\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"ref":');
    });
    s.on('error', () => {});
    s.on('data', (d) => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(d.toString());
      if (m && !answered) {
        answered = true;
        open.delete(s);
        count(out.status, m[1]);
        out.answer = out.answer || d.toString();
      }
    });
    s.on('close', () => { out.closed++; open.delete(s); });
  }
  setTimeout(() => {
    out.held = open.size; // open, and not answered: in flight
    done(out);
  }, Number(seconds) * 1000);
}

async function burst([url, clients, secret, file]) {
  const out = { accepted: 0, errors: 0 };
  const loop = async (i) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: addr(i, Number(clients)) });
    for (let n = 0; ; n++) {
      const id = crypto.createHash('sha1').update(i + '-' + n).digest('hex');
      const delivery = 'burst-' + i + '-' + n;
      const body = push(id);
      const sig = crypto.createHmac('sha256', secret).update(body).digest('hex');
      const status = await post(url, agent, body, {
        'Content-Type': 'application/json', 'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': delivery, 'X-Hub-Signature-256': 'sha256=' + sig,
      });
      if (status === 202) {
        fs.appendFileSync(file, delivery + '\n');
        out.accepted++;
      } else {
        // The server is gone (or refused): this client is done.
        out.errors++;
        break;
      }
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: Number(clients) }, (_, i) => loop(i)));
  done(out);
}

const modes = { bad, slow, partial, burst };
if (!modes[mode]) {
  process.stderr.write('usage: hook-load.js bad|slow|partial|burst ...\n');
  process.exit(2);
}
modes[mode](args);
