"""Shared test fixtures: the repository root, and the demo bot running on in-memory ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.flex.emulator.specs import SpecsMissing, cache_dir, fetch_specs, find_specs
from engine.runtime import Generation
from tests.support.twins import World, generation_from, memory_world

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def twilio_specs() -> Path:
    """Twilio's OpenAPI specs for the emulator's contract check: found, or fetched once (a fresh clone)."""
    try:
        return find_specs()
    except SpecsMissing:
        return fetch_specs(cache_dir())


@pytest.fixture(scope="module")
def generation(repo_root: Path) -> Generation:
    """The shipped demo config, compiled, with its templates and knowledge base."""
    return generation_from(repo_root / "flexcord.yaml")


@pytest.fixture
async def world(generation: Generation) -> AsyncIterator[World]:
    """A started runtime on the demo config with in-memory chat, contact center and store."""
    opened = await memory_world(generation)
    yield opened
    await opened.close()
