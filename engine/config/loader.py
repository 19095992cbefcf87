"""Read flexcord.yaml and the route files it includes into one marked document.

Every key and value remembers `file:line:col` (engine.config.yamlnodes), `${VAR}` and
`${VAR:-default}` are filled in from the environment, and every problem found on the way is
collected as a Diagnostic instead of stopping at the first: a file that cannot be read is
skipped and the others still load. The YAML reading itself lives in engine.config.yamlread.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config.diagnostics import Diagnostic
from engine.config.yamlnodes import Mark, MarkedDict, MarkedList
from engine.config.yamlread import MAX_FILE_BYTES, read

__all__ = [
    "LIST_SECTIONS",
    "MAX_FILE_BYTES",
    "NAMED_SECTIONS",
    "ROUTE_SECTIONS",
    "LoadResult",
    "LoadedFile",
    "load",
]

NAMED_SECTIONS = ("channels", "commands", "cases", "queues", "chatbots", "messages")
"""Route sections that map a name to its settings; merged by name across files."""
LIST_SECTIONS = ("roles", "rules")
"""Route sections that are lists; concatenated in file order."""
ROUTE_SECTIONS = ("roles", "channels", "commands", "cases", "rules", "queues", "chatbots", "messages")
"""The only sections a route file may hold (flexcord.yaml may hold them too)."""

_SINGULAR = {
    "channels": "channel",
    "commands": "command",
    "cases": "case template",
    "queues": "queue",
    "chatbots": "chatbot",
    "messages": "message",
}


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """One YAML file as read: its path (as given), its top-level mapping, whether it is flexcord.yaml,
    and whether it held only plain YAML (mappings, lists, untagged scalars: JSON's kinds of value)."""

    file: str
    doc: MarkedDict
    main: bool
    plain: bool = False


@dataclass(slots=True)
class LoadResult:
    """flexcord.yaml merged with its route files, the files read, and what went wrong."""

    doc: MarkedDict
    files: tuple[str, ...]
    root: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    content_hash: str = ""
    parts: tuple[LoadedFile, ...] = ()  # each readable file on its own, for per-file schema checks


def load(path: Path | str, *, env: Mapping[str, str] | None = None, offline: bool = True) -> LoadResult:
    """Read flexcord.yaml at `path` and every file its `include:` globs match, merged.

    Paths in marks and in `files` keep the form `path` was given in (relative paths stay relative).
    With `offline` (the default) an unset `${VAR}` becomes an empty string: secrets are not needed
    to check the rules. Offline or not, `${VAR:-default}` uses the default when VAR is unset or empty.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    main = os.fspath(path)
    root = os.path.dirname(main) or "."
    problems: list[Diagnostic] = []
    parts: list[LoadedFile] = []
    main_part = _read_part(main, environ, offline, problems, main=True)
    if main_part is not None:
        parts.append(main_part)
    files = [main]
    for route_file in _included(main_part.doc if main_part else None, main, root, problems):
        files.append(route_file)
        part = _read_part(route_file, environ, offline, problems, main=False)
        if part is not None:
            parts.append(part)
    merged = merge(parts, main, problems)
    return LoadResult(
        doc=merged,
        files=tuple(files),
        root=root,
        diagnostics=problems,
        content_hash=content_hash(merged, root),
        parts=tuple(parts),
    )


def _read_part(
    file: str, env: Mapping[str, str], offline: bool, problems: list[Diagnostic], *, main: bool
) -> LoadedFile | None:
    """One file and its top-level mapping; None when it cannot be read at all."""
    readable, data, found, plain = read(file, env=env, offline=offline)
    problems.extend(found)
    if not readable:
        return None
    if data is None:
        return LoadedFile(file, MarkedDict(mark=Mark(file, 1, 1)), main, plain)
    if not isinstance(data, MarkedDict):
        where = getattr(data, "mark", Mark(file, 1, 1))
        kind = "flexcord.yaml" if main else "a route file"
        problems.append(
            Diagnostic(
                file,
                where.line,
                where.col,
                "error",
                f"the top of {kind} must be 'key: value' lines, not a list or a single value",
                "start with a section name such as 'commands:'" if not main else "start with 'version: 1'",
            )
        )
        return None
    return LoadedFile(file, data, main, plain)


_ENCODE = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    default=str,
    check_circular=False,  # read from YAML without aliases: a tree, never a cycle
).encode


def _json_pieces(value: Any, out: Callable[[bytes], object], depth: int) -> None:
    """The bytes of `json.dumps(value, sort_keys=True, ...)`, handed to `out` a piece at a time down
    to `depth` levels: one C call over a 10,000-rule document holds the interpreter lock for about
    50 ms, and a reload building in a worker thread would stall the event loop that long."""
    if depth and isinstance(value, list):
        out(b"[")
        for position, item in enumerate(value):
            if position:
                out(b",")
            _json_pieces(item, out, depth - 1)
        out(b"]")
    elif depth and isinstance(value, dict) and all(isinstance(key, str) for key in value):
        out(b"{")
        for position, key in enumerate(sorted(value)):
            out((b"," if position else b"") + _ENCODE(key).encode() + b":")
            _json_pieces(value[key], out, depth - 1)
        out(b"}")
    else:
        out(_ENCODE(value).encode())


def _included(main_doc: MarkedDict | None, main: str, root: str, problems: list[Diagnostic]) -> list[str]:
    """The route files flexcord.yaml's `include:` globs match: sorted, without repeats or itself."""
    if main_doc is None:
        return []
    patterns = main_doc.get("include")
    if isinstance(patterns, str):
        patterns = MarkedList([patterns], mark=main_doc.value_marks.get("include", main_doc.mark))
        patterns.item_marks.append(patterns.mark)
    if not isinstance(patterns, MarkedList):
        return []
    own = os.path.realpath(main)
    seen: set[str] = set()
    found: list[str] = []
    for index, pattern in enumerate(patterns):
        if not isinstance(pattern, str) or not pattern:
            continue
        matches = sorted(
            m
            for m in glob.glob(pattern, root_dir=root, recursive=True)
            if os.path.isfile(os.path.join(root, m))
        )
        if not matches:
            mark = patterns.item_marks[index] if index < len(patterns.item_marks) else patterns.mark
            problems.append(
                Diagnostic(
                    mark.file,
                    mark.line,
                    mark.col,
                    "warning",
                    f"include '{pattern}' matches no files",
                    f"paths are relative to {root}; check the folder name and the extension (.yaml)",
                )
            )
        for match in matches:
            file = os.path.normpath(os.path.join(os.path.dirname(main), match))
            real = os.path.realpath(file)
            if real == own or real in seen:
                continue
            seen.add(real)
            found.append(file)
    return sorted(found)


def merge(parts: list[LoadedFile], main: str, problems: list[Diagnostic]) -> MarkedDict:
    """One document: flexcord.yaml's settings plus every file's route sections, marks kept.

    Named sections merge by name (a name defined twice is an error at the second, naming the
    first); list sections are concatenated in file order. Sections of the wrong shape are left
    out here; the schema check reports them.
    """
    first = parts[0] if parts and parts[0].main else None
    merged = MarkedDict(mark=first.doc.mark if first else Mark(main, 1, 1))
    if first is not None:
        for key, value in first.doc.items():
            if key not in ROUTE_SECTIONS:
                _put(merged, key, value, first.doc)
    for part in parts:
        for section in ROUTE_SECTIONS:
            if section not in part.doc:
                continue
            value = part.doc[section]
            if section in NAMED_SECTIONS and isinstance(value, MarkedDict):
                _merge_named(merged, section, value, part.doc, problems)
            elif section in LIST_SECTIONS and isinstance(value, MarkedList):
                target = merged.get(section)
                if not isinstance(target, MarkedList):
                    target = MarkedList(mark=value.mark)
                    _put(merged, section, target, part.doc)
                target.extend(value)
                target.item_marks.extend(value.item_marks)
    return merged


def _put(target: MarkedDict, key: str, value: Any, source: MarkedDict) -> None:
    target[key] = value
    target.key_marks[key] = source.key_marks.get(key, source.mark)
    target.value_marks[key] = source.value_marks.get(key, source.mark)


def _merge_named(
    merged: MarkedDict, section: str, value: MarkedDict, source: MarkedDict, problems: list[Diagnostic]
) -> None:
    target = merged.get(section)
    if not isinstance(target, MarkedDict):
        target = MarkedDict(mark=value.mark)
        _put(merged, section, target, source)
    for name, entry in value.items():
        here = value.key_marks.get(name, value.mark)
        if name in target:
            there = target.key_marks.get(name, target.mark)
            problems.append(
                Diagnostic(
                    here.file,
                    here.line,
                    here.col,
                    "error",
                    f"{_SINGULAR[section]} '{name}' is already defined at {there.file}:{there.line}",
                    "give one of them another name, or remove one",
                )
            )
            continue
        _put(target, name, entry, value)


def content_hash(doc: Mapping[str, Any], root: str) -> str:
    """sha256 of the merged document and the knowledge-base articles: same content, same hash."""
    digest = hashlib.sha256()
    _json_pieces(doc, digest.update, depth=2)
    folder = doc.get("knowledge_base")
    if isinstance(folder, str) and folder:
        base = Path(root, folder)
        if base.is_dir():
            for article in sorted(base.rglob("*.md")):
                if article.is_file():
                    digest.update(b"\0" + article.relative_to(base).as_posix().encode() + b"\0")
                    digest.update(article.read_bytes())
    return digest.hexdigest()
