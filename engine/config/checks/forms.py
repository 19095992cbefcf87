"""Case form fields checked for what Discord's pop-up form can show.

A `type: file` field is Discord's file upload: it takes a label, `required` and `max` (how many
files, 1 to 10); the settings of a box to type in (`style`, `min`, `placeholder`) mean nothing there.
"""

from __future__ import annotations

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import MarkedDict, mark_of

__all__ = ["MAX_FILES", "form_field_problems"]

MAX_FILES = 10  # Discord's file upload takes 1 to 10 files
_TYPING_ONLY = ("style", "min", "placeholder")
_FILE_HINT = "a file field takes label, required and max (how many files, 1 to 10); remove it"


def form_field_problems(field: MarkedDict, what: str) -> list[Diagnostic]:
    """What is wrong with one form field (`what` names it: "form field 'shot' of case template 'bug'")."""
    if field.get("type") != "file":
        return []
    problems = []
    for key in _TYPING_ONLY:
        if key in field:
            mark = mark_of(field, key, of_key=True) or field.mark
            message = f"'{key}' has no meaning in {what}, a file field (it is for boxes to type in)"
            problems.append(Diagnostic(mark.file, mark.line, mark.col, "error", message, _FILE_HINT))
    high = field.get("max")
    if isinstance(high, int) and high > MAX_FILES:
        mark = mark_of(field, "max") or field.mark
        message = f"{what} asks for up to {high} files; Discord's form takes at most {MAX_FILES}"
        problems.append(
            Diagnostic(mark.file, mark.line, mark.col, "error", message, "set max to 10 or fewer")
        )
    return problems
