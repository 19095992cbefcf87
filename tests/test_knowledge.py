"""The knowledge base: reading articles, indexing them, and finding the right one for a player's words."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.chatbot.suggest import suggestions
from engine.knowledge import Article, ArticleError, KnowledgeBase, plain_text

ROOT = Path(__file__).resolve().parent.parent
KB_FOLDER = ROOT / "kb"
QUERIES = yaml.safe_load((Path(__file__).parent / "kb_queries.yaml").read_text(encoding="utf-8"))
SHARED_KB = KnowledgeBase.build(KB_FOLDER)  # read-only; hypothesis cannot take a function fixture


@pytest.fixture
def demo_kb() -> KnowledgeBase:
    return SHARED_KB


def article(slug: str, title: str, body: str, tags: tuple[str, ...] = ()) -> Article:
    return Article(slug=slug, title=title, url=None, tags=tags, body=body)


# --- the demo articles and the labelled questions ------------------------------------------


def test_players_questions_find_their_article_in_the_top_three(demo_kb: KnowledgeBase) -> None:
    misses = []
    for pair in QUERIES:
        hits = demo_kb.search(pair["query"], limit=3)
        found = [h.article.slug for h in hits]
        if pair["expect"] not in found:
            misses.append(f"{pair['query']!r}: expected {pair['expect']}, got {found}")
    print("\n".join(["misses:", *misses]) if misses else "no misses")
    hit_rate = 1 - len(misses) / len(QUERIES)
    assert hit_rate >= 0.9, "\n".join(misses)


def test_labelled_questions_are_many_varied_and_point_at_real_articles(demo_kb: KnowledgeBase) -> None:
    assert len(QUERIES) >= 30
    slugs = {a.slug for a in demo_kb.articles}
    titles = {a.title.casefold() for a in demo_kb.articles}
    for pair in QUERIES:
        assert set(pair) == {"query", "expect"}
        assert pair["expect"] in slugs
        assert pair["query"].casefold() not in titles
    assert {pair["expect"] for pair in QUERIES} == slugs  # every article is asked about


def test_demo_articles_have_support_urls_and_no_trademarks(demo_kb: KnowledgeBase) -> None:
    assert len(demo_kb) >= 10
    for a in demo_kb.articles:
        folder = f"{a.locale}/" if a.locale else ""
        assert a.url == f"https://support.example.com/{folder}articles/{a.slug}"
        assert a.tags and a.body
        text = f"{a.title} {a.body}".casefold()
        assert not re.search(r"pok[eé]mon|nintendo|niantic", text), a.slug


# --- searching ------------------------------------------------------------------------------


def test_typos_and_word_forms_still_find_the_article(demo_kb: KnowledgeBase) -> None:
    for query, slug in [
        ("pasword", "account-password-reset"),
        ("refnd", "purchases-and-refunds"),
        ("crashing", "app-crashes-on-start"),
        ("suspnded", "ban-appeals"),
    ]:
        assert demo_kb.search(query)[0].article.slug == slug, query


def test_a_word_in_the_title_ranks_above_the_same_word_in_a_body() -> None:
    kb = KnowledgeBase.from_articles(
        [
            article("body", "Seasonal news", "Our raid schedule changes when the seasons change."),
            article("title", "Raid schedule", "When and where bosses appear during the seasons."),
        ]
    )
    assert [h.article.slug for h in kb.search("raid schedule")] == ["title", "body"]


def test_hits_are_best_first_with_a_highlighted_plain_text_snippet(demo_kb: KnowledgeBase) -> None:
    hits = demo_kb.search("reset my password", limit=5)
    assert hits[0].article.slug == "account-password-reset"
    assert [h.confidence for h in hits] == sorted((h.confidence for h in hits), reverse=True)
    assert "**password**" in hits[0].snippet.casefold()
    assert "##" not in hits[0].snippet


def test_limit_bounds_the_number_of_hits(demo_kb: KnowledgeBase) -> None:
    assert len(demo_kb.search("account password login trade raid", limit=2)) == 2
    assert demo_kb.search("password", limit=0) == []


def test_small_talk_and_stop_words_find_nothing(demo_kb: KnowledgeBase) -> None:
    for query in ["", "   ", "hello", "how do I do it?", "asdfghjkl", "banana smoothie recipe", "🔥🔥🔥"]:
        assert demo_kb.search(query) == [], query


def test_everyday_words_shared_with_an_article_get_not_sure(demo_kb: KnowledgeBase) -> None:
    """A message whose words in common with an article are all everyday ones is not about it."""
    chat = [
        "how many people play this game",
        "what year did the game come out",
        "sino gusto maging kaibigan",
        "can someone explain the rules of chess",
        "i just got a new job today!!",
        "alguien quiere ser mi amigo",
        "quelqu'un veut être mon ami",
        "आज कौन सी फ़िल्म देखें",
    ]
    for message in chat:
        assert suggestions(demo_kb, message, limit=3, min_confidence=0.5).shown == (), message
    asked = {
        "is the game ok for a 7 year old": "parental-controls",
        "how many people can join a raid": "events-and-raids",
        "my new phone gets hot when i play": "battery-and-gps",
    }
    for message, slug in asked.items():
        shown = suggestions(demo_kb, message, limit=3, min_confidence=0.5).shown
        assert shown and shown[0].article.slug == slug, message


@pytest.mark.parametrize(
    "query",
    [
        'AND OR NOT "*',
        ":",
        "NEAR(",
        '"',
        "title:password",
        "{title tags}: x",
        "^reset",
        "pass*",
        "(((",
        "-x",
        "a" * 5000,
        "\x00",
        "' OR 1=1 --",
        "NEAR(reset password, 2)",
        "ñandú über café",
    ],
)
def test_search_syntax_in_player_text_never_raises(demo_kb: KnowledgeBase, query: str) -> None:
    hits = demo_kb.search(query)
    assert all(isinstance(h.score, float) for h in hits)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_safe_query(query: str) -> None:
    kb = SHARED_KB
    hits = kb.search(query)
    assert len(hits) <= 3
    assert all(hit.article in kb.articles for hit in hits)


async def test_a_kb_built_in_a_thread_is_searched_on_the_event_loop() -> None:
    kb = await asyncio.to_thread(KnowledgeBase.build, KB_FOLDER)
    assert kb.search("trade with friends")[0].article.slug == "trading-with-friends"


def test_a_new_generation_leaves_the_live_one_untouched() -> None:
    live = KnowledgeBase.from_articles([article("old", "Raid passes", "Raid passes reset daily.")])
    fresh = KnowledgeBase.from_articles([article("new", "Trading", "Trade with friends nearby.")])
    assert [h.article.slug for h in live.search("raid")] == ["old"]
    assert live.search("trade") == []
    assert [h.article.slug for h in fresh.search("trade")] == ["new"]


def test_version_follows_the_content() -> None:
    one = [article("a", "Title", "Body")]
    assert KnowledgeBase.from_articles(one).version == KnowledgeBase.from_articles(one).version
    changed = KnowledgeBase.from_articles([article("a", "Title", "Body, edited")])
    assert changed.version != KnowledgeBase.from_articles(one).version


def test_two_articles_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="'a'"):
        KnowledgeBase.from_articles([article("a", "One", "x"), article("a", "Two", "y")])


def test_markdown_markup_is_left_out_of_the_index() -> None:
    markdown = "## Steps\n\n1. Tap **Forgot password?**\n- See [our page](https://x.example) and `Settings`"
    assert plain_text(markdown) == "Steps Tap Forgot password? See our page and Settings"


# --- reading the folder -----------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_folder_is_an_empty_knowledge_base(tmp_path: Path) -> None:
    kb = KnowledgeBase.build(tmp_path / "nowhere")
    assert kb.articles == ()
    assert kb.search("password") == []


def test_articles_are_read_from_front_matter_and_body(tmp_path: Path) -> None:
    write(
        tmp_path,
        "raids.md",
        "---\ntitle: Raids\nurl: https://x.example/raids\ntags: [raid, boss]\n---\nBody.\n",
    )
    write(tmp_path, "plain.md", "---\ntitle: Plain\ntags: one, two\n---\n")
    write(tmp_path, "README.md", "Notes for editors, not an article.")
    kb = KnowledgeBase.build(tmp_path)
    assert kb.articles == (
        Article("plain", "Plain", None, ("one", "two"), ""),
        Article("raids", "Raids", "https://x.example/raids", ("raid", "boss"), "Body."),
    )
    assert kb.article("raids") is kb.articles[1]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Just text, no front matter.\n", 1, "must start with front matter"),
        ("---\ntitle: Never closed\n", 1, "never closed"),
        ("---\ntitle: Ok\ntags: [a, b\n---\nbody\n", 3, "not valid YAML"),
        ("---\ntitel: Typo\n---\nbody\n", 2, "unknown front matter key 'titel'"),
        ("---\nurl: https://x.example\n---\nbody\n", 2, "needs a title"),
        ("---\ntitle: T\nurl: support page\n---\n", 3, "not a web address"),
        ("---\ntitle: T\ntags: {a: b}\n---\n", 3, "tags must be a list"),
        ("---\n- just\n- a list\n---\n", 2, "'key: value' lines"),
    ],
)
def test_a_bad_article_names_its_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nFine.\n")
    path = write(tmp_path, "broken.md", text)
    with pytest.raises(ArticleError) as caught:
        KnowledgeBase.build(tmp_path)
    assert caught.value.file == str(path)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_an_article_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    (tmp_path / "latin.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    with pytest.raises(ArticleError, match=r"latin\.md:1: the file is not UTF-8"):
        KnowledgeBase.build(tmp_path)


def test_a_file_where_the_folder_should_be_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "kb", "not a folder")
    with pytest.raises(ArticleError, match="must be a folder"):
        KnowledgeBase.build(path)


def test_the_question_set_matches_its_schema_and_names_real_articles(repo_root: Path) -> None:
    import json

    import jsonschema
    import yaml

    schema = json.loads((repo_root / "schemas" / "kb-queries.schema.json").read_text(encoding="utf-8"))
    pairs = yaml.safe_load((repo_root / "tests" / "kb_queries.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(pairs)
    slugs = {path.stem for path in (repo_root / "kb").glob("*.md")}
    assert {pair["expect"] for pair in pairs} <= slugs


# --- sample questions in the front matter ---------------------------------------------------------


def test_sample_questions_are_read_and_searched(tmp_path: Path) -> None:
    write(
        tmp_path,
        "heat.md",
        "---\ntitle: Device temperature\nquestions:\n  - my phone is cooking itself\n  - toasty phone\n---\n"
        "Take a break in the shade.\n",
    )
    write(tmp_path, "trade.md", "---\ntitle: Trading\n---\nTrade with friends nearby.\n")
    kb = KnowledgeBase.build(tmp_path)
    assert kb.article("heat") is not None
    assert kb.article("heat").questions == ("my phone is cooking itself", "toasty phone")  # type: ignore[union-attr]
    assert [h.article.slug for h in kb.search("why is it cooking")] == ["heat"]


@pytest.mark.parametrize(
    ("front", "line", "words"),
    [
        ("questions: how do I trade\n", 3, "questions must be a list"),
        ("questions:\n  - fine\n  - [not, a, sentence]\n", 5, "is not a sentence"),
        ("questions:\n  - ''\n", 4, "is not a sentence"),
        ("questions:\n  - " + "x" * 301 + "\n", 4, "longer than 300 characters"),
    ],
)
def test_bad_sample_questions_name_their_line(tmp_path: Path, front: str, line: int, words: str) -> None:
    path = write(tmp_path, "trade.md", f"---\ntitle: Trading\n{front}---\nBody.\n")
    with pytest.raises(ArticleError) as caught:
        KnowledgeBase.build(tmp_path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


# --- languages --------------------------------------------------------------------------------------


def test_translations_are_read_from_locale_folders_with_the_same_slug(demo_kb: KnowledgeBase) -> None:
    assert demo_kb.languages == ("en", "es", "fr", "hi", "pt", "tl")
    english = {a.slug for a in demo_kb.articles if a.locale is None}
    for locale in ("es-ES", "pt-BR", "fr", "hi", "tl"):
        assert {a.slug for a in demo_kb.articles if a.locale == locale} == english, locale
    spanish = demo_kb.article("trading-with-friends", "es-ES")
    assert spanish is not None and spanish.title == "Intercambiar critters con amigos"


@pytest.mark.parametrize(
    ("query", "locale", "slug"),
    [
        ("olvidé mi contraseña", "es-ES", "account-password-reset"),
        ("não consigo entrar na minha conta", "pt-BR", "login-problems"),
        ("j'ai oublié mon mot de passe", "fr", "account-password-reset"),
        ("मेरा अकाउंट बैन हो गया", "hi", "ban-appeals"),
        ("paano makipag trade sa kaibigan ko", "tl", "trading-with-friends"),
        ("I forgot my password", None, "account-password-reset"),
    ],
)
def test_a_message_is_answered_in_its_own_language(
    demo_kb: KnowledgeBase, query: str, locale: str | None, slug: str
) -> None:
    best = demo_kb.search(query)[0]
    assert (best.article.locale, best.article.slug) == (locale, slug)


def test_each_language_stems_its_own_words(demo_kb: KnowledgeBase) -> None:
    """French 'passe' (from 'mot de passe') is not English 'pass' (a Raid Pass)."""
    best = demo_kb.search("mot de passe perdu")[0]
    assert (best.article.locale, best.article.slug) == ("fr", "account-password-reset")
    assert all(hit.article.locale == "fr" for hit in demo_kb.search("mot de passe perdu"))
    assert best.confidence >= 0.5


def test_a_language_without_its_own_article_falls_back_to_the_default(tmp_path: Path) -> None:
    write(tmp_path, "trading.md", "---\ntitle: Trading critters\n---\nTrade critters with friends nearby.\n")
    (tmp_path / "es-ES").mkdir()
    kb = KnowledgeBase.build(tmp_path)
    assert kb.search("how do I trade critters with friends", language="es-ES")[0].article.slug == "trading"


def test_a_translation_must_translate_an_article(tmp_path: Path) -> None:
    write(tmp_path, "trading.md", "---\ntitle: Trading\n---\nBody.\n")
    (tmp_path / "fr").mkdir()
    path = write(tmp_path / "fr", "echanges.md", "---\ntitle: Échanges\n---\nCorps.\n")
    with pytest.raises(ArticleError, match=r"no article 'echanges\.md' for it to translate") as caught:
        KnowledgeBase.build(tmp_path)
    assert caught.value.file == str(path)
    assert "fr/trading.md" in str(caught.value)


def test_a_locale_folder_must_name_a_known_language(tmp_path: Path) -> None:
    write(tmp_path, "trading.md", "---\ntitle: Trading\n---\nBody.\n")
    (tmp_path / "klingon").mkdir()
    with pytest.raises(ArticleError, match="'klingon' is not a locale flexcord knows"):
        KnowledgeBase.build(tmp_path)


# --- confidence, long messages, spelling ------------------------------------------------------------


def test_a_question_at_the_end_of_a_long_message_is_found_as_surely_as_alone(demo_kb: KnowledgeBase) -> None:
    alone = demo_kb.search("how do I trade with my friend")[0]
    story = (
        "So last weekend my cousin came over and we went to the park, it was sunny and we walked for "
        "ages, got some ice cream, saw a lot of dogs, and talked about school and movies and whatever. "
        "Anyway before she goes home tomorrow: how do I trade with my friend?"
    )
    buried = demo_kb.search(story)[0]
    assert alone.article.slug == buried.article.slug == "trading-with-friends"
    assert abs(alone.confidence - buried.confidence) < 0.1


def test_confidence_separates_an_answer_from_a_coincidence(demo_kb: KnowledgeBase) -> None:
    answer = demo_kb.search("my phone gets really hot and the battery dies fast")[0]
    coincidence = demo_kb.search("anyone know a good phone case")[0]
    assert answer.article.slug == "battery-and-gps"
    assert answer.confidence >= 0.8
    assert coincidence.confidence < 0.3
    for hit in demo_kb.search("whatever " * 300 + "battery"):
        assert 0.0 <= hit.confidence <= 1.0


def test_spelling_is_corrected_only_to_near_words_of_the_same_language(demo_kb: KnowledgeBase) -> None:
    assert "cheating" not in {
        m.casefold() for h in demo_kb.search("chatting with friends") for m in h.matched
    }
    assert demo_kb.search("insta") == []
    assert demo_kb.search("pasword")[0].article.slug == "account-password-reset"
    assert demo_kb.search("contrasena olvidada")[0].article.locale == "es-ES"


def two_topics() -> KnowledgeBase:
    return KnowledgeBase.from_articles(
        [
            Article("feature", "Request a feature", None, (), "Send us your ideas.", ("I have an idea",)),
            Article("password", "Reset your password", None, (), "Choose a new password in Settings."),
        ]
    )


def test_an_idiom_is_not_read_as_a_topic() -> None:
    [first, *_] = two_topics().search("Problem is I have no idea what my password was", limit=2)
    assert first.article.slug == "password"


def test_chat_spellings_and_near_synonyms_find_the_article_in_their_words() -> None:
    [first, *_] = two_topics().search("need a new pw", limit=2)
    assert first.article.slug == "password" and first.matched == ("new", "pw")
    [first, *_] = two_topics().search("got a suggestion for you", limit=2)
    assert first.article.slug == "feature"


def test_a_question_that_leans_on_the_sentence_before_it_is_read_with_it(demo_kb: KnowledgeBase) -> None:
    story = (
        "Hey all, I took a long break from the game and came back this week because my cousin started "
        "playing too. Sadly my password is long forgotten. How do I set a new one?"
    )
    assert demo_kb.search(story, limit=1)[0].article.slug == "account-password-reset"


def symptoms_kb() -> KnowledgeBase:
    return KnowledgeBase.from_articles(
        [
            Article("battery", "Battery and overheating", None, ("battery", "drain"), "It overheats."),
            Article("crash", "The app crashes on start", None, ("crash",), "Restart your phone."),
            Article("events", "Events", None, ("event",), "The next event starts on Monday."),
            Article("trade", "Trading", None, ("trade",), "Open your friend's profile."),
        ]
    )


@pytest.mark.parametrize(
    ("message", "slug"),
    [
        ("my phone is basically cooking", "battery"),
        ("it turns into a hand warmer", "battery"),
        ("it goes back to my home screen", "crash"),
        ("it won’t load", "crash"),  # a phone's curly apostrophe
    ],
)
def test_a_symptom_in_a_players_words_finds_the_article_in_its_words(message: str, slug: str) -> None:
    assert [h.article.slug for h in symptoms_kb().search(message, limit=1)] == [slug]


@pytest.mark.parametrize(
    ("message", "slug"),
    [
        ("phone is sooo hott", "battery"),  # letters held down
        ("when is the nxt evnt", "events"),  # vowels left out
        ("how do i trde", "trade"),  # a short word with a letter left out
        ("it keeps drainin", "battery"),  # a dropped final g
    ],
)
def test_chat_spellings_are_read_as_the_words_they_stand_for(message: str, slug: str) -> None:
    assert [h.article.slug for h in symptoms_kb().search(message, limit=1)] == [slug]


def test_a_chat_reaction_alone_is_not_a_question(demo_kb: KnowledgeBase) -> None:
    for reaction in ["nice", "cool!", "awesome thx", "gg"]:
        assert demo_kb.search(reaction) == [], reaction


def test_english_with_typos_taken_for_another_language_still_gets_the_sure_english_article(
    demo_kb: KnowledgeBase,
) -> None:
    assert demo_kb.languages_for("battry drainnig too fast")[0] == "tl"  # the detector's guess
    [first, *_] = demo_kb.search("battry drainnig too fast")
    assert (first.article.slug, first.language) == ("battery-and-gps", "en")
    assert first.confidence >= 0.5
