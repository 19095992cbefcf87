"""Webhook memory benchmark: does the signed endpoint keep anything of the requests it answered?

    python benchmarks/webhook_memory.py [--requests 10000] [--concurrency 32]

A server process (the one benchmarks/webhook.py starts: flexcord's app on Hypercorn, a runtime that
takes each event and does nothing, and a bare endpoint that reads the body and answers 200) gets
`--requests` signed onMessageAdded webhooks, each with its own MessageSid and signature, then the
same number of posts to the bare endpoint, in that order or the reverse (both are run). Its
resident memory after a full garbage collection is read after the first 1,000 requests of each
endpoint and after the last; the growth between the two is what the endpoint keeps. The bare
endpoint's growth, measured in the same server, is the baseline (Hypercorn, Quart and the
allocator's own settling). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhook import AGENT_MESSAGE, AUTH_TOKEN, PUBLIC_URL  # noqa: E402

WARM = 1_000
MB = 1024 * 1024


def signed(number: int) -> tuple[bytes, str]:
    """The form of webhook `number` (its own MessageSid) and its signature."""
    from twilio.request_validator import RequestValidator

    form = {**AGENT_MESSAGE, "MessageSid": "IM" + f"{number:032x}"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/conversations", form)
    return urlencode(form).encode(), signature


async def post_many(
    http: aiohttp.ClientSession, base: str, path: str, numbers: range, concurrency: int
) -> None:
    pending = iter(numbers)

    async def worker() -> None:
        for number in pending:
            body, signature = signed(number)
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
            async with http.post(base + path, data=body, headers=headers) as answer:
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{path} answered {answer.status}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def growth(http: aiohttp.ClientSession, base: str, path: str, total: int, concurrency: int) -> float:
    """MB of resident memory the server gained between the first WARM requests to `path` and the last."""

    async def rss() -> int:
        async with http.get(base + "/bench/rss") as answer:
            return int(await answer.text())

    start = total * (1 if path.endswith("bare") else 2)  # distinct sids across the runs
    await post_many(http, base, path, range(start, start + WARM), concurrency)
    after_warm = await rss()
    await post_many(http, base, path, range(start + WARM, start + total), concurrency)
    return (await rss() - after_warm) / MB


async def run(total: int, concurrency: int, order: tuple[str, str]) -> dict[str, float]:
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "webhook.py"), "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert server.stdout is not None and server.stdin is not None
    base = server.stdout.readline().decode().strip()
    paths = {"signed": "/twilio/conversations", "bare": "/bench/bare"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
            return {name: await growth(http, base, paths[name], total, concurrency) for name in order}
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} python {platform.python_version()} {platform.system()}")
    print(f"{args.requests} requests per endpoint, concurrency {args.concurrency}; RSS after a full GC")
    for order in (("signed", "bare"), ("bare", "signed")):
        grown = asyncio.run(run(args.requests, args.concurrency, order))
        figures = ", ".join(f"{name} +{grown[name]:.1f} MB" for name in order)
        print(f"order {' then '.join(order)}: growth from request {WARM:,} to {args.requests:,}: {figures}")


if __name__ == "__main__":
    main()
