// An app that serves what outlives a switch, for turnout's drain tests and
// bench/switch's mixed rows: like demo-app (which color and commit it is,
// /healthz, /confirm), plus
//   /slow?ms=N   answers after N milliseconds
//   /ws          a WebSocket (the `ws` package) that echoes each message
//                as "COLOR: MESSAGE"
// It listens on 127.0.0.1:$TURNOUT_PORT, or on $TURNOUT_SOCKET (then it
// names its color in X-Turnout-Color itself). On SIGTERM it exits at once,
// cutting whatever is open, as many real apps do: only a drain before the
// stop keeps those connections whole.
'use strict';
const http = require('http');
const fs = require('fs');
const { WebSocketServer } = require(process.env.WS_MODULE || 'ws');

const color = process.env.TURNOUT_COLOR || '?';
const commit = (process.env.TURNOUT_COMMIT || '?').slice(0, 12);
const sock = process.env.TURNOUT_SOCKET || '';
const port = Number(process.env.TURNOUT_PORT || 0);
const page = `long app: color ${color}, commit ${commit}\n`;

if (!sock && !(port > 0)) {
  console.error('long-app: neither TURNOUT_PORT nor TURNOUT_SOCKET is set');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  const headers = { 'Content-Type': 'text/plain; charset=utf-8' };
  if (sock) headers['X-Turnout-Color'] = color;
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/slow') {
    const ms = Math.min(Number(url.searchParams.get('ms')) || 1000, 600000);
    const timer = setTimeout(() => { res.writeHead(200, headers); res.end(page); }, ms);
    req.on('close', () => clearTimeout(timer));
    return;
  }
  res.writeHead(200, headers);
  res.end(url.pathname === '/healthz' ? 'ok\n' : page);
});
// Long requests and idle WebSockets must not be timed out by node itself.
server.requestTimeout = 0;
server.headersTimeout = 60000;
server.keepAliveTimeout = 5000;

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  ws.on('message', (data) => ws.send(`${color}: ${data}`));
});

process.on('SIGTERM', () => process.exit(0));
if (sock) {
  try { fs.unlinkSync(sock); } catch (e) { /* not there */ }
  server.listen(sock, () => {
    fs.chmodSync(sock, 0o666);	// the proxy's workers connect to it
    console.log(`long-app: ${color} listening on ${sock}`);
  });
} else {
  server.listen(port, '127.0.0.1', () => console.log(`long-app: ${color} listening on ${port}`));
}
