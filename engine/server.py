"""flexcord's HTTP side: one Quart app on Hypercorn for Twilio's webhooks, health, and what others plug in.

`create_app(services)` builds the app: /healthz, /readyz, Twilio's webhooks, plus the blueprints
other parts add (admin reload, metrics, Discord announcements, sandbox). Twilio's webhooks are
answered ahead of Quart's request machinery (engine.flex.webhooks), the rest by Quart.
Bad input never becomes a 500: oversized bodies get 413, malformed ones 400.
`serve` runs it on Hypercorn until an event is set; `start_server` does the same on a free
loopback port and tells which, for tests and the sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Blueprint, Quart, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from engine.config.model import Config
from engine.events import ContactEvent
from engine.flex.webhooks import BODY_WITHIN, TwilioWebhooks, WebhookObserver, problem_body

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[tuple[str, bool, str]]]
"""One readiness check: returns (name, ok, detail), e.g. ("store", True, "sqlite reachable")."""

READY_TIMEOUT = 3.0
STORE_PROBE = "flexcord.readyz"  # a setting read to see that the store answers


class ProbedStore(Protocol):
    """What readiness asks of the store: a setting read (a store may also offer `health()`)."""

    async def get_setting(self, key: str) -> str | None: ...


class ServedRuntime(Protocol):
    """What the server needs of the runtime: the current config and a place for Twilio's events."""

    @property
    def config(self) -> Config: ...

    async def on_contact_event(self, event: ContactEvent) -> None: ...


@dataclass
class ServerServices:
    """Everything create_app wires together; other parts contribute checks and blueprints."""

    runtime: ServedRuntime
    ready_checks: list[ReadyCheck] = field(default_factory=list)
    blueprints: list[Blueprint] = field(default_factory=list)
    observer: WebhookObserver | None = None


class App(Quart):
    """Quart, with Twilio's webhooks answered before a request of Quart's is made for them."""

    webhooks: TwilioWebhooks | None = None

    async def asgi_app(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if (
            scope["type"] == "http"
            and self.webhooks is not None
            and await self.webhooks.serve(scope, receive, send)
        ):
            return
        await super().asgi_app(scope, receive, send)


def create_app(services: ServerServices) -> Quart:
    """The Quart app serving webhooks, health and the contributed blueprints."""
    app = App("flexcord")
    app.config["MAX_CONTENT_LENGTH"] = services.runtime.config.server.max_body_bytes
    app.config["BODY_TIMEOUT"] = BODY_WITHIN
    app.webhooks = TwilioWebhooks(services.runtime, services.observer)
    app.after_serving(app.webhooks.finish_pending)
    for blueprint in services.blueprints:
        app.register_blueprint(blueprint)

    @app.before_request
    async def limit_body() -> Response | None:
        limit = services.runtime.config.server.max_body_bytes
        app.config["MAX_CONTENT_LENGTH"] = limit  # follows reloads; chunked bodies are cut at this size
        if request.content_length is not None and request.content_length > limit:
            return _problem(413, f"request body over {limit} bytes")
        return None

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        if isinstance(error, RequestEntityTooLarge):
            return _problem(413, "request body too large")
        return _problem(error.code or 400, error.description or error.name)

    @app.errorhandler(UnicodeDecodeError)
    async def bad_input(error: Exception) -> Response:
        return _problem(400, f"malformed request: {error}")

    @app.get("/healthz")
    async def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> Response:
        results = await asyncio.gather(*(_run_check(check) for check in services.ready_checks))
        ready = all(ok for _, ok, _ in results)
        answer = jsonify(
            {
                "status": "ready" if ready else "not ready",
                "checks": [{"name": name, "ok": ok, "detail": detail} for name, ok, detail in results],
            }
        )
        answer.status_code = 200 if ready else 503
        return answer

    return app


def config_ready(runtime: ServedRuntime) -> ReadyCheck:
    """Ready when a config is serving; says which version."""

    async def config() -> tuple[str, bool, str]:
        try:
            version = runtime.config.version
        except Exception as exc:  # a runtime without a config cannot answer anyone
            return "config", False, f"no config loaded ({type(exc).__name__})"
        return "config", True, f"serving {version}"

    return config


async def store_health(store: ProbedStore) -> tuple[bool, str]:
    """Whether the store can be used: its own `health()` when it has one, else a trivial read.

    This is the one place readiness asks about the store.
    """
    health = getattr(store, "health", None)
    if health is not None:
        ok, detail = await health()
        return bool(ok), str(detail)
    await store.get_setting(STORE_PROBE)
    return True, "reachable"


def store_ready(store: ProbedStore) -> ReadyCheck:
    """Ready when the store answers (see `store_health`)."""

    async def store_check() -> tuple[str, bool, str]:
        try:
            ok, detail = await store_health(store)
        except Exception as exc:
            return "store", False, f"not reachable ({type(exc).__name__}: {exc})"
        return "store", ok, detail

    return store_check


async def _run_check(check: ReadyCheck) -> tuple[str, bool, str]:
    name = getattr(check, "__name__", "check")
    try:
        return await asyncio.wait_for(check(), READY_TIMEOUT)
    except TimeoutError:
        return name, False, f"no answer within {READY_TIMEOUT:g} s"
    except Exception as exc:
        return name, False, f"{type(exc).__name__}: {exc}"


def _problem(status: int, detail: str) -> Response:
    return Response(problem_body(status, detail), status=status, content_type="application/json")


def hypercorn_config(bind: str) -> HypercornConfig:
    """Hypercorn settings for flexcord: one bind, no access log, a short graceful shutdown.

    Its errors go to the `hypercorn.error` logger through flexcord's own logging set-up (given as a
    Logger, Hypercorn adds no handler of its own, so nothing is printed twice).
    """
    config = HypercornConfig()
    config.bind = [bind]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = 5.0
    return config


async def serve(app: Quart, listen: str, shutdown_event: asyncio.Event) -> None:
    """Serve `app` on `listen` ("127.0.0.1:8080") until `shutdown_event` is set."""
    await hypercorn_serve(app, hypercorn_config(listen), shutdown_trigger=shutdown_event.wait)


@dataclass
class RunningServer:
    """A server started by start_server: where it listens and how to stop it."""

    host: str
    port: int
    stopping: asyncio.Event
    task: asyncio.Task[None]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        self.stopping.set()
        await self.task


async def start_server(app: Quart, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start `app` on Hypercorn on `host`:`port` (0: any free port) and return once it listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    bound = sock.getsockname()[1]
    fd = os.dup(sock.fileno())  # Hypercorn takes ownership of the descriptor it is given
    sock.close()
    stopping = asyncio.Event()
    started = asyncio.Event()

    @app.before_serving
    async def ready() -> None:
        started.set()

    task = asyncio.create_task(
        hypercorn_serve(app, hypercorn_config(f"fd://{fd}"), shutdown_trigger=stopping.wait)
    )
    waiting = asyncio.ensure_future(started.wait())
    done, _ = await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiting.cancel()
        task.result()  # re-raise why it could not start
    return RunningServer(host, bound, stopping, task)
