"""Turn flexcord.yaml and its route files into one checked, compiled Config.

`build` runs every step (load -> schema -> semantic checks -> compile) and returns every problem
found, errors and warnings, instead of stopping at the first. It keeps no state between calls,
so a reload may run it in a worker thread. The heavy modules are imported on first use, so
`import engine.config.model` stays light.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config.diagnostics import ConfigError, Diagnostic, has_errors, redact, sort_key
from engine.config.model import Config
from engine.config.yaml.nodes import Mark, MarkedDict

__all__ = ["BuildResult", "Config", "ConfigError", "Diagnostic", "build", "load_config"]


@dataclass(frozen=True)
class BuildResult:
    """The compiled Config (None when there are errors) and every problem found on the way."""

    config: Config | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()
    version: str = ""  # the first 12 hex digits of the content hash
    doc: MarkedDict | None = field(default=None, repr=False, compare=False)  # the merged YAML

    @property
    def ok(self) -> bool:
        """No errors (warnings are allowed)."""
        return not has_errors(self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")


def build(path: Path | str, *, env: Mapping[str, str] | None = None, offline: bool = True) -> BuildResult:
    """Load, check and compile the config at `path`; never raises for a problem in the YAML.

    The cyclic garbage collector is paused meanwhile: the marked document is many long-lived objects,
    and collecting half-way only re-walks them. A serving process builds in the builder process
    instead (engine.config.builder), which also keeps the new config out of the collector's sight.
    """
    from engine.routing.patterns import regex_cache

    enabled = gc.isenabled()
    gc.disable()
    try:
        with regex_cache():
            return _build(path, env=env, offline=offline)
    finally:
        if enabled:
            gc.enable()


def _build(path: Path | str, *, env: Mapping[str, str] | None, offline: bool) -> BuildResult:
    from engine.config.checks import check
    from engine.config.checks.knowledge import article_problems
    from engine.config.loader import load
    from engine.config.schema.explain import validate_file

    loaded = load(path, env=env, offline=offline)
    problems = list(loaded.diagnostics)
    refused: set[Mark] = set()
    sections: set[str] = set()
    for part in loaded.parts:
        schema_check = validate_file(part.doc, part.file, main=part.main, plain=part.plain)
        problems.extend(schema_check.diagnostics)
        refused |= schema_check.entries
        sections |= schema_check.sections
    # every check runs; with a file unread, the names it declares are not called undeclared
    partial = not loaded.complete or "include" in sections
    problems.extend(check(loaded.doc, skip=refused, skip_sections=sections, partial=partial))
    problems.extend(article_problems(loaded.doc, loaded.root))
    version = loaded.content_hash[:12]
    config = None
    if not has_errors(problems):
        try:
            config = _compile(loaded.doc, root=loaded.root, files=loaded.files, version=version)
        except ValueError as exc:
            problems.append(_compile_problem(exc, loaded.files[0]))
    problems = redact(problems, ((value, value.written) for value in loaded.filled))
    return BuildResult(
        config=config,
        diagnostics=tuple(sorted(problems, key=sort_key)),
        files=loaded.files,
        version=version,
        doc=loaded.doc,
    )


def _compile(doc: MarkedDict, *, root: str, files: tuple[str, ...], version: str) -> Config:
    from engine.config.compile.config import compile_config

    return compile_config(doc, root=root, files=files, version=version)


def _compile_problem(exc: ValueError, main: str) -> Diagnostic:
    """A value the compiler could not use, at its mark when it carries one."""
    mark: Any = getattr(exc, "mark", None)
    message = str(getattr(exc, "message", "") or exc)
    if isinstance(mark, Mark):
        return Diagnostic(mark.file, mark.line, mark.col, "error", message)
    return Diagnostic(main, 1, 1, "error", message)


def load_config(path: Path | str, **kwargs: Any) -> Config:
    """The compiled Config at `path`, or ConfigError carrying every problem found."""
    result = build(path, **kwargs)
    if result.config is None:
        raise ConfigError(result.diagnostics)
    return result.config
