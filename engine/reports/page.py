"""The /reports page: the support report drawn with Chart.js, and its figures as JSON.

`reports_blueprint(store, config, clock, public=False)` serves /reports (the page),
/reports/data.json?since=7d (the figures) and /reports/static/* (the page's script and Chart.js).
Behind `server.admin_token` unless `public` (the sandbox): a browser is asked for it (any user
name, the token as password); scripts send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from quart import Blueprint, Response, jsonify, request, send_from_directory

from engine.admin import authorized
from engine.config.compile.values import CompileError, parse_duration
from engine.config.model import Config
from engine.reports import build_report
from engine.reports.render import as_json
from engine.store import Store

STATIC = Path(__file__).parent / "static"
NO_TOKEN = "The reports page is off: set FLEXCORD_ADMIN_TOKEN (server.admin_token in flexcord.yaml)."
ASK = "Sign in with any user name and the admin token (server.admin_token) as the password."
MAX_PERIOD = timedelta(days=366)


def token_accepted(header: str | None, token: str | None) -> bool:
    """`Bearer <token>`, or HTTP Basic with the token as password (what a browser's sign-in sends)."""
    if authorized(header, token):
        return True
    scheme, _, encoded = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return False
    try:
        _, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return authorized(f"Bearer {password}", token)


def _period(text: str | None) -> timedelta | None:
    try:
        seconds = parse_duration(text or "7d")
    except CompileError:
        return None
    return timedelta(seconds=seconds) if 0 < seconds <= MAX_PERIOD.total_seconds() else None


def reports_blueprint(
    store: Store, config: Callable[[], Config], clock: Callable[[], datetime], *, public: bool = False
) -> Blueprint:
    """The reports page of one bot; `config` and `clock` are read at each request (reloads, sandbox time)."""
    blueprint = Blueprint("flexcord_reports", __name__)

    @blueprint.before_request
    async def guard() -> Response | None:
        if public:
            return None
        token = config().server.admin_token
        if not token:
            answer = jsonify({"error": NO_TOKEN})
            answer.status_code = 403
            return answer
        if token_accepted(request.headers.get("Authorization"), token):
            return None
        answer = Response(ASK, status=401, content_type="text/plain; charset=utf-8")
        answer.headers["WWW-Authenticate"] = 'Basic realm="flexcord reports", charset="UTF-8"'
        return answer

    @blueprint.get("/reports")
    async def page() -> Response:
        answer = await send_from_directory(STATIC, "reports.html")
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @blueprint.get("/reports/static/<path:name>")
    async def static(name: str) -> Response:
        return await send_from_directory(STATIC, name)

    @blueprint.get("/reports/data.json")
    async def data() -> Response:
        period = _period(request.args.get("since"))
        if period is None:
            answer = jsonify({"error": "since must be a duration from 1s to 366d, like 7d or 24h"})
            answer.status_code = 400
            return answer
        report = await build_report(store, config(), clock(), period)
        answer = jsonify(as_json(report))
        answer.headers["Cache-Control"] = "no-store"
        return answer

    return blueprint


__all__ = ["reports_blueprint", "token_accepted"]
