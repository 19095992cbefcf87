"""Check each request against Twilio's official OpenAPI spec, as Twilio itself would.

openapi-core validates parameters, headers, security and the form body's types and enums; on
top of that, form fields the operation does not declare are refused (openapi-core drops them
silently, but they are exactly the typos a contract check is for). Specs are parsed once per
process and shared by every emulator in it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from engine.flex.emulator.specs import SPEC_FILES, find_specs

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Spec:
    """One API's spec: the parsed document, its openapi-core app and path templates as regexes."""

    name: str
    server: str
    document: Mapping[str, Any]
    app: OpenAPI
    templates: tuple[tuple[re.Pattern[str], str], ...]


@dataclass
class SpecRequest:
    """A request in the shape openapi-core reads (its Request protocol)."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


_lock = threading.Lock()


@cache
def load_spec(folder: Path, name: str) -> Spec:
    """Parse one spec file (cached: the JSON is large and parsing it twice is wasted time)."""
    with _lock:
        document = json.loads((folder / SPEC_FILES[name]).read_text(encoding="utf-8"))
        app = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
        templates = tuple(
            (re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$"), path) for path in document["paths"]
        )
        return Spec(name, document["servers"][0]["url"], document, app, templates)


def spec_name_for(path: str) -> str:
    """Which API a path belongs to: /v1/Interactions... is Flex, /v1/Workspaces... TaskRouter."""
    if path.startswith("/v1/Interactions"):
        return "flex"
    if path.startswith("/v1/Workspaces"):
        return "taskrouter"
    return "conversations"


class ContractCheck:
    """Validates requests against the specs in `folder` (or where find_specs() finds them)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = find_specs(folder)

    def check(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str,
    ) -> list[str]:
        """Every reason Twilio would refuse this request; [] means it conforms."""
        spec = load_spec(self.folder, spec_name_for(path))
        template = next((t for pattern, t in spec.templates if pattern.match(path)), None)
        if template is None:
            return [f"{method} {path}: no such path in Twilio's {spec.name} API"]
        operation = spec.document["paths"][template].get(method.lower())
        if operation is None:
            return [f"{method} {path}: Twilio's {spec.name} API has no {method} on {template}"]
        request = SpecRequest(
            host_url=spec.server,
            path=path,
            method=method.lower(),
            body=body or None,
            content_type=content_type.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
                header=Headers(list(headers.items())),
            ),
        )
        result = spec.app.unmarshal_request(request)
        problems = [f"{method} {template}: {_describe(error)}" for error in result.errors]
        problems += [f"{method} {template}: {p}" for p in _unknown_fields(operation, body, content_type)]
        return problems


def _unknown_fields(operation: Mapping[str, Any], body: bytes, content_type: str) -> list[str]:
    if not body or not content_type.lower().startswith(FORM):
        return []
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get(FORM) or {}).get("schema") or {}
    declared = set(schema.get("properties") or {})
    sent = {name for name, _ in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)}
    return [f"form field {name!r} is not a parameter of this operation" for name in sorted(sent - declared)]


def _describe(error: BaseException) -> str:
    """openapi-core's error with the schema messages behind it, in one line."""
    detail = ""
    seen = {id(error)}
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        nested = getattr(cause, "schema_errors", None)
        if nested:
            detail = "; ".join(getattr(e, "message", str(e)) for e in nested)
            break
        detail = str(cause)
        cause = cause.__cause__ or cause.__context__
    top = (str(error) or type(error).__name__).split(":", 1)[0]
    name = getattr(error, "name", None)
    if isinstance(name, str):
        top += f" {name}"
    return f"{top}: {detail}" if detail else top
