"""Turning OutMessages into Discord messages: clean 2000-char parts, embeds, persistent buttons, nonces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.discord.render import (
    EMBEDS_PER_MESSAGE,
    FlexcordButton,
    message_parts,
    part_nonce,
    split_text,
)
from engine.events import Button, Embed, OutMessage

words = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=30), min_size=1, max_size=400)
separators = st.sampled_from([" ", "\n", "\n\n"])


def test_short_text_is_one_part() -> None:
    assert split_text("Hello there") == ["Hello there"]


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    paragraph = "word " * 300  # 1500 chars
    text = f"{paragraph.strip()}\n\n{paragraph.strip()}"
    assert split_text(text) == [paragraph.strip(), paragraph.strip()]
    lines = "\n".join(["line of text"] * 200)
    parts = split_text(lines)
    assert all(part.endswith("line of text") and part.startswith("line") for part in parts)


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


@given(st.lists(st.tuples(words, separators), min_size=1, max_size=20))
def test_split_keeps_every_word_whole_and_in_order(chunks: list[tuple[list[str], str]]) -> None:
    text = "".join(" ".join(chunk) + sep for chunk, sep in chunks)
    parts = split_text(text)
    assert all(0 < len(part) <= 2000 for part in parts)
    assert " ".join(parts).split() == text.split()  # no word was cut in two


def test_agent_messages_carry_the_agent_name() -> None:
    [part] = message_parts(OutMessage(text="Hi!", author="Ash (agent)"))
    assert part.content == "**Ash (agent):** Hi!"


def test_embeds_go_ten_per_message_after_the_text() -> None:
    embeds = tuple(Embed(title=f"Article {i}") for i in range(12))
    parts = message_parts(OutMessage(text="Here's what I found:", embeds=embeds))
    assert [len(p.embeds) for p in parts] == [EMBEDS_PER_MESSAGE, 2]
    assert parts[0].content == "Here's what I found:" and parts[1].content == ""


def test_buttons_go_on_the_last_part_as_a_persistent_view() -> None:
    message = OutMessage(
        text="y " * 1500,
        buttons=(
            Button("agent", "Talk to an agent", "primary"),
            Button("docs", "Docs", url="https://x.test"),
        ),
    )
    parts = message_parts(message)
    assert [p.view is None for p in parts] == [True, False]
    view = parts[-1].view
    assert view is not None and view.timeout is None and view.is_persistent()
    agent, docs = view.children
    assert isinstance(agent, FlexcordButton) and agent.custom_id == "flexcord:agent"
    assert getattr(docs, "url", None) == "https://x.test"


def test_each_part_gets_a_short_stable_nonce_from_the_key() -> None:
    parts = message_parts(OutMessage(text="z " * 1500, key="event:42:dm"))
    assert [p.nonce for p in parts] == [part_nonce("event:42:dm", 0), part_nonce("event:42:dm", 1)]
    assert all(p.nonce and len(p.nonce) <= 25 for p in parts)
    assert message_parts(OutMessage(text="no key"))[0].nonce is None


def test_an_empty_message_has_no_parts() -> None:
    assert message_parts(OutMessage()) == []
