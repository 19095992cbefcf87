"""What a reload did, and how to say so in one Discord message or one log line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.config.diagnostics import Diagnostic
from engine.config.model import frozen_map

DISCORD_MESSAGE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """How one reload went. `version` is the config serving afterwards (the old one if refused)."""

    ok: bool
    version: str
    old_version: str
    changed: bool
    diagnostics: tuple[Diagnostic, ...]
    duration_s: float
    reason: str
    timings: Mapping[str, float] = field(default_factory=frozen_map)  # seconds per step

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def summary(self) -> str:
        """One line for the log and the admin channel."""
        if not self.ok:
            count = len(self.errors)
            return (
                f"Config reload refused ({self.reason}): {count} problem{'s' if count != 1 else ''}; "
                f"still serving version {self.version}."
            )
        if not self.changed:
            return f"Config unchanged ({self.reason}): still serving version {self.version}."
        return (
            f"Config reloaded ({self.reason}): now serving version {self.version} (was {self.old_version})."
        )


def describe(result: ReloadResult, limit: int = DISCORD_MESSAGE_LIMIT) -> str:
    """The summary and each problem as file:line:col, trimmed to `limit` characters (a Discord message)."""
    problems = [f"- {d}" for d in (result.errors if not result.ok else result.warnings)]
    lines = [result.summary()]
    size = len(lines[0])
    for index, line in enumerate(problems):
        last = index == len(problems) - 1
        if size + 1 + len(line) + (0 if last else 80) > limit:
            lines.append(f"… and {len(problems) - index} more (run `flexcord validate` to see them all)")
            break
        lines.append(line)
        size += 1 + len(line)
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["DISCORD_MESSAGE_LIMIT", "ReloadResult", "describe"]
