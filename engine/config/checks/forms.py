"""Case form fields and slash-command options that take files, checked for what Discord can show.

A `type: file` form field is Discord's file upload: it takes a label, `required` and `max` (how many
files, 1 to 10); the settings of a box to type in (`style`, `min`, `placeholder`) mean nothing there.
A `type: file` command option is Discord's attachment option: one file, with a description and
`required`; `min` and `max` (number and text bounds) mean nothing there. What files are taken is
set once for all in `attachments:`.
"""

from __future__ import annotations

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import MarkedDict, mark_of

__all__ = ["MAX_FILES", "file_option_problems", "form_field_problems"]

MAX_FILES = 10  # Discord's file upload takes 1 to 10 files
_TYPING_ONLY = ("style", "min", "placeholder")
_FILE_HINT = "a file field takes label, required and max (how many files, 1 to 10); remove it"
_BOUNDS = ("min", "max")
_OPTION_HINT = (
    "a file option takes description and required (attachments: in flexcord.yaml sets which files "
    "are taken); remove it"
)


def _without_meaning(node: MarkedDict, keys: tuple[str, ...], what: str, hint: str) -> list[Diagnostic]:
    """One error for each of `keys` written in `node`, where it means nothing."""
    problems = []
    for key in keys:
        if key in node:
            mark = mark_of(node, key, of_key=True) or node.mark
            message = f"'{key}' has no meaning in {what}"
            problems.append(Diagnostic(mark.file, mark.line, mark.col, "error", message, hint))
    return problems


def form_field_problems(field: MarkedDict, what: str) -> list[Diagnostic]:
    """What is wrong with one form field (`what` names it: "form field 'shot' of case template 'bug'")."""
    if field.get("type") != "file":
        return []
    where = f"{what}, a file field (it is for boxes to type in)"
    problems = _without_meaning(field, _TYPING_ONLY, where, _FILE_HINT)
    high = field.get("max")
    if isinstance(high, int) and high > MAX_FILES:
        mark = mark_of(field, "max") or field.mark
        message = f"{what} asks for up to {high} files; Discord's form takes at most {MAX_FILES}"
        problems.append(
            Diagnostic(mark.file, mark.line, mark.col, "error", message, "set max to 10 or fewer")
        )
    return problems


def file_option_problems(option: MarkedDict, what: str) -> list[Diagnostic]:
    """What is wrong with one command option of type file (`what`: "option 'mockup' of command 'idea'").

    Its `choices` are already refused for any type but choice."""
    if option.get("type") != "file":
        return []
    where = f"{what}, a file option (it is for numbers and text)"
    return _without_meaning(option, _BOUNDS, where, _OPTION_HINT)
