"""The language detector's models are loaded while the bot is built, not on the first DM it gets
(lingua loads them holding the interpreter lock: a second with the event loop stopped)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.config import build
from engine.language import guesses, warm
from engine.runtime import build_generation


def test_building_the_bot_loads_the_models_of_its_languages_once(repo_root: Path) -> None:
    config = build(repo_root / "flexcord.yaml", offline=True).config
    assert config is not None and len(config.locales.supported) > 3
    fewer = dataclasses.replace(
        config, locales=dataclasses.replace(config.locales, supported=("en-US", "es-ES", "de"))
    )
    build_generation(fewer)
    assert not warm(["de", "en-US", "es-419"])  # loaded by the build: the same three languages
    assert warm(["en-US", "es-ES", "de", "it"])  # a language added: its models load now
    assert guesses("no puedo entrar a mi cuenta desde ayer", fewer.locales.supported)[0].language == "es"


def test_one_language_needs_no_models() -> None:
    assert not warm(["en-US"])
    assert not warm(["en-US", "en-GB"])  # two locales, one language
