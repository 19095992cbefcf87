"""`flexcord kb`: try the knowledge base from the command line, as the FAQ chatbot would search it."""

from __future__ import annotations

from pathlib import Path

import click

from engine.chatbot.suggest import good_hits
from engine.cli.options import config_option
from engine.config.model import Config
from engine.knowledge import ArticleError, KnowledgeBase


@click.group("kb")
def kb() -> None:
    """Search and list the knowledge-base articles."""


@kb.command("search")
@click.argument("query")
@config_option
@click.option(
    "--kb",
    "kb_dir",
    type=click.Path(file_okay=False),
    help="Search this folder of articles instead of the config's knowledge base.",
)
@click.option(
    "-n",
    "--limit",
    default=3,
    show_default=True,
    type=click.IntRange(1, 50),
    help="How many articles to show.",
)
def search(query: str, config_path: str, kb_dir: str | None, limit: int) -> None:
    """Show the articles that best match QUERY, with their score, link and the matching text."""
    knowledge = _load(config_path, kb_dir)
    hits = knowledge.search(query, limit=limit)
    if not hits:
        click.echo("No article matches. The chatbot would answer with the no_answer message.")
        return
    suggested = {id(hit) for hit in good_hits(hits, 0.0)}
    for rank, hit in enumerate(hits, start=1):
        note = "" if id(hit) in suggested else "  (too weak: the chatbot would not suggest it)"
        click.echo(f"{rank}. {hit.article.title}  [{hit.article.slug}, score {hit.score:.2f}]{note}")
        if hit.article.url:
            click.echo(f"   {hit.article.url}")
        click.echo(f"   {hit.snippet}")


@kb.command("list")
@config_option
@click.option(
    "--kb",
    "kb_dir",
    type=click.Path(file_okay=False),
    help="List this folder of articles instead of the config's knowledge base.",
)
def list_articles(config_path: str, kb_dir: str | None) -> None:
    """List every article with its title and tags (this also checks that each one can be read)."""
    knowledge = _load(config_path, kb_dir)
    for article in knowledge.articles:
        tags = ", ".join(article.tags) or "no tags"
        click.echo(f"{article.slug}: {article.title}  ({tags})")
    click.echo(f"{len(knowledge)} article(s), version {knowledge.version}")


def _load(config_path: str, kb_dir: str | None) -> KnowledgeBase:
    folder = Path(kb_dir) if kb_dir is not None else _folder_from_config(config_path)
    if not folder.is_dir():
        raise click.ClickException(
            f"the knowledge-base folder {folder} does not exist; create it or fix the path"
        )
    try:
        return KnowledgeBase.build(folder)
    except ArticleError as exc:
        raise click.ClickException(str(exc)) from None


def _folder_from_config(config_path: str) -> Path:
    """The config's `knowledge_base:` folder, resolved from the folder of flexcord.yaml."""
    from engine import config as config_package

    build = getattr(config_package, "build", None)
    if build is None:
        raise click.ClickException("this flexcord cannot read the config yet; give the folder with --kb DIR")
    result = build(config_path, offline=True)
    if not result.ok:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic), err=True)
        raise click.ClickException(f"{config_path} has errors; fix them (or give the folder with --kb DIR)")
    config: Config = result.config
    if not config.knowledge_base:
        raise click.ClickException(f"{config_path} has no knowledge base; add a line 'knowledge_base: kb/'")
    return Path(config.root) / config.knowledge_base


COMMANDS = [kb]
