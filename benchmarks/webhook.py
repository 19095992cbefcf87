"""Webhook benchmark: the signed Twilio webhook endpoint against a bare Quart endpoint, and send latency.

    python benchmarks/webhook.py [--quick] [--requests 2000] [--concurrency 32] [--rounds 10] [--sends 2000]
    scripts/with-postgres python benchmarks/webhook.py --production   # + the path with a real store
    scripts/with-postgres python benchmarks/webhook.py --production --postgres-only --compare /tmp/main
        # PostgreSQL only, and the same path served by another tree (e.g. a `git worktree` of main)
    python benchmarks/webhook.py --production --compare /tmp/main   # SQLite: this tree's and main's


1. Throughput. A server process runs flexcord's app (engine.server.create_app) on Hypercorn with
   two extra endpoints that read the body and answer 200: POST /bench/bare, a Quart route (the
   target's baseline), and POST /bench/asgi, answered in ASGI terms ahead of Quart, where the app
   answers Twilio's webhooks (the same work without Quart's request machinery, for comparison).
   The client (this process, aiohttp, bounded concurrency, loopback) posts the same signed
   onMessageAdded form to /twilio/conversations (signature check, form parsing, event mapping,
   background hand-off to a runtime that does nothing) and to the two bare endpoints, in short
   alternating rounds so all see the same machine load. It prints the median round's requests/s,
   requests per CPU-second of the server process (what one core sustains, steady on a shared
   machine) and p50/p99 for each, and the median of the per-round ratios to the bare Quart
   endpoint (target >= 0.7 for the signed endpoint).
   `--production` adds the production path, each in its own server process on the same Hypercorn
   settings: the real runtime of the demo bot (engine.runtime.Runtime) on a SQLite file, and on
   PostgreSQL when FLEXCORD_TEST_POSTGRES is set, so each webhook is signed, checked, applied and
   committed before its 200 (`accept_contact_event`). Every request is a different agent message
   (its own signed MessageSid) to one of PLAYERS conversations already with an agent; the chat
   and contact-center ports count and forget. Ratio: production/bare Quart per round, rounds
   alternating (target >= 0.5), and production/bare ASGI. Every server process settles its heap
   once it serves (engine.heap), as `flexcord run` does. Each line also gives the CPU per request
   of this machine's PostgreSQL processes (Linux) and of the client, which share the cores.
2. Send latency. TwilioContactCenter.send, through the real twilio SDK and flexcord's transport,
   to a raw asyncio HTTP server in this process that timestamps the first byte of each request
   and answers a canned Twilio message. Latency is first byte received minus send() called:
   what flexcord adds before the Twilio request leaves (target p99 <= 2 ms). The same interval
   is also given in the thread's CPU time, which leaves out time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.config.model import FlexSettings  # noqa: E402
from engine.events import ContactEvent  # noqa: E402

if TYPE_CHECKING:
    from engine.flex.contact_center import TwilioContactCenter

ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "bench-token"
PUBLIC_URL = "https://care.example.com"
AGENT_MESSAGE = {
    "AccountSid": ACCOUNT_SID,
    "EventType": "onMessageAdded",
    "ConversationSid": "CH" + "d4" * 16,
    "MessageSid": "IM" + "e5" * 16,
    "Author": "misty",
    "Body": "Hi, this is Misty from support. Which device are you playing on?",
    "Source": "SDK",
    "Index": "4",
    "Attributes": "{}",
    "DateCreated": "2026-03-04T17:00:00Z",
    "WebhookSid": "WH" + "f6" * 16,
    "WebhookType": "webhook",
    "RetryCount": "0",
}


# --- the server process ---------------------------------------------------------------------------


class IdleRuntime:
    """A runtime that accepts every event and does nothing: the benchmark measures the webhook layer."""

    def __init__(self, config: object) -> None:
        self._config = config

    @property
    def config(self) -> object:
        return self._config

    async def on_contact_event(self, event: ContactEvent) -> None:
        return None


PLAYERS = 64  # conversations the production path's agent messages are spread over


async def production_runtime(config: object, url: str) -> tuple[object, list[str]]:
    """The demo bot's runtime on the store at `url`, PLAYERS players already with an agent; their sids."""
    from benchmarks.hot_path import START, Chat, Contact, with_agents
    from engine.ports import HandoffTicket
    from engine.runtime import Runtime, build_generation
    from engine.store import open_store

    store = await open_store(url)
    runtime = Runtime(build_generation(config), store, Chat(), Contact(HandoffTicket))  # type: ignore[arg-type]
    await runtime.start()
    players = await with_agents(runtime, store, PLAYERS, [START])
    return runtime, [sid for _, sid in players]


