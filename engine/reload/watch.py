"""Which files a running bot watches for edits: its config files, new files matching its includes, its KB.

`WatchSet.of(path, config)` lists the folders to watch (not recursively, so a big project folder
costs nothing) and `WatchSet.relevant` tells whether a change in them should trigger a reload.
"""

from __future__ import annotations

import glob
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.config.model import Config

log = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")


def resolve(name: str | Path, root: Path | None = None) -> Path:
    """An absolute path: `name` as given (relative to the working folder), or relative to `root`."""
    path = Path(name)
    if root is not None and not path.is_absolute():
        path = root / path
    return Path(os.path.abspath(path))


def include_patterns(main_file: Path) -> tuple[str, ...]:
    """The `include:` globs of flexcord.yaml, read straight from the file (empty if it cannot be read)."""
    try:
        data: object = yaml.safe_load(main_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ()
    includes = data.get("include") if isinstance(data, dict) else None
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        return ()
    return tuple(item for item in includes if isinstance(item, str))


def _literal_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard: 'routes/*.yaml' -> 'routes'."""
    parts = []
    for part in Path(pattern).parts[:-1]:
        if glob.has_magic(part):
            break
        parts.append(part)
    return os.path.join(*parts) if parts else "."


@dataclass(frozen=True, slots=True)
class WatchSet:
    """The folders to watch for one config, and how to tell a relevant change from noise."""

    root: Path
    files: frozenset[Path]
    folders: frozenset[Path]
    knowledge_base: Path | None
    patterns: tuple[str, ...]

    @classmethod
    def of(cls, path: str | Path, config: Config) -> WatchSet:
        main = resolve(path)
        root = resolve(config.root) if config.root else main.parent
        files = {main} | {resolve(name) for name in config.files}  # Config.files are as given
        patterns = include_patterns(main)
        folders = {f.parent for f in files}
        folders |= {resolve(_literal_prefix(p), root) for p in patterns}
        kb = resolve(config.knowledge_base, root) if config.knowledge_base else None
        if kb is not None and kb.is_dir():
            folders.add(kb)
            folders |= {Path(dirpath) for dirpath, _, _ in os.walk(kb)}
        return cls(
            root=root,
            files=frozenset(files),
            folders=frozenset(f for f in folders if f.is_dir()),
            knowledge_base=kb,
            patterns=patterns,
        )

    def paths(self) -> list[str]:
        """The folders to hand to the file watcher, sorted so two sets compare simply."""
        return sorted(str(f) for f in self.folders)

    def relevant(self, name: str) -> bool:
        """True when a change to `name` can change the config: a config file, a KB file, a new include."""
        path = Path(os.path.abspath(name))
        if path in self.files:
            return True
        if self.knowledge_base is not None and path.is_relative_to(self.knowledge_base):
            return not path.name.startswith(".") and not path.name.endswith("~")
        if path.suffix not in YAML_SUFFIXES:
            return False
        return any(self._matches(path, pattern) for pattern in self.patterns)

    def _matches(self, path: Path, pattern: str) -> bool:
        matched = glob.glob(pattern, root_dir=self.root, recursive=True)
        return any(resolve(m, self.root) == path for m in matched) or (
            not path.exists() and path.match(str(self.root / pattern))
        )


__all__ = ["WatchSet", "include_patterns", "resolve"]
