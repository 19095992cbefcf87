"""A running demo bot in a temporary folder, for the reload and admin tests.

`start_bot` starts the real runtime (in-memory SQLite, MemoryChat, MemoryContactCenter) with a Reloader
and Metrics on a copy of the demo config, so a test can edit files and reload them. The copy
gets a `ping` rule at the top of routes/rules.yaml whose name and reply say which variant it is.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import build
from engine.metrics import Metrics
from engine.reload import Reloader, ReloadListener
from engine.runtime import build_generation
from tests.support.twins import World, memory_world

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-admin-token"
ENV = {"FLEXCORD_ADMIN_TOKEN": TOKEN}
RULES = "routes/rules.yaml"


def copy_demo(target: Path) -> Path:
    """A copy of the demo bot (flexcord.yaml, routes/, kb/) in `target`; returns its flexcord.yaml."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "flexcord.yaml", target / "flexcord.yaml")
    shutil.copytree(ROOT / "routes", target / "routes")
    shutil.copytree(ROOT / "kb", target / "kb")
    return target / "flexcord.yaml"


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) with `new` in a file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


DEMO_LOCALES = ("en-US", "es-ES", "pt-BR", "fr", "hi", "tl")  # a text in each: validate warns of none


def ping_rule(variant: str) -> str:
    texts = ", ".join(f'{locale}: "pong from {variant}"' for locale in DEMO_LOCALES)
    return (
        f"  - name: ping {variant}\n    when: {{where: dm, says: [ping]}}\n    do: [reply: {{{texts}}}]\n\n"
    )


def set_ping_variant(config: Path, variant: str) -> None:
    """Make the first rule answer `ping` with 'pong from <variant>' (rule name 'ping <variant>')."""
    rules = config.parent / RULES
    lines = rules.read_text(encoding="utf-8").split("rules:\n", 1)
    body = lines[1]
    if body.startswith("  - name: ping "):
        body = body.split("\n\n", 1)[1]
    rules.write_text(lines[0] + "rules:\n" + ping_rule(variant) + body, encoding="utf-8")


@dataclass
class Notes:
    """What the reloader told the admin channel."""

    texts: list[str] = field(default_factory=list)

    async def __call__(self, text: str) -> None:
        self.texts.append(text)


@dataclass
class Bot:
    config_path: Path
    world: World
    reloader: Reloader
    metrics: Metrics
    notes: Notes

    @property
    def version(self) -> str:
        return self.world.runtime.config.version

    def file(self, name: str) -> Path:
        return self.config_path.parent / name


async def start_bot(
    folder: Path, listeners: list[ReloadListener] | None = None, env: dict[str, str] | None = None
) -> Bot:
    """The demo bot (ping variant A) served from a copy in `folder`; `env` fills in ${...} (admin token)."""
    env = ENV if env is None else env
    config_path = copy_demo(folder)
    set_ping_variant(config_path, "A")
    built = build(config_path, env=env)
    assert built.config is not None, [str(d) for d in built.errors]
    world = await memory_world(build_generation(built.config))
    metrics, notes = Metrics(), Notes()
    reloader = Reloader(
        config_path, world.runtime, listeners=listeners or [], env=env, metrics=metrics, notify=notes
    )
    return Bot(config_path, world, reloader, metrics, notes)
