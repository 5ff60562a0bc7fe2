// Mixed traffic for bench/switch's mixed rows: slow requests and
// WebSockets through the proxy, beside wrk's short keep-alive requests.
//   node mixed-load.js BASE_URL SLOW_CLIENTS WS_CLIENTS STOP_FILE
// Each slow client asks /slow?ms=1000..3000 on a new connection, again and
// again; each WebSocket client holds /ws open for 2 to 5 s, sends a message
// every 100 ms and checks its echo, closes it itself and opens the next.
// Once STOP_FILE exists no new request or socket starts, those open finish,
// and it prints one line:
//   slow N ok M cut  ws N closed-by-client M cut  messages N
// A slow request is cut when it ends other than 200; a WebSocket when
// anything but the client closes it, or an echo is missing at its close.
'use strict';
const fs = require('fs');
const http = require('http');
const WebSocket = require(process.env.WS_MODULE || 'ws');

const [base, slowN, wsN, stopFile] = process.argv.slice(2);
const wsUrl = base.replace(/^http/, 'ws') + '/ws';
const count = { slowOk: 0, slowCut: 0, wsOk: 0, wsCut: 0, messages: 0 };
const cuts = [];
let running = 0;

const stopping = () => fs.existsSync(stopFile);
const between = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));

function slowClient() {
  if (stopping()) return done();
  const ms = between(1000, 3000);
  const req = http.get(`${base}/slow?ms=${ms}`, { agent: false }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) count.slowOk++;
      else { count.slowCut++; cuts.push(`slow ${ms} ms: HTTP ${res.statusCode}`); }
      slowClient();
    });
    res.on('error', (e) => { count.slowCut++; cuts.push(`slow ${ms} ms: ${e.message}`); slowClient(); });
  });
  req.on('error', (e) => { count.slowCut++; cuts.push(`slow ${ms} ms: ${e.message}`); slowClient(); });
}

function wsClient() {
  if (stopping()) return done();
  const ws = new WebSocket(wsUrl);
  let sent = 0, echoed = 0, closing = false, over = false, timer;
  const finish = (ok, why) => {
    if (over) return;
    over = true;
    clearInterval(timer);
    if (ok) count.wsOk++; else { count.wsCut++; cuts.push(`ws after ${echoed} messages: ${why}`); }
    if (!ok) ws.terminate();
    setImmediate(wsClient);
  };
  ws.on('open', () => {
    // Under load an echo may come late; a lost one shows at the close.
    timer = setInterval(() => ws.send(`message ${++sent}`), 100);
    setTimeout(() => { closing = true; clearInterval(timer); ws.close(1000); }, between(2000, 5000));
  });
  ws.on('message', () => { echoed++; count.messages++; });
  ws.on('close', (code) => finish(closing && echoed === sent, `closed with code ${code}`));
  ws.on('error', (e) => finish(false, e.message));
}

function done() {
  if (--running > 0) return;
  console.log(`slow ${count.slowOk} ok ${count.slowCut} cut  ws ${count.wsOk} closed-by-client ` +
    `${count.wsCut} cut  messages ${count.messages}`);
  for (const c of cuts.slice(0, 5)) console.error(`mixed-load: ${c}`);
  process.exit(0);
}

running = Number(slowN) + Number(wsN);
for (let i = 0; i < Number(slowN); i++) setTimeout(slowClient, i * 50);
for (let i = 0; i < Number(wsN); i++) setTimeout(wsClient, i * 50);
