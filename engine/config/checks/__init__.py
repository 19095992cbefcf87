"""What a schema cannot see, checked on the merged document after the schema check.

- names.py: names that must be declared, limits across files, templates and message texts;
- rules.py: the rule list as a whole: unique names, regexes, rules that can never match;
- discord.py: Discord's limits on slash commands (names in any alphabet, 4,000 characters);
- templates.py: every {{ }} text, to the attribute, where it is used;
- traps.py: warnings for what YAML reads without complaint but surely means something else;
- places.py: case threads and forum posts: their channel and role, tags, the intent they need.

`check(doc)` reports every problem at the `file:line:col` of the offending value. Entries the
schema already refused can be skipped (pass their marks as `skip`) so one mistake is not
reported twice.
"""

from __future__ import annotations

from collections.abc import Collection

from engine.config.checks.discord import discord_limits
from engine.config.checks.names import NameChecks
from engine.config.checks.places import check_places
from engine.config.checks.rules import check_rules
from engine.config.checks.traps import traps
from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList

__all__ = ["check"]


def check(
    doc: MarkedDict,
    *,
    skip: Collection[Mark] = (),
    skip_sections: Collection[str] = (),
    partial: bool = False,
) -> list[Diagnostic]:
    """Every problem the schema cannot find, in the merged document of flexcord.yaml and its routes.

    `skip`: marks of entries the schema refused; `skip_sections`: sections the schema refused
    whole (names used from them are not reported as undeclared); `partial`: some file could not be
    read, so no name is reported as undeclared (it may be declared there) but every other check runs.
    """
    checker = NameChecks(doc, frozenset(skip), frozenset(skip_sections), partial=partial)
    checker.run()
    rules = doc.get("rules")
    checker.problems.extend(
        check_rules(rules if isinstance(rules, MarkedList) else MarkedList(), checker.skipped)
    )
    places = check_places(doc, frozenset(skip_sections), partial=partial)
    return [*checker.problems, *discord_limits(doc), *traps(doc), *places]
