"""YAML problems in plain words, at the line where they can be fixed (for engine.config.yaml.read)."""

from __future__ import annotations

import yaml

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark

__all__ = ["alias_refused", "error_at", "syntax_error"]


def error_at(mark: Mark, message: str, hint: str | None = None) -> Diagnostic:
    """An error at `mark`."""
    return Diagnostic(mark.file, mark.line, mark.col, "error", message, hint)


def alias_refused(mark: Mark, name: str | None) -> Diagnostic:
    """An alias (`*name`), refused where it is used."""
    return error_at(
        mark,
        f"aliases like '*{name}' are not supported",
        "write the value out where it is needed (aliases can expand a few lines into gigabytes)",
    )


_INDENTATION = "this line is indented differently from the lines above it"


def syntax_error(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """A YAML syntax error in plain words, at the line where it can be fixed."""
    problem = exc.problem or ""
    at = exc.problem_mark or exc.context_mark
    mark = Mark(file, at.line + 1, at.column + 1) if at else Mark(file, 1, 1)
    lines = text.split("\n")
    line_text = lines[mark.line - 1] if 0 < mark.line <= len(lines) else ""
    context_mark = exc.context_mark
    context = Mark(file, context_mark.line + 1, context_mark.column + 1) if context_mark else mark
    first_char = Mark(file, mark.line, len(line_text) - len(line_text.lstrip()) + 1)
    if "expected key" in problem or "expected '-' indicator" in problem or "expected <block end>" in problem:
        return error_at(first_char, _INDENTATION, "line it up with the lines it belongs with, using spaces")
    if "mapping values are not allowed" in problem:
        if ": " in line_text[: mark.col - 1] or line_text[: mark.col - 1].lstrip().startswith("- "):
            return error_at(
                mark,
                "a ':' followed by a space inside a value starts a new key",
                'put the whole value in quotes, like title: "Bug: crash"',
            )
        return error_at(first_char, _INDENTATION, "line it up with the lines it belongs with, using spaces")
    if "found undefined alias" in problem:
        return alias_refused(mark, None)
    if "tab character" in problem or (0 < mark.col <= len(line_text) and line_text[mark.col - 1] == "\t"):
        return error_at(mark, "this line is indented with a tab", "use spaces")
    if "cannot start any token" in problem:
        char = line_text[mark.col - 1] if 0 < mark.col <= len(line_text) else "?"
        return error_at(mark, f"a value cannot start with '{char}'", "put the value in quotes")
    if "could not find expected ':'" in problem:
        return error_at(
            context,
            "this line is neither 'key: value' nor a list item '- value'",
            "add ': ' after the key, or check the indentation",
        )
    if "end of stream" in problem and "quoted" in (exc.context or ""):
        return error_at(context, "this quoted text is never closed", "add the closing quote")
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        bracket = "]" if "]" in problem else "}"
        return error_at(
            context,
            f"this list is not closed with '{bracket}'",
            f"close it with '{bracket}' on the same line, and separate items with commas",
        )
    if "another document" in problem:
        return error_at(
            mark, "this file holds a second YAML document (after '---')", "keep everything in one document"
        )
    if "could not determine a constructor" in problem:
        return error_at(
            mark, "tags like '!name' are not supported here", "remove the tag, or put the value in quotes"
        )
    return error_at(mark, f"this is not valid YAML: {problem or exc}", exc.context or None)
