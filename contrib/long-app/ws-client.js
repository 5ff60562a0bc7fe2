// One WebSocket client: connects to URL, sends a message every INTERVAL ms
// and checks that each is echoed, and closes by itself after SECONDS.
//   node ws-client.js URL SECONDS [INTERVAL_MS]
// Prints one line: "closed by client after N messages from COLOR[,COLOR]"
// and exits 0, or "cut after N messages: ..." and exits 1 when anything
// but the client ended it (the server, the proxy, an error) or an echo was
// missing. With OPENED=FILE it writes FILE once the socket is open.
'use strict';
const fs = require('fs');
const WebSocket = require(process.env.WS_MODULE || 'ws');

const [url, seconds, interval = '100'] = process.argv.slice(2);
const ws = new WebSocket(url);
let sent = 0, echoed = 0, closing = false, timer;
const colors = new Set();

function end(code, text) {
  clearInterval(timer);
  console.log(text);
  process.exit(code);
}

ws.on('open', () => {
  if (process.env.OPENED) fs.writeFileSync(process.env.OPENED, `${Date.now()}\n`);
  timer = setInterval(() => {
    if (echoed < sent)
      return end(1, `cut after ${echoed} messages: message ${sent} was not echoed`);
    ws.send(`message ${++sent}`);
  }, Number(interval));
  setTimeout(() => { closing = true; clearInterval(timer); ws.close(1000, 'done'); },
    Number(seconds) * 1000);
});
ws.on('message', (data) => {
  const m = /^(\w+): message (\d+)$/.exec(String(data));
  if (!m || Number(m[2]) !== echoed + 1)
    return end(1, `cut after ${echoed} messages: unexpected echo '${data}'`);
  colors.add(m[1]);
  echoed++;
});
ws.on('close', (code) => {
  if (closing && echoed === sent)
    end(0, `closed by client after ${echoed} messages from ${[...colors].join(',')}`);
  end(1, `cut after ${echoed} messages: closed with code ${code}`);
});
ws.on('error', (e) => end(1, `cut after ${echoed} messages: ${e.message}`));
