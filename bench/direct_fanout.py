"""The fan-out floor: the same list done by a bare aiohttp client, no gateway.

    python -m bench.direct_fanout URL [URL ...]      (compute endpoints of the pods)

Runs pinned to the gateway's core and waits for a line on stdin; for each one it
fetches `servers/detail?limit=100` from every pod at once, parses the JSON,
merges the first 100 by (created, id) descending and prints
`{"wall": seconds, "cpu": seconds}`. An empty line or EOF ends it.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import sys
import time

import aiohttp

LIMIT = 100


async def once(session: aiohttp.ClientSession, urls: list[str]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()

    async def one(url: str) -> list[dict]:
        async with session.get(f"{url}/servers/detail?limit={LIMIT}") as r:
            return list(json.loads(await r.read())["servers"])

    pages = await asyncio.gather(*(one(u) for u in urls))
    heapq.nlargest(LIMIT, (s for p in pages for s in p), key=lambda s: (s["created"], s["id"]))
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


async def main(urls: list[str]) -> None:
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line.strip():
                return
            print(json.dumps(await once(session, urls)), flush=True)


if __name__ == "__main__":
    import uvloop
    uvloop.run(main(sys.argv[1:]))
