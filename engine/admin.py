"""Admin HTTP routes: POST /admin/reload (bearer token) and GET /metrics (Prometheus text format).

`admin_blueprint(reloader, metrics)` is handed to `engine.server.create_app` with the other
blueprints. The admin token is read from the config serving at each request, so a reload that
changes it takes effect at once.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Any

from quart import Blueprint, Response, jsonify, request

from engine.metrics import Metrics
from engine.reload import Reloader, ReloadResult

NO_TOKEN = (
    "No admin token is configured, so reloading over HTTP is switched off. "
    "Set FLEXCORD_ADMIN_TOKEN (server.admin_token in flexcord.yaml) and restart flexcord."
)
BAD_TOKEN = "Send the admin token as 'Authorization: Bearer <token>' (server.admin_token in flexcord.yaml)."


def result_json(result: ReloadResult) -> dict[str, Any]:
    """The JSON answer of POST /admin/reload (and what `flexcord reload` prints)."""
    return {
        "ok": result.ok,
        "version": result.version,
        "previous_version": result.old_version,
        "changed": result.changed,
        "reason": result.reason,
        "duration_s": round(result.duration_s, 6),
        "errors": [asdict(d) for d in result.errors],
        "warnings": [asdict(d) for d in result.warnings],
    }


def authorized(header: str | None, token: str | None) -> bool:
    """True when `header` is 'Bearer <token>' for a configured, non-empty token (constant-time check)."""
    if not token or not header:
        return False
    scheme, _, supplied = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(supplied.strip().encode(), token.encode())


def _unauthorized(message: str) -> tuple[Response, int, dict[str, str]]:
    return jsonify({"ok": False, "error": message}), 401, {"WWW-Authenticate": 'Bearer realm="flexcord"'}


def admin_blueprint(reloader: Reloader, metrics: Metrics | None = None) -> Blueprint:
    """The admin routes of one bot; a new blueprint per app, so apps in one process stay apart."""
    blueprint = Blueprint("flexcord_admin", __name__)

    @blueprint.post("/admin/reload")
    async def reload() -> Any:
        token = reloader.config.server.admin_token
        if not token:
            return _unauthorized(NO_TOKEN)
        if not authorized(request.headers.get("Authorization"), token):
            return _unauthorized(BAD_TOKEN)
        result = await reloader.request("POST /admin/reload")
        return jsonify(result_json(result)), 200 if result.ok else 422

    if metrics is not None:
        exposed = metrics

        @blueprint.get("/metrics")
        async def metrics_page() -> Response:
            await exposed.refresh()  # gauges read at scrape time (outbox backlog, Discord connection)
            body, content_type = exposed.exposition()
            return Response(body, content_type=content_type)

    return blueprint


__all__ = ["admin_blueprint", "authorized", "result_json"]
