"""Holds WebSocket connections open for `liaison bench --only ws` (memory per idle socket),
so that the server's process carries only the server side of each.

Usage: hold.py URL ORIGIN N [JWT]
Opens N sockets to URL (a hundred at a time), prints `open N`, waits for a line on stdin,
then closes them all.
"""

import asyncio
import resource
import sys

from websockets.asyncio.client import connect

URL, ORIGIN, N = sys.argv[1], sys.argv[2], int(sys.argv[3])
JWT = sys.argv[4] if len(sys.argv) > 4 else ""


async def one():
    headers = {"Authorization": f"Bearer {JWT}"} if JWT else {}
    return await connect(URL, origin=ORIGIN, additional_headers=headers, ping_interval=None)


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets = []
    while len(sockets) < N:
        batch = min(100, N - len(sockets))
        sockets += await asyncio.gather(*(one() for _ in range(batch)))
    print(f"open {len(sockets)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


asyncio.run(main())
