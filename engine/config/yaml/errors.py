"""YAML problems in plain words, at the line where they can be fixed (for engine.config.yaml.read)."""

from __future__ import annotations

import re

import yaml

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark

__all__ = ["alias_refused", "error_at", "explicit_tag", "syntax_error"]


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
_LINE_UP = "line it up with the lines it belongs with, using spaces"


def explicit_tag(file: str, text: str) -> Diagnostic:
    """A value with an explicit tag (`!!int twelve`) that cannot be read as that kind."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "!!" in line and not line.lstrip().startswith("#"):
            col = line.index("!!") + 1
            return error_at(
                Mark(file, number, col),
                "tags like '!!int' are not supported here",
                "remove the tag; put the value in quotes if it is text",
            )
    return error_at(Mark(file, 1, 1), "a value in this file has a tag flexcord cannot read", "remove the tag")


class _Where:
    """The lines around a YAML error: where the parser stopped and the line before it."""

    def __init__(self, file: str, text: str, exc: yaml.MarkedYAMLError) -> None:
        at = exc.problem_mark or exc.context_mark
        self.file = file
        self.mark = Mark(file, at.line + 1, at.column + 1) if at else Mark(file, 1, 1)
        self.lines = text.split("\n")
        self.text = self.line(self.mark.line)
        context_mark = exc.context_mark
        self.context = (
            Mark(file, context_mark.line + 1, context_mark.column + 1) if context_mark else self.mark
        )
        self.first_char = Mark(file, self.mark.line, _indent(self.text) + 1)

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def previous(self) -> int:
        """The line number of the last line with content before the error's line (0 if none)."""
        number = self.mark.line - 1
        while number > 0 and (not self.line(number).strip() or self.line(number).lstrip().startswith("#")):
            number -= 1
        return number


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _missing_colon(where: _Where) -> Diagnostic | None:
    """The line before the error is a key without its ':' (`description Read the rules`)."""
    number = where.previous()
    before = where.line(number).strip()
    if not number or ":" in before or before.startswith(("-", "[", "{", '"', "'", "|", ">")):
        return None
    word, _, rest = before.partition(" ")
    example = f"{word}: {rest}" if rest else f"{word}:"
    return error_at(
        Mark(where.file, number, _indent(where.line(number)) + 1),
        f"'{before[:40]}' has no colon (':') after its key",
        f"write it as 'key: value', like {example}",
    )


def _text_continued(where: _Where) -> Diagnostic | None:
    """A text that goes on on the next, deeper line, where a ': ' starts a key no one meant."""
    number = where.previous()
    before = where.line(number)
    key, colon, value = before.strip().removeprefix("- ").partition(": ")
    if (
        not number
        or not colon
        or not value
        or value[0] in "\"'[{|>"
        or _indent(where.text) <= _indent(before)
        or re.match(r"^(?:- )?[\w-]+: ", where.text.strip())  # a key of its own, a little too far in
    ):
        return None
    whole = f"{value} {where.text.strip()}"
    return error_at(
        where.first_char,
        f"this line goes on with the text of line {number}, and its ': ' would start a new key",
        f'put the whole text in quotes on one line: {key}: "{whole}"',
    )


def _indentation(where: _Where) -> Diagnostic:
    return (
        _missing_colon(where) or _text_continued(where) or error_at(where.first_char, _INDENTATION, _LINE_UP)
    )


def _must_quote(mark: Mark, char: str) -> Diagnostic:
    return error_at(
        mark,
        f"a value that starts with '{char}' must be in quotes (YAML gives '{char}' a meaning of its own)",
        'put the whole value in quotes, like message: "' + char + '..."',
    )


def syntax_error(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """A YAML syntax error in plain words, at the line where it can be fixed."""
    problem, context = exc.problem or "", exc.context or ""
    where = _Where(file, text, exc)
    mark, line_text = where.mark, where.text
    if "expected key" in problem or "expected '-' indicator" in problem or "expected <block end>" in problem:
        return _indentation(where)
    if "mapping values are not allowed" in problem:
        if ": " in line_text[: mark.col - 1] or line_text[: mark.col - 1].lstrip().startswith("- "):
            return error_at(
                mark,
                "a ':' followed by a space inside a value starts a new key",
                'put the whole value in quotes, like title: "Bug: crash"',
            )
        return _indentation(where)
    if "while scanning an alias" in context or "while scanning an anchor" in context:
        return _must_quote(where.context, line_text[where.context.col - 1 : where.context.col] or "*")
    if "found undefined alias" in problem:
        return alias_refused(mark, None)
    if "tab character" in problem or (0 < mark.col <= len(line_text) and line_text[mark.col - 1] == "\t"):
        return error_at(mark, "this line is indented with a tab", "use spaces")
    if "cannot start any token" in problem:
        return _must_quote(mark, line_text[mark.col - 1] if 0 < mark.col <= len(line_text) else "?")
    if "unknown escape character" in problem:
        return error_at(
            mark,
            "inside double quotes a backslash starts an escape like \\n, and this one is not an escape",
            "use single quotes for text with backslashes, like matches: '\\d+ dollars'",
        )
    return _other(where, exc)


def _other(where: _Where, exc: yaml.MarkedYAMLError) -> Diagnostic:
    problem, mark, context = exc.problem or "", where.mark, where.context
    if "could not find expected ':'" in problem:
        return _missing_colon(where) or error_at(
            context,
            "this line is neither 'key: value' nor a list item '- value'",
            "add ': ' after the key, or check the indentation",
        )
    if "end of stream" in problem and "quoted" in (exc.context or ""):
        return error_at(context, "this quoted text is never closed", "add the closing quote")
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        bracket = "]" if "]" in problem else "}"
        opened = where.line(context.line)[context.col :]
        if " #" in opened:
            return error_at(
                context,
                f"' #' starts a comment, which cuts this off before its '{bracket}'",
                'put the text with the # in quotes, like [reply: "See #faq"]',
            )
        what = "list" if bracket == "]" else "mapping"
        return error_at(
            context,
            f"this {what} is not closed with '{bracket}'",
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
