"""Read flexcord.yaml and the route files it includes into one marked document.

Every key and value remembers `file:line:col` (engine.config.yaml.nodes), `${VAR}` and
`${VAR:-default}` are filled in from the environment (a setting that takes a number gets the
number: engine.config.numbers), and every problem found on the way is
collected as a Diagnostic instead of stopping at the first: a file that cannot be read is
skipped and the others still load. The YAML reading itself lives in engine.config.yaml.read.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config.budget import entries_over_budget, files_over_budget
from engine.config.diagnostics import Diagnostic
from engine.config.numbers import fill_numbers
from engine.config.record import record
from engine.config.yaml.nodes import Filled, Mark, MarkedDict, MarkedList
from engine.config.yaml.read import MAX_FILE_BYTES, read

__all__ = [
    "ENTRY_NOUNS",
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

ENTRY_NOUNS = {
    "channels": "channel",
    "commands": "command",
    "cases": "case template",
    "queues": "queue",
    "chatbots": "chatbot",
    "messages": "message",
}
"""What one entry of each named section is called, in messages."""


@record
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
    filled: tuple[Filled, ...] = ()  # every text filled in from `${VAR}`, to keep out of messages
    parts: tuple[LoadedFile, ...] = ()  # each readable file on its own, for per-file schema checks

    @property
    def complete(self) -> bool:
        """Every file read and every include pattern matched: a name not found is really undeclared."""
        return len(self.parts) == len(self.files) and not any(
            d.message.startswith("include '") for d in self.diagnostics
        )


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
    files = [main, *_included(main_part.doc if main_part else None, main, root, problems)]
    over = files_over_budget(files, _include_mark(main_part, main))
    if over is not None:  # refused before any route file is read
        return LoadResult(MarkedDict(mark=Mark(main, 1, 1)), tuple(files), root, [*problems, over])
    for route_file in files[1:]:
        part = _read_part(route_file, environ, offline, problems, main=False)
        if part is not None:
            parts.append(part)
    merged = merge(parts, main, problems)
    too_many = entries_over_budget(merged)
    if too_many:  # refused before the schema, the checks and the compile
        return LoadResult(merged, tuple(files), root, [*problems, *too_many])
    filled: list[Filled] = []
    digest = content_hash(merged, root, filled)
    return LoadResult(
        doc=merged,
        files=tuple(files),
        root=root,
        diagnostics=problems,
        content_hash=digest,
        parts=tuple(parts),
        filled=tuple(filled),
    )


def _include_mark(main_part: LoadedFile | None, main: str) -> Mark:
    """Where flexcord.yaml says which files to read: its `include:` key, else its first line."""
    if main_part is None:
        return Mark(main, 1, 1)
    return main_part.doc.key_marks.get("include", main_part.doc.mark)


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
    if main:
        fill_numbers(data, problems)
    return LoadedFile(file, data, main, plain)


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
                    "error",
                    f"include '{pattern}' matches no files, so the rules and names in them are missing",
                    f"check the folder name and the extension (.yaml) (paths are relative to {root}), "
                    "or remove the pattern",
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
                    f"{ENTRY_NOUNS[section]} '{name}' is already defined at {there.file}:{there.line}",
                    "give one of them another name, or remove one",
                )
            )
            continue
        _put(target, name, entry, value)


def content_hash(doc: Mapping[str, Any], root: str, filled: list[Filled] | None = None) -> str:
    """sha256 of the merged document and the knowledge-base articles: same content, same hash.

    Text filled in from `${VAR}` counts as written, so a new secret in the environment does not
    make a new version (the version is shown on /metrics). Such texts are added to `filled`."""
    digest = hashlib.sha256(_json(doc, [] if filled is None else filled).encode())
    folder = doc.get("knowledge_base")
    if isinstance(folder, str) and folder:
        base = Path(root, folder)
        if base.is_dir():
            for article in sorted(base.rglob("*.md")):
                if article.is_file():
                    digest.update(b"\0" + article.relative_to(base).as_posix().encode() + b"\0")
                    digest.update(article.read_bytes())
    return digest.hexdigest()


_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)


def _json(doc: Mapping[str, Any], filled: list[Filled]) -> str:
    """`doc` as compact JSON with sorted keys, each filled-in text as it was written."""

    def text(value: str) -> str:
        if type(value) is Filled:
            filled.append(value)
            value = value.written
        return json.encoder.encode_basestring(value)

    if _MAKE_ENCODER is None:  # without json's C speed-ups: fill nothing in, the slow way
        return json.dumps(_as_written(doc, filled), sort_keys=True, separators=(",", ":"), default=str)
    # read from YAML without aliases, the document is a tree: no need to look for cycles
    encode = _MAKE_ENCODER(None, str, text, None, ":", ",", True, False, True)
    return "".join(encode(doc, 0))


def _as_written(node: object, filled: list[Filled]) -> object:
    if isinstance(node, dict):
        return {key: _as_written(value, filled) for key, value in node.items()}
    if isinstance(node, list):
        return [_as_written(item, filled) for item in node]
    if type(node) is Filled:
        filled.append(node)
        return node.written
    return node
