"""Which language a player writes in: only among the languages in use, and None when unsure."""

from __future__ import annotations

import pytest

from engine.language import detect, guesses, is_known, language_of

IN_USE = ["en-US", "es-ES", "pt-BR", "fr", "hi", "tl"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("no puedo entrar a mi cuenta desde ayer", "es"),
        ("não consigo entrar na minha conta desde ontem", "pt"),
        ("je n'arrive plus à me connecter depuis hier", "fr"),
        ("मेरा अकाउंट कल से नहीं खुल रहा", "hi"),
        ("hindi ako maka-login sa account ko simula kahapon", "tl"),
        ("I can't sign in to my account since yesterday", "en"),
    ],
)
def test_each_demo_language_is_recognised(text: str, language: str) -> None:
    assert detect(text, IN_USE) == language


def test_only_the_languages_in_use_are_ever_chosen() -> None:
    italian = "non riesco ad accedere al mio account da ieri sera"
    assert detect(italian, ["it", "en"]) == "it"
    assert detect(italian, ["en-US", "es-ES"]) in {"en", "es", None}
    assert all(g.language in {"en", "fr"} for g in guesses("bonjour, je voudrais de l'aide", ["en-US", "fr"]))


def test_short_or_ambiguous_text_has_no_confident_language() -> None:
    assert detect("ok", IN_USE) is None
    assert detect("gg", IN_USE) is None
    assert guesses("👍👍", IN_USE) == []


def test_one_language_in_use_needs_no_detector() -> None:
    assert detect("anything at all", ["en-US"]) == "en"


def test_locales_name_their_language() -> None:
    assert [language_of(code) for code in ["es-419", "pt-BR", "tl", "en-US", "fr"]] == [
        "es",
        "pt",
        "tl",
        "en",
        "fr",
    ]
    assert is_known("es-419") and is_known("tl") and not is_known("klingon")
