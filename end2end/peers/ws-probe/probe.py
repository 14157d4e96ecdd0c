"""A WebSocket probe against Liaison's guest live channel (`/api/portal/live`).

Written with the `websockets` library, plus hand-made frames that no library sends (a text
frame that is not UTF-8, an unmasked client frame). Every kind of bad input must be closed
with its RFC 6455 code, and a well-behaved socket opened before the abuse must still be
served after it. Prints one JSON line per case; exits 1 when any case differs.

Usage: probe.py PORT HOST ORIGIN JWT  (connects to 127.0.0.1:PORT with `Host: HOST`)
"""

import asyncio
import base64
import json
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

PORT, HOST, ORIGIN, JWT = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
PATH = "/api/portal/live"
WAIT = 10


def socket():
    return connect(
        f"ws://{HOST}{PATH}",
        host="127.0.0.1",
        port=PORT,
        origin=ORIGIN,
        additional_headers={"Authorization": f"Bearer {JWT}"},
        max_size=None,
        ping_interval=None,
    )


async def ready(ws):
    message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert message["type"] == "ready", message


async def close_of(ws):
    """Reads until the server closes: its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    except ConnectionClosed as e:
        return (e.rcvd.code, e.rcvd.reason) if e.rcvd else (None, None)


async def send_then_close(payload):
    async with socket() as ws:
        await ready(ws)
        await ws.send(payload)
        return await close_of(ws)


async def flood():
    async with socket() as ws:
        await ready(ws)
        try:
            for _ in range(200):
                await ws.send('{"type":"ping"}')
        except ConnectionClosed:
            pass
        return await close_of(ws)


def frame(opcode, payload, masked):
    """One final frame (payload under 126 bytes), masked as clients must, or not."""
    mask = os.urandom(4)
    head = bytes([0x80 | opcode, len(payload) | (0x80 if masked else 0)])
    if not masked:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def raw(frame_bytes):
    """Upgrades by hand, waits for `ready`, writes `frame_bytes`: the close code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\nOrigin: {ORIGIN}\r\n"
            f"Authorization: Bearer {JWT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    assert head.startswith(b"HTTP/1.1 101"), head
    try:
        while True:
            b0, b1 = await asyncio.wait_for(reader.readexactly(2), WAIT)
            length = b1 & 0x7F
            if length == 126:
                length = int.from_bytes(await reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await reader.readexactly(8), "big")
            payload = await reader.readexactly(length)
            opcode = b0 & 0x0F
            if opcode == 0x1 and json.loads(payload).get("type") == "ready":
                writer.write(frame_bytes)
                await writer.drain()
            elif opcode == 0x8:
                return (int.from_bytes(payload[:2], "big"), payload[2:].decode())
    finally:
        writer.close()


async def main():
    failures = 0

    def check(case, got, want_code, want_reason=None):
        nonlocal failures
        ok = got[0] == want_code and (want_reason is None or got[1] == want_reason)
        failures += not ok
        print(json.dumps({"case": case, "code": got[0], "reason": got[1], "ok": ok}))

    async with socket() as bystander:
        await ready(bystander)
        check("unknown message", await send_then_close('{"type":"shout"}'), 1008, "unknown_message")
        check("not JSON", await send_then_close("hello"), 1008, "unknown_message")
        check("binary frame", await send_then_close(b"\x00" * 8), 1003, "binary_not_accepted")
        check("oversize message", await send_then_close("x" * 20_000), 1009, "message_too_big")
        check("flood", await flood(), 1008, "too_many_messages")
        check("invalid UTF-8", await raw(frame(0x1, b"\xc3\x28\xff", True)), 1007, "invalid_utf8")
        check("unmasked client frame", await raw(frame(0x1, b'{"type":"ping"}', False)), 1002)
        # The socket that behaved is still served.
        await bystander.send('{"type":"ping"}')
        pong = json.loads(await asyncio.wait_for(bystander.recv(), WAIT))
        ok = pong["type"] == "pong"
        failures += not ok
        print(json.dumps({"case": "bystander still served", "ok": ok}))
    sys.exit(1 if failures else 0)


asyncio.run(main())