def bare_asgi(inner: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """POST /bench/asgi read and answered 200 in ASGI terms, ahead of Quart (where the webhooks are)."""

    async def app(
        scope: dict[str, object],
        receive: Callable[[], Awaitable[dict[str, object]]],
        send: Callable[[dict[str, object]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or scope["path"] != "/bench/asgi":
            await inner(scope, receive, send)
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def serve(store_url: str | None = None) -> None:
    """Run flexcord's app with a bare endpoint on a free port; print the URL (and, with a store, the
    conversations' sids); stop on stdin EOF."""
    import dataclasses

    from quart import Blueprint, request

    from engine.config import build
    from engine.heap import settle_heap
    from engine.runtime import Runtime
    from engine.server import ServerServices, create_app, start_server

    env = {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "FLEXCORD_PUBLIC_URL": PUBLIC_URL,
    }
    config = build(ROOT / "flexcord.yaml", env=env).config
    assert config is not None
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, public_url=PUBLIC_URL))
    bare = Blueprint("bench", __name__)

    @bare.post("/bench/bare")
    async def bare_endpoint() -> tuple[str, int]:
        await request.get_data()
        return "", 200

    @bare.get("/bench/cpu")
    async def cpu() -> str:
        return repr(time.process_time())

    @bare.get("/bench/rss")
    async def rss() -> str:
        """The process's resident memory in bytes, after a full garbage collection."""
        import gc

        gc.collect()
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return repr(pages * os.sysconf("SC_PAGE_SIZE"))

    async def run() -> None:
        runtime: object = IdleRuntime(config)
        sids: list[str] = []
        if store_url is not None:
            runtime, sids = await production_runtime(config, store_url)
        app = create_app(ServerServices(runtime=runtime, blueprints=[bare]))  # type: ignore[arg-type]
        app.asgi_app = bare_asgi(app.asgi_app)  # type: ignore[method-assign]
        server = await start_server(app)
        settle_heap()  # as `flexcord run` and `flexcord sandbox` do once they serve
        print(server.url, flush=True)
        print(json.dumps(sids), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await server.stop()
        if isinstance(runtime, Runtime):
            await runtime.stop()
            await runtime.store.close()  # its thread would keep the process alive

    asyncio.run(run())


# --- the client -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Request = tuple[bytes, dict[str, str]]


async def hammer(
    url: str, requests: Request | list[Request], total: int, concurrency: int, cpu_url: str
) -> dict[str, float]:
    """POST `total` requests (the same one, or the next of a list each time) with `concurrency`
    workers: requests/s, server CPU per request, latencies."""
    latencies: list[float] = []
    refused: list[int] = []
    remaining = total
    queue = [requests] * total if isinstance(requests, tuple) else requests[:total]
    assert len(queue) == total, "fewer distinct requests than asked for"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def server_cpu() -> float:
            async with http.get(cpu_url) as answer:
                return float(await answer.text())

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                body, headers = queue[remaining]
                start = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                    if answer.status == 503:  # not recorded within 4 s: Twilio would deliver it again
                        refused.append(1)
                        continue
                    if answer.status != 200:
                        raise RuntimeError(f"{url} answered {answer.status}")
                latencies.append((time.perf_counter() - start) * 1000)

        cpu_before, db_before, client_before = await server_cpu(), postgres_cpu(), client_cpu()
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        cpu = await server_cpu() - cpu_before
        db, client = postgres_cpu() - db_before, client_cpu() - client_before
    answered = total - len(refused)  # only requests answered 200 count
    return {
        "refused": len(refused),
        "rps": answered / elapsed,
        "cpu_rps": answered / cpu,  # what one core sustains, whatever else the machine is doing
        "db_ms": db / answered * 1000,  # CPU of PostgreSQL's processes per request (0: none here)
        "client_ms": client / answered * 1000,  # this process's CPU per request
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
    }


def postgres_cpu() -> float:
    """CPU seconds used so far by this machine's `postgres` processes (Linux /proc; 0 elsewhere)."""
    ticks = 0
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:  # it ended meanwhile
            continue
        if stat[stat.find("(") + 1 : stat.rfind(")")].startswith("postgres"):
            fields = stat[stat.rfind(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    times = os.times()
    return times.user + times.system


def start_server_process(
    store_url: str | None, tree: Path = ROOT
) -> tuple[subprocess.Popen[bytes], str, list[str]]:
    """The server of `tree` (its own copy of this script, its engine first on the path)."""
    script = tree / "benchmarks" / "webhook.py"
    command = [sys.executable, str(script), "--serve"] + ([store_url] if store_url else [])
    env = {**os.environ, "PYTHONPATH": str(tree)}
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tree, env=env)
    assert server.stdout is not None
    base = server.stdout.readline().decode().strip()
    sids = json.loads(server.stdout.readline())
    return server, base, sids


def agent_messages(sids: list[str], count: int, first: int) -> list[Request]:
    """`count` signed onMessageAdded forms, each a new message, spread over the conversations."""
    from twilio.request_validator import RequestValidator

    signer = RequestValidator(AUTH_TOKEN)
    made = []
    for n in range(first, first + count):
        form = {**AGENT_MESSAGE, "ConversationSid": sids[n % len(sids)], "MessageSid": f"IM{n:032x}"}
        signature = signer.compute_signature(PUBLIC_URL + "/twilio/conversations", form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        made.append((urlencode(form).encode(), headers))
    return made


async def throughput(
    requests: int, concurrency: int, rounds: int, stores: dict[str, str]
) -> dict[str, dict[str, float]]:
    from twilio.request_validator import RequestValidator

    servers = {
        name: start_server_process(*TREES.get(name, (url, ROOT)))
        for name, url in {"idle": "", **stores}.items()
    }
    try:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_URL + "/twilio/conversations", AGENT_MESSAGE
        )
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        body = urlencode(AGENT_MESSAGE).encode()
        base = servers["idle"][1]
        targets: dict[str, tuple[str, str, Request | list[Request]]] = {
            "bare": (f"{base}/bench/bare", base, (body, form)),
            "asgi": (f"{base}/bench/asgi", base, (body, form)),
            "signed": (
                f"{base}/twilio/conversations",
                base,
                (body, {**form, "X-Twilio-Signature": signature}),
            ),
        }
        for name in stores:
            _, at, sids = servers[name]
            made = agent_messages(sids, requests * (rounds + 1), 0)
            targets[name] = (f"{at}/twilio/conversations", at, made)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for round_number in range(rounds + 1):  # short alternating rounds: all see the same machine load
            order = list(targets.items()) if round_number % 2 == 0 else list(targets.items())[::-1]
            for name, (url, at, sent) in order:
                batch = sent if isinstance(sent, tuple) else sent[round_number * requests :]
                figures = await hammer(url, batch, requests, concurrency, f"{at}/bench/cpu")
                if round_number:  # the first round warms up
                    runs[name].append(figures)
    finally:
        for server, _, _ in servers.values():
            assert server.stdin is not None
            server.stdin.close()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
    summary = {
        name: {k: statistics.median(r[k] for r in results) for k in results[0]}
        for name, results in runs.items()
    }
    for name in ("signed", *stores):
        for measure in ("rps", "cpu_rps"):
            for baseline, label in (("bare", "ratio"), ("asgi", "asgi")):
                pairs = zip(runs[name], runs[baseline], strict=True)
                ratios = [s[measure] / b[measure] for s, b in pairs]
                summary[f"{label}_{name}_{measure}"] = {
                    "median": statistics.median(ratios),
                    "min": min(ratios),
                    "max": max(ratios),
                }
    return summary


class CannedTwilio(asyncio.Protocol):
    """Answers every HTTP request with a canned Twilio message; notes when each request's first byte came."""

    arrivals: list[tuple[int, int]]

    def __init__(self, arrivals: list[tuple[int, int]]) -> None:
        self.arrivals = arrivals
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream's (uvloop's is no subclass)

    def data_received(self, data: bytes) -> None:
        if not self.buffer:
            self.arrivals.append((time.perf_counter_ns(), time.thread_time_ns()))
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            method = head.split(b" ", 1)[0]
            payload = MESSAGES if method == b"GET" else MESSAGE
            assert self.transport is not None
            self.transport.write(
                b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (200 if method == b"GET" else 201, len(payload), payload)
            )
            if self.buffer:
                self.arrivals.append((time.perf_counter_ns(), time.thread_time_ns()))


MESSAGE = json.dumps({
    "sid": "IM" + "0" * 32, "account_sid": ACCOUNT_SID, "conversation_sid": "CH" + "1" * 32, "body": "x",
    "author": "discord_1", "attributes": "{}", "index": 0, "date_created": "2026-03-04T17:00:00Z",
    "date_updated": "2026-03-04T17:00:00Z", "url": "http://127.0.0.1/v1/x", "links": {},
}).encode()  # fmt: skip
MESSAGES = json.dumps({"messages": [], "meta": {"key": "messages", "next_page_url": None}}).encode()


async def canned_contact_center(
    arrivals: list[tuple[int, int]],
) -> tuple[asyncio.Server, TwilioContactCenter]:
    """The real TwilioContactCenter sending to a CannedTwilio on loopback that records in
    `arrivals` each request's first byte (wall clock, this thread's CPU clock)."""
    from engine.flex.contact_center import TwilioContactCenter

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: CannedTwilio(arrivals), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    flex = FlexSettings(ACCOUNT_SID, AUTH_TOKEN, "WS" + "b2" * 16, "WW" + "c3" * 16)
    return server, TwilioContactCenter(flex, PUBLIC_URL, base_url=f"http://127.0.0.1:{port}")


async def send_latency(sends: int) -> dict[str, float]:
    arrivals: list[tuple[int, int]] = []
    server, contact = await canned_contact_center(arrivals)
    conversation = "CH" + "1" * 32
    await contact.send(conversation, "80351110224678912", "warm-up", "warm-up")  # reads recent keys once
    for n in range(200):
        await contact.send(conversation, "80351110224678912", "warm-up", f"w{n}")
    delays: list[float] = []
    cpu: list[
        float
    ] = []  # the same interval in this thread's CPU time: time spent waiting for a core is left out
    for n in range(sends):
        arrivals.clear()
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        await contact.send(conversation, "80351110224678912", "Which device are you on?", f"k{n}")
        delays.append((arrivals[0][0] - start) / 1e6)
        cpu.append((arrivals[0][1] - start_cpu) / 1e6)
    await contact.aclose()
    server.close()
    return {
        "p50": percentile(delays, 0.5),
        "p99": percentile(delays, 0.99),
        "max": max(delays),
        "cpu_p50": percentile(cpu, 0.5),
        "cpu_p99": percentile(cpu, 0.99),
    }


TREES: dict[str, tuple[str, Path]] = {}  # production paths served by another source tree (--compare)


def production_stores(folder: str, compare: list[Path], postgres_only: bool) -> dict[str, str]:
    """The stores the production path runs on: a SQLite file, and PostgreSQL when there is one
    (also served by each `compare` tree, on a database of its own)."""
    from benchmarks.hot_path import fresh_postgres

    stores = {} if postgres_only else {"SQLite": f"sqlite:///{folder}/flexcord.db"}
    for n, tree in enumerate([] if postgres_only else compare):
        name = f"SQLite, {tree.name}"
        stores[name] = f"sqlite:///{folder}/flexcord_{n}.db"
        TREES[name] = (stores[name], tree)
    server = os.environ.get("FLEXCORD_TEST_POSTGRES")
    if server:
        stores["PostgreSQL"] = fresh_postgres(server, "flexcord_webhook")
        for n, tree in enumerate(compare):
            name = f"PostgreSQL, {tree.name}"
            stores[name] = fresh_postgres(server, f"flexcord_webhook_{n}")
            TREES[name] = (stores[name], tree)
    return stores


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer requests, for a smoke run")
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint per round")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--production", action="store_true", help="also the path with a real store")
    parser.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        help="another tree's production path too (SQLite, and PostgreSQL when there is one)",
    )
    parser.add_argument("--postgres-only", action="store_true", help="the production path on PostgreSQL only")
    args, rest = parser.parse_known_args()
    if args.serve:
        serve(rest[0] if rest else None)
        return
    if args.quick:
        args.requests, args.rounds, args.sends = 500, 2, 200
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
          f"python {platform.python_version()} {platform.system()} {platform.release()}")  # fmt: skip
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        stores = production_stores(folder, args.compare, args.postgres_only) if args.production else {}
        result = asyncio.run(throughput(args.requests, args.concurrency, args.rounds, stores))
    print(f"load average at end: {os.getloadavg()}")
    bare, signed = result["bare"], result["signed"]

    def show(name: str, r: dict[str, float]) -> str:
        return (
            f"{name:<28} {r['rps']:>6.0f} req/s   {r['cpu_rps']:>6.0f} req/CPU-s"
            f"   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms   503s (median per round) {r['refused']:.0f}"
            f"   CPU ms/req: PostgreSQL {r['db_ms']:.3f}, client {r['client_ms']:.3f}"
        )

    print(f"throughput: {args.requests} requests x {args.rounds} rounds, concurrency {args.concurrency}")
    print("(median of the rounds)")
    print(show("bare Quart endpoint", bare))
    print(show("bare ASGI endpoint", result["asgi"]))
    print(show("signed /twilio/conversations", signed))
    for name in stores:
        print(show(f"production, {name}", result[name]))
    for name, target in (("signed", 0.7), *((name, 0.5) for name in stores)):
        for measure, label in (("rps", "req/s"), ("cpu_rps", "req/CPU-s")):
            ratio = result[f"ratio_{name}_{measure}"]
            print(
                f"ratio {name}/bare in {label}, per round: median {ratio['median']:.2f} "
                f"(min {ratio['min']:.2f}, max {ratio['max']:.2f}); target >= {target:.2f}"
            )
    for name in ("signed", *stores):
        ratio = result[f"asgi_{name}_cpu_rps"]
        print(
            f"ratio {name}/bare ASGI in req/CPU-s, per round: median {ratio['median']:.2f} "
            f"(min {ratio['min']:.2f}, max {ratio['max']:.2f})"
        )
    latency = asyncio.run(send_latency(args.sends))
    print(
        f"send latency (send() called -> first byte at the Twilio endpoint), {args.sends} sends: "
        f"p50 {latency['p50']:.3f} ms   p99 {latency['p99']:.3f} ms   max {latency['max']:.3f} ms"
        " (target p99 <= 2 ms)"
    )
    print(
        f"  same interval in CPU time of the sending thread: p50 {latency['cpu_p50']:.3f} ms"
        f"   p99 {latency['cpu_p99']:.3f} ms"
    )


if __name__ == "__main__":
    main()
