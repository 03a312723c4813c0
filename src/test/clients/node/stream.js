// The README's Node example for cdc-hub's WebSocket gateway, made runnable:
//
//   node stream.js [HOST:PORT] [JWT] [WATCHED_TOPIC]
//   (or CDC_HUB_ADDRESS, CDC_HUB_TOKEN, CDC_HUB_WATCHED_TOPIC; defaults localhost:8080, no token, cdc.commodity_prices)
//
// It subscribes to the aliases realtime_prices and realtime_events exactly as the example does, and prints
// every frame the gateway sends as one JSON line on stdout; use(value) prints the watched topic's change
// values as {"use": value}. It exits when the connection closes, after printing {"closed": code}.
'use strict';

const WebSocket = require('ws');

const [HOST = process.env.CDC_HUB_ADDRESS || 'localhost:8080',
    JWT = process.env.CDC_HUB_TOKEN || '',
    WATCHED = process.env.CDC_HUB_WATCHED_TOPIC || 'cdc.commodity_prices'] = process.argv.slice(2);

function use(value) {
    console.log(JSON.stringify({use: value}));
}

// --- the example, as in the README (host, token and watched topic from above) ---
const ws = new WebSocket(`ws://${HOST}/ws/stream?token=${encodeURIComponent(JWT)}`);
ws.on('open', () => ws.send(JSON.stringify({action: 'subscribe', topics: ['realtime_prices', 'realtime_events']})));
ws.on('message', (data) => {
    const event = JSON.parse(data);
    console.log(JSON.stringify(event));
    if (event.topic === WATCHED) use(event.value);
});
// --- end of the example ---

ws.on('unexpected-response', (request, response) => {
    // a refused handshake (401 for a bad token) arrives here, not as a close
    console.log(JSON.stringify({refused: response.statusCode}));
    process.exit(2);
});
ws.on('error', (error) => console.error(`websocket error: ${error.message}`));
ws.on('close', (code, reason) => {
    console.log(JSON.stringify({closed: code, reason: reason.toString()}));
    process.exit(0);
});
