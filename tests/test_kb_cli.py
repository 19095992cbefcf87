"""`flexcord kb search` and `flexcord kb list`, run as a community manager would."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
KB = str(ROOT / "kb")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["kb", *args])
    return result.exit_code, result.output


def test_search_prints_title_score_url_and_snippet() -> None:
    code, out = run("search", "I forgot my pasword", "--kb", KB)
    assert code == 0, out
    first = out.splitlines()[0]
    assert first.startswith("1. Reset your account password  [account-password-reset, score ")
    assert "https://support.example.com/articles/account-password-reset" in out
    assert "**password**" in out.casefold()


def test_search_shows_at_most_n_articles_and_marks_weak_ones() -> None:
    code, out = run("search", "closes open", "--kb", KB, "-n", "5")
    assert code == 0, out
    ranks = [line.split(".")[0] for line in out.splitlines() if line[:1].isdigit()]
    assert ranks == ["1", "2", "3", "4", "5"]
    assert "too weak: the chatbot would not suggest it" in out
    code, out = run("search", "password", "--kb", KB, "-n", "1")
    assert sum(line[:1].isdigit() for line in out.splitlines()) == 1


def test_search_with_no_match_says_what_the_bot_would_do() -> None:
    code, out = run("search", 'AND OR NOT "*', "--kb", KB)
    assert code == 0
    assert "No article matches" in out


def test_list_shows_every_article() -> None:
    code, out = run("list", "--kb", KB)
    assert code == 0, out
    assert "trading-with-friends: Trading critters with friends" in out
    assert "12 article(s), version " in out


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
    assert "trading-with-friends" in out.splitlines()[0]
