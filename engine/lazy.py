"""Names a package exports but imports only when first used, so that importing one light submodule
(`engine.routing.patterns`, `engine.knowledge.articles`) does not load the whole package."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_names(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: each name of `homes` comes from the submodule named
    there, imported on first use (and kept in the package, so it is looked up once)."""

    def getattr_(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return getattr_
