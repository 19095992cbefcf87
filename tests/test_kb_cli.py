"""`flexcord kb search` and `flexcord kb list`, run as a community manager would."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
KB = str(ROOT / "kb")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["kb", *args])
    return result.exit_code, result.output


def test_search_prints_what_the_bot_shows_with_confidence_url_and_snippet() -> None:
    code, out = run("search", "I forgot my pasword", "--kb", KB)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("The bot would show ")
    assert re.match(
        r"1\. Reset your account password  \[account-password-reset, confidence [01]\.\d\d\]$", lines[1]
    )
    assert "https://support.example.com/articles/account-password-reset" in out
    assert "**password**" in out.casefold()
    assert "matched:" not in out


def test_search_shows_exactly_what_the_bot_would(tmp_path: Path) -> None:
    from engine.chatbot.suggest import suggestions
    from engine.knowledge import KnowledgeBase

    knowledge = KnowledgeBase.build(ROOT / "kb")
    for query in [
        "my phone gets hot",
        "closes open",
        "anyone know a good phone case",
        "olvidé mi contraseña",
    ]:
        shown = suggestions(knowledge, query, limit=3, min_confidence=0.5).shown
        _, out = run("search", query, "--kb", KB)
        listed = re.findall(r"^\d+\. .*\[([a-z-]+)", out, flags=re.MULTILINE)
        assert listed == [hit.article.slug for hit in shown], query


def test_explain_shows_the_matched_words_and_what_was_not_shown() -> None:
    code, out = run("search", "I forgot my pasword", "--kb", KB, "--explain")
    assert code == 0, out
    assert "matched: forgot, pasword" in out
    assert "Weighed but not shown:" in out


def test_search_says_when_the_bot_is_not_sure() -> None:
    code, out = run("search", "anyone know a good phone case", "--kb", KB)
    assert code == 0
    assert out.startswith("The bot is not sure (best confidence 0.")
    assert "needs 0.50" in out and "offers an agent" in out
    code, out = run("search", 'AND OR NOT "*', "--kb", KB)
    assert code == 0
    assert "The bot is not sure (best confidence none" in out


def test_search_follows_min_confidence_and_language_options() -> None:
    _, out = run("search", "where do I send my ideas", "--kb", KB, "--min-confidence", "1")
    assert "not sure" in out
    _, out = run("search", "shiny", "--kb", KB, "--language", "fr")
    assert "[trading-with-friends, fr, confidence" in out
    _, out = run("search", "shiny", "--kb", KB)
    assert "[trading-with-friends, confidence" in out


def test_list_shows_every_article() -> None:
    code, out = run("list", "--kb", KB)
    assert code == 0, out
    assert "trading-with-friends: Trading critters with friends" in out
    assert "es-ES/trading-with-friends: Intercambiar critters con amigos" in out
    assert "72 article(s) in en, es, fr, hi, pt, tl, version " in out


def test_a_broken_article_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "oops.md").write_text("---\ntitel: Oops\n---\nbody\n", encoding="utf-8")
    code, out = run("search", "oops", "--kb", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'oops.md'}:2: unknown front matter key 'titel'" in out


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    code, out = run("search", "x", "--kb", str(tmp_path / "nope"))
    assert code == 1
    assert "does not exist" in out


def test_search_reads_the_knowledge_base_folder_from_the_config() -> None:
    code, out = run("search", "trade with my brother", "-c", str(ROOT / "flexcord.yaml"))
    assert code == 0, out
    assert "trading-with-friends" in out.splitlines()[1]


def test_validate_checks_every_article_and_names_each_problem_with_its_line(tmp_path: Path) -> None:
    from tests.reload_fixtures import copy_demo, edit

    config = copy_demo(tmp_path)
    kb = tmp_path / "kb"
    edit(kb / "fr" / "ban-appeals.md", "  - j'ai été banni sans raison\n", "  - [banni, sans, raison]\n")
    edit(kb / "trading-with-friends.md", "questions:\n", "questions: how do I trade\n")
    (kb / "tl" / "paalam.md").write_text("---\ntitle: Paalam\n---\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "-c", str(config)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        f"{kb / 'fr' / 'ban-appeals.md'}:6:1: error: question ['banni', 'sans', 'raison'] is not a sentence"
        in (lines[0])
    )
    assert lines[1].startswith(
        f"{kb / 'tl' / 'paalam.md'}:1:1: error: no article 'paalam.md' for it to translate"
    )
    assert lines[2].startswith(f"{kb / 'trading-with-friends.md'}:5:1: error: questions must be a list")
    assert lines[-1] == "3 errors"
    assert CliRunner().invoke(main, ["validate", "-c", str(ROOT / "flexcord.yaml")]).exit_code == 0
