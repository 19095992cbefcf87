"""`flexcord reload`: ask the running bot to reload its config, and print what it said.

The bot does the reload (POST /admin/reload), so this works from any shell that can reach it.
The address comes from server.listen in flexcord.yaml, read on its own (so a broken route file
or a secret missing in this shell does not stop the command from reaching the bot).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import click

from engine.cli.options import config_option
from engine.config.yaml.read import read_yaml

_ANY_HOST = {"", "0.0.0.0", "::", "[::]", "*"}
TIMEOUT_SECONDS = 300.0


def admin_url(config_path: Path, env: Mapping[str, str] | None = None) -> str:
    """The bot's reload endpoint, from server.listen in flexcord.yaml (wildcard hosts become loopback)."""
    readable, data, found = read_yaml(str(config_path), env=os.environ if env is None else env, offline=True)
    if not readable:
        problems = "; ".join(str(d) for d in found) or "cannot read it"
        raise click.UsageError(f"{config_path}: {problems}; pass --url")
    server = data.get("server") if isinstance(data, dict) else None
    server = server if isinstance(server, dict) else {}
    listen = str(server.get("listen") or "").strip()
    public_url = str(server.get("public_url") or "").strip()
    if listen:
        host, _, port = listen.rpartition(":")
        if host in _ANY_HOST:
            host = "[::1]" if host in {"::", "[::]"} else "127.0.0.1"
        return f"http://{host}:{port}/admin/reload"
    if public_url:
        return public_url.rstrip("/") + "/admin/reload"
    return "http://127.0.0.1:8080/admin/reload"


def post_reload(url: str, token: str, timeout: float = TIMEOUT_SECONDS) -> tuple[int, dict[str, object]]:
    """POST to the reload endpoint; (HTTP status, JSON answer)."""
    call = urllib.request.Request(
        url,
        data=b"",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(call, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body or b"{}")
        except ValueError:
            return exc.code, {"ok": False, "error": body.decode("utf-8", "replace")[:500]}


def _problem_line(problem: Mapping[str, object]) -> str:
    text = (
        f"{problem['file']}:{problem['line']}:{problem['col']}: {problem['severity']}: {problem['message']}"
    )
    return text + (f" ({problem['hint']})" if problem.get("hint") else "")


def _problems(answer: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    listed = answer.get(key, [])
    return [p for p in listed if isinstance(p, Mapping)] if isinstance(listed, list) else []


def report(status: int, answer: Mapping[str, object]) -> str:
    """What `flexcord reload` prints for an answer of the bot."""
    if status == 401:
        return f"The bot refused the request: {answer.get('error', 'wrong or missing admin token')}"
    if "version" not in answer:
        return f"The bot answered HTTP {status}: {answer.get('error', answer)}"
    lines = []
    if not answer.get("ok"):
        lines.append(
            f"Reload refused; the bot keeps serving version {answer['version']}. Fix these and retry:"
        )
    elif answer.get("changed"):
        lines.append(f"Reloaded: now serving version {answer['version']} (was {answer['previous_version']}).")
    else:
        lines.append(f"Nothing changed: still serving version {answer['version']}.")
    lines += [_problem_line(p) for p in _problems(answer, "errors")]
    lines += [_problem_line(p) for p in _problems(answer, "warnings")]
    return "\n".join(lines)


@click.command("reload")
@config_option
@click.option("--url", help="The bot's reload endpoint (default: from server.listen in the config).")
@click.option(
    "--token", envvar="FLEXCORD_ADMIN_TOKEN", show_envvar=True, help="The admin token (server.admin_token)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the bot's JSON answer as it is.")
def reload(config_path: Path, url: str | None, token: str | None, as_json: bool) -> None:
    """Tell the running bot to reload its config; it keeps the old one if the new one has problems."""
    if not token:
        raise click.UsageError("no admin token: pass --token or set FLEXCORD_ADMIN_TOKEN")
    target = url or admin_url(config_path)
    if not target.rstrip("/").endswith("/admin/reload"):
        target = target.rstrip("/") + "/admin/reload"
    try:
        status, answer = post_reload(target, token)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        click.echo(
            f"Could not reach the bot at {target}: {reason}. Is `flexcord run` running there?", err=True
        )
        raise click.exceptions.Exit(1) from exc
    click.echo(json.dumps(answer, indent=2) if as_json else report(status, answer))
    raise click.exceptions.Exit(0 if status == 200 and answer.get("ok") else 1)


COMMANDS = [reload]
