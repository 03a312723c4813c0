#!/usr/bin/python3
"""The README's Python example for cdc-hub's WebSocket gateway, made runnable.

    /usr/bin/python3 stream.py [HOST:PORT] [JWT] [TOPIC]
    (or CDC_HUB_ADDRESS, CDC_HUB_TOKEN, CDC_HUB_TOPIC; defaults localhost:8080, no token, realtime_prices)

Needs the `websockets` package (Debian: python3-websockets). Prints every frame the gateway sends as one
JSON line on stdout, and {"closed": code} when the connection ends.
"""
import asyncio
import json
import os
import sys
from urllib.parse import quote

import websockets

args = sys.argv[1:] + [None] * 3
HOST = args[0] or os.environ.get("CDC_HUB_ADDRESS", "localhost:8080")
JWT = args[1] or os.environ.get("CDC_HUB_TOKEN", "")
TOPIC = args[2] or os.environ.get("CDC_HUB_TOPIC", "realtime_prices")


async def main():
    try:
        # --- the example, as in the README (host, token and topic from above) ---
        async with websockets.connect(f"ws://{HOST}/ws/stream?token={quote(JWT)}") as websocket:
            await websocket.send(json.dumps({"action": "subscribe", "topics": [TOPIC]}))
            async for message in websocket:
                data = json.loads(message)
                # --- end of the example ---
                print(json.dumps(data), flush=True)
            print(json.dumps({"closed": websocket.close_code, "reason": websocket.close_reason}), flush=True)
    except websockets.exceptions.ConnectionClosed as closed:
        print(json.dumps({"closed": closed.rcvd.code if closed.rcvd else 1006,
                          "reason": closed.rcvd.reason if closed.rcvd else ""}), flush=True)
    except websockets.exceptions.InvalidStatusCode as refused:
        # a refused handshake (401 for a bad token)
        print(json.dumps({"refused": refused.status_code}), flush=True)
        sys.exit(2)


asyncio.run(main())
