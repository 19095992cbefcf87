"""`flexcord kb`: try the knowledge base as the FAQ bot uses it, and see what it could not answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click

from engine.chatbot.suggest import Suggestions, suggestions
from engine.cli.options import config_option, data_option
from engine.config.model import Chatbot, Config
from engine.knowledge import ArticleError, Hit, KnowledgeBase
from engine.knowledge.gaps import Asked, group_gaps

DEFAULT_BOT = Chatbot(name="faq", type="knowledge_base")

kb_dir_option = click.option(
    "--kb",
    "kb_dir",
    type=click.Path(file_okay=False),
    help="Use this folder of articles instead of the config's knowledge base.",
)


@click.group("kb")
def kb() -> None:
    """Search and list the knowledge-base articles, and list the questions it could not answer."""


@dataclass(frozen=True)
class Setup:
    """The knowledge base and the FAQ bot settings a command works with."""

    knowledge: KnowledgeBase
    bot: Chatbot


@kb.command("search")
@click.argument("query")
@config_option
@kb_dir_option
@click.option(
    "-n", "--limit", type=click.IntRange(1, 10), help="Show this many at most (default: the bot's)."
)
@click.option("--min-confidence", type=click.FloatRange(0, 1), help="Instead of the bot's min_confidence.")
@click.option("--language", help="The player's locale (es-ES, fr, ...): its articles are searched first.")
@click.option("--explain", is_flag=True, help="Show the words that matched, and the articles not shown.")
def search(
    query: str,
    config_path: str,
    kb_dir: str | None,
    limit: int | None,
    min_confidence: float | None,
    language: str | None,
    explain: bool,
) -> None:
    """Show exactly what the FAQ bot would answer to QUERY, with each article's confidence (0 to 1)."""
    setup = _setup(config_path, kb_dir)
    bot = setup.bot
    found = suggestions(
        setup.knowledge,
        query,
        limit=limit or bot.suggestions,
        min_confidence=bot.min_confidence if min_confidence is None else min_confidence,
        language=language,
    )
    for line in describe(found, explain):
        click.echo(line)


def describe(found: Suggestions, explain: bool) -> list[str]:
    """The lines `kb search` prints: what is shown, or why nothing is, and (explained) what was weighed."""
    lines: list[str] = []
    if found.shown:
        lines.append(f"The bot would show {len(found.shown)} article(s):")
        for rank, hit in enumerate(found.shown, start=1):
            lines += _hit_lines(rank, hit, explain)
    else:
        best = f"{found.candidates[0].confidence:.2f}" if found.candidates else "none"
        lines.append(
            f"The bot is not sure (best confidence {best}, needs {found.min_confidence:.2f}): it answers"
            " with the no_answer message and offers an agent."
        )
    hidden = [hit for hit in found.candidates if hit not in found.shown]
    if explain and hidden:
        lines.append("Weighed but not shown:")
        for rank, hit in enumerate(hidden, start=len(found.shown) + 1):
            lines += _hit_lines(rank, hit, explain)
    return lines


def _hit_lines(rank: int, hit: Hit, explain: bool) -> list[str]:
    where = f", {hit.article.locale}" if hit.article.locale else ""
    lines = [f"{rank}. {hit.article.title}  [{hit.article.slug}{where}, confidence {hit.confidence:.2f}]"]
    if hit.article.url:
        lines.append(f"   {hit.article.url}")
    lines.append(f"   {hit.snippet}")
    if explain:
        lines.append(f"   matched: {', '.join(hit.matched) or 'nothing'}")
        lines.append(f"   judged on: {hit.part!r}")
    return lines


@kb.command("list")
@config_option
@kb_dir_option
def list_articles(config_path: str, kb_dir: str | None) -> None:
    """List every article with its title and tags (this also checks that each one can be read)."""
    knowledge = _setup(config_path, kb_dir).knowledge
    for article in knowledge.articles:
        tags = ", ".join(article.tags) or "no tags"
        where = f"{article.locale}/" if article.locale else ""
        click.echo(f"{where}{article.slug}: {article.title}  ({tags})")
    languages = ", ".join(knowledge.languages)
    click.echo(f"{len(knowledge)} article(s) in {languages}, version {knowledge.version}")


@kb.command("gaps")
@config_option
@data_option
@click.option("--since", default="7d", show_default=True, help="How far back to look: 12h, 7d, 30d.")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def gaps(config_path: str, data: Path | None, since: str, limit: int) -> None:
    """The questions the FAQ bot could not answer, or whose answers did not help, most frequent first.

    Counted: "not sure" answers, and suggestions after which the player asked for an agent (within
    30 minutes). Questions that share words are grouped; each group shows its words and examples.
    """
    import asyncio
    from datetime import UTC, datetime, timedelta

    from engine.config.compile.values import CompileError, parse_duration

    try:
        seconds = parse_duration(since)
    except CompileError:
        raise click.BadParameter(f"'{since}' is not a duration; write it like 12h, 7d or 30d") from None
    start = datetime.now(UTC) - timedelta(seconds=seconds)
    asked = asyncio.run(_gap_questions(config_path, data, start))
    found = group_gaps(asked)
    if not found:
        click.echo(f"No unanswered questions since {start:%Y-%m-%d %H:%M} UTC.")
        return
    total = sum(gap.count for gap in found)
    click.echo(f"{total} question(s) the FAQ bot could not answer since {start:%Y-%m-%d %H:%M} UTC:")
    for gap in found[:limit]:
        how = ", ".join(f"{n} {OUTCOME_WORDS[o]}" for o, n in sorted(gap.outcomes.items()))
        click.echo(f"{gap.count:5d}  {gap.name()}  [{gap.language}; {how}]")
        for example in gap.examples:
            click.echo(f'       "{_short(example, 100)}"')


OUTCOME_WORDS = {"unanswered": "not sure", "escalated": "asked for an agent after suggestions"}


async def _gap_questions(config_path: str, data: Path | None, start: datetime) -> list[Asked]:
    from engine.cli.cases import records  # the store of the config, opened the way `flexcord cases` does

    async with records(config_path, data) as store, store.view() as view:
        rows = await view.faq_questions(start)
    return [Asked(r.text, r.language, r.outcome) for r in rows if r.outcome in OUTCOME_WORDS]


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _setup(config_path: str, kb_dir: str | None) -> Setup:
    if kb_dir is not None:
        return Setup(_load(Path(kb_dir)), DEFAULT_BOT)
    config = _config(config_path)
    if not config.knowledge_base:
        raise click.ClickException(f"{config_path} has no knowledge base; add a line 'knowledge_base: kb/'")
    bots = [bot for bot in config.chatbots.values() if bot.type == "knowledge_base"]
    return Setup(_load(Path(config.root) / config.knowledge_base), bots[0] if bots else DEFAULT_BOT)


def _load(folder: Path) -> KnowledgeBase:
    if not folder.is_dir():
        raise click.ClickException(
            f"the knowledge-base folder {folder} does not exist; create it or fix the path"
        )
    try:
        return KnowledgeBase.build(folder)
    except ArticleError as exc:
        raise click.ClickException(str(exc)) from None


def _config(config_path: str) -> Config:
    """The compiled config, or a plain explanation of why it cannot be read."""
    from engine.config import build

    result = build(config_path, offline=True)
    if not result.ok or result.config is None:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic), err=True)
        raise click.ClickException(f"{config_path} has errors; fix them (or give the folder with --kb DIR)")
    config: Config = result.config
    return config


COMMANDS = [kb]
