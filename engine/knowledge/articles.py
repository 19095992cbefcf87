"""Knowledge-base articles: Markdown files with YAML front matter (title, url, tags, questions), checked.

The Markdown files in the knowledge-base folder are the source of truth; the search index is
always rebuilt from them. `kb/<slug>.md` is in the default language; `kb/<locale>/<slug>.md`
translates it (same slug, Discord's locale codes such as `es-ES`, `pt-BR`, plus `tl`). Problems
are reported with the file and line, in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.language import LANGUAGES, is_known

FRONT_MATTER_KEYS = ("title", "url", "tags", "questions")
MAX_QUESTION_LENGTH = 300
SKIPPED_FILES = frozenset({"readme.md"})  # notes for editors, not articles
_C_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Article:
    """`slug` is the file name without `.md`; `body` is the Markdown after the front matter.

    `questions` are ways players ask for it; `locale` is None in the default language, else the
    locale folder it was read from.
    """

    slug: str
    title: str
    url: str | None
    tags: tuple[str, ...]
    body: str
    questions: tuple[str, ...] = ()
    locale: str | None = None


class ArticleError(ValueError):
    """An article cannot be read: which file, which line, what is wrong and what to do."""

    def __init__(self, file: str, line: int, message: str, hint: str | None = None) -> None:
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
        text = f"{file}:{line}: {message}"
        super().__init__(f"{text} ({hint})" if hint else text)


def load_articles(folder: str | Path) -> list[Article]:
    """Read the articles in `folder` and its locale folders, default language first, sorted by file name.

    No folder means no articles. The first problem found is raised (`check_articles` lists all).
    """
    articles, problems = check_articles(folder)
    if problems:
        raise problems[0]
    return articles


def check_articles(folder: str | Path) -> tuple[list[Article], list[ArticleError]]:
    """Every article that can be read, and every problem, each at its file and line.

    A translation must have the slug of an article in the default language, and its folder must
    be named after a locale whose language flexcord knows.
    """
    root = Path(folder)
    if not root.exists():
        return [], []
    if not root.is_dir():
        return [], [
            ArticleError(str(root), 1, "the knowledge base must be a folder of .md files, not a file")
        ]
    articles: list[Article] = []
    problems: list[ArticleError] = []

    def read(path: Path, locale: str | None = None) -> None:
        try:
            articles.append(read_article(path, locale))
        except ArticleError as problem:
            problems.append(problem)

    defaults = _markdown_files(root)
    for path in defaults:
        read(path)
    slugs = sorted(path.stem for path in defaults)
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not is_known(sub.name):
            hint = "name it after one of: " + ", ".join(sorted(LANGUAGES))
            problems.append(ArticleError(str(sub), 1, f"'{sub.name}' is not a locale flexcord knows", hint))
            continue
        for path in _markdown_files(sub):
            if path.stem in slugs:
                read(path, sub.name)
                continue
            example = f", e.g. {sub.name}/{slugs[0]}.md" if slugs else ""
            hint = f"name it like the article it translates{example}"
            problems.append(
                ArticleError(str(path), 1, f"no article '{path.stem}.md' for it to translate", hint)
            )
    return articles, problems


def _markdown_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.md") if p.is_file() and p.name.lower() not in SKIPPED_FILES)


def read_article(path: Path, locale: str | None = None) -> Article:
    """Read and check one article file (`locale`: the locale folder it is in, None for the default)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ArticleError(str(path), 1, "the file is not UTF-8 text", "save it as UTF-8") from None
    return parse_article(path.stem, text, str(path), locale=locale)


def _front_matter(text: str) -> object:
    """The front matter read by libyaml (ten times quicker than PyYAML's own reader: validate and a
    start read every article); text it refuses is read again by PyYAML, whose words problems quote."""
    try:
        return yaml.load(text, Loader=_C_LOADER)  # a safe loader, C or Python
    except yaml.YAMLError:
        return yaml.safe_load(text)


def parse_article(slug: str, text: str, file: str = "<article>", locale: str | None = None) -> Article:
    """Split `text` into front matter and body and check the front matter's keys and values."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleError(
            file,
            1,
            "an article must start with front matter",
            "put a line '---', then 'title: ...' (and optionally url and tags), then another '---'",
        )
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise ArticleError(file, 1, "the front matter is never closed", "add a line '---' after the tags")
    try:
        meta = _front_matter("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc)
        raise ArticleError(file, line, f"the front matter is not valid YAML: {problem}") from None
    if not isinstance(meta, dict):
        raise ArticleError(file, 2, "the front matter must be 'key: value' lines", "for example 'title: ...'")
    unknown = sorted(str(key) for key in meta if key not in FRONT_MATTER_KEYS)
    if unknown:
        raise ArticleError(
            file,
            _line_of(lines, end, unknown[0]),
            f"unknown front matter key '{unknown[0]}'",
            "expected one of: " + ", ".join(FRONT_MATTER_KEYS),
        )
    body = "\n".join(lines[end + 1 :]).strip()
    return Article(
        slug=slug,
        title=_title(meta.get("title"), file, _line_of(lines, end, "title")),
        url=_url(meta.get("url"), file, _line_of(lines, end, "url")),
        tags=_tags(meta.get("tags"), file, _line_of(lines, end, "tags")),
        body=body,
        questions=_questions(meta.get("questions"), file, _line_of(lines, end, "questions")),
        locale=locale,
    )


def _line_of(lines: list[str], end: int, key: str) -> int:
    """The 1-based line where front matter `key` is written (line 2 when it is missing)."""
    for number, line in enumerate(lines[1:end], start=2):
        if line.startswith(f"{key}:"):
            return number
    return 2


def _title(value: object, file: str, line: int) -> str:
    if not isinstance(value, str) or not value.strip():
        hint = "add a line like 'title: Reset your password'"
        raise ArticleError(file, line, "the article needs a title", hint)
    return value.strip()


def _url(value: object, file: str, line: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"https?://\S+$", value.strip()):
        raise ArticleError(file, line, f"url {value!r} is not a web address", "it must start with https://")
    return value.strip()


def _tags(value: object, file: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    items: Iterable[object]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise ArticleError(file, line, "tags must be a list", "write them like 'tags: [login, password]'")
    tags = []
    for item in items:
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise ArticleError(file, line, f"tag {item!r} is not a word", "write tags as plain words")
        tag = str(item).strip()
        if tag:
            tags.append(tag)
    return tuple(tags)


def _questions(value: object, file: str, line: int) -> tuple[str, ...]:
    """The sample questions: a list of plain sentences, each on its own line of the front matter."""
    if value is None:
        return ()
    hint = "write one question per line, like '  - how do I change my password?'"
    if not isinstance(value, list):
        raise ArticleError(file, line, "questions must be a list", hint)
    questions = []
    for offset, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise ArticleError(file, line + offset, f"question {item!r} is not a sentence", hint)
        if len(item) > MAX_QUESTION_LENGTH:
            message = f"a question is longer than {MAX_QUESTION_LENGTH} characters"
            raise ArticleError(file, line + offset, message, "keep each one as short as players write")
        questions.append(item.strip())
    return tuple(questions)
