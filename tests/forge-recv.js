// A stand-in for the forges' APIs and a notify_url receiver, on loopback:
// it appends each request to LOG as one JSON line (method, path, headers,
// body) and answers as the forges document it (GitHub's new Deployment:
// 201 {"id": 4242}). CONTROL holds "fail N" (answer 500 N times), "hang N"
// (never answer N times) or nothing; it is counted down as it is used.
//   node forge-recv.js PORT PORTFILE LOG CONTROL
'use strict';
const http = require('http');
const fs = require('fs');

const [port, portFile, log, control] = process.argv.slice(2);

function take() {
  let text = '';
  try { text = fs.readFileSync(control, 'utf8').trim(); } catch (e) { return null; }
  const m = /^(fail|hang) (\d+)$/.exec(text);
  if (!m || Number(m[2]) === 0) return null;
  fs.writeFileSync(control, m[1] + ' ' + (Number(m[2]) - 1) + '\n');
  return m[1];
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const what = take();
    fs.appendFileSync(log, JSON.stringify({ method: req.method, path: req.url,
      headers: req.headers, body, answered: what || 'ok' }) + '\n');
    if (what === 'hang') return; /* the client's timeout ends it */
    if (what === 'fail') {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"message":"Server Error"}');
      return;
    }
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end(/\/deployments$/.test(req.url) ? '{"id":4242,"url":"x"}' : '{"state":"ok"}');
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  fs.writeFileSync(portFile, String(server.address().port) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
