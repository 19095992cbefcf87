"""Recognise an unchanged config from its files' bytes, before any YAML is parsed.

A reload of 10,000 unchanged rules would otherwise read, check and compile everything only for the
content hash to say "same". `Sources.read` hashes, without parsing: flexcord.yaml's bytes, the
environment the `${VAR}`s are filled from, and the path and bytes of every file the last build's
`include:` globs match now (so a new, removed or renamed route file is a change), and of every
article in its `knowledge_base` folder.

The fingerprint is taken *before* the build it is kept for: a file edited while that build reads it
makes the next fingerprint differ, so an edit is never taken for "unchanged". When flexcord.yaml's
`include:` itself changed, no fingerprint is kept and the next reload builds in full.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config.loader import _included
from engine.config.yaml.nodes import MarkedDict, MarkedList

__all__ = ["Sources"]


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the config comes from: flexcord.yaml, the include globs last built, the environment."""

    path: Path
    include: Any  # flexcord.yaml's `include:` as last built (a string, a tuple, or None)
    knowledge_base: Any  # and its `knowledge_base:` folder
    env: Mapping[str, str] | None
    offline: bool

    def read(self) -> str | None:
        """The fingerprint of the files as they are now; None when flexcord.yaml cannot be read."""
        main = os.fspath(self.path)
        digest = hashlib.sha256()
        try:
            digest.update(Path(main).read_bytes())
        except OSError:
            return None
        environ = os.environ if self.env is None else self.env
        for name, value in sorted(environ.items()):
            digest.update(f"\0{name}={value}".encode("utf-8", "surrogateescape"))
        digest.update(b"\0offline" if self.offline else b"\0online")
        root = os.path.dirname(main) or "."
        doc = MarkedDict()
        if self.include is not None:
            doc["include"] = MarkedList(self.include) if isinstance(self.include, tuple) else self.include
        files = [Path(file) for file in _included(doc, main, root, [])]
        if isinstance(self.knowledge_base, str) and self.knowledge_base:
            folder = Path(root, self.knowledge_base)
            files += sorted(folder.rglob("*.md")) if folder.is_dir() else []
        for file in files:
            digest.update(b"\0file\0" + os.fsencode(file) + b"\0")
            try:
                digest.update(hashlib.sha256(file.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable")
        return digest.hexdigest()

    @staticmethod
    def of(path: Path, doc: MarkedDict | None, env: Mapping[str, str] | None, offline: bool) -> Sources:
        """The sources a build of `doc` (the merged document) read."""
        found = doc if doc is not None else MarkedDict()
        include = found.get("include")
        if isinstance(include, list):
            include = tuple(include)  # a copy: the document is taken apart once built
        return Sources(path, include, found.get("knowledge_base"), env, offline)

    def following(self, built: Sources) -> Sources | None:
        """These Sources still, after a build that read `built`; None when its `include:` or
        `knowledge_base:` changed (the fingerprint just taken used the old ones, so it cannot vouch
        for the new)."""
        same = (built.include, built.knowledge_base) == (self.include, self.knowledge_base)
        return self if same else None
