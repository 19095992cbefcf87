"""X-Twilio-Signature checking agrees with the twilio SDK's RequestValidator, port quirks included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from engine.flex.signature import is_valid, port_variant, signature_of

TOKEN = "12345"
URL = "https://care.example.com/twilio/conversations"

text = st.text(st.characters(codec="utf-8"), max_size=20)


@given(st.lists(st.tuples(text, text), max_size=8))
def test_same_signature_as_the_sdk(fields: list[tuple[str, str]]) -> None:
    expected = RequestValidator(TOKEN).compute_signature(URL, MultiDict(fields))
    assert signature_of(TOKEN, URL, fields) == expected
    assert is_valid(TOKEN, URL, fields, expected)
    assert not is_valid("other-token", URL, fields, expected)
    assert not is_valid(TOKEN, URL + "?x=1", fields, expected)


def test_default_port_may_or_may_not_be_part_of_what_twilio_signed() -> None:
    fields = [("EventType", "onMessageAdded"), ("Body", "hi")]
    with_port = RequestValidator(TOKEN).compute_signature(
        "https://care.example.com:443/twilio/conversations", dict(fields)
    )
    assert is_valid(TOKEN, URL, fields, with_port)
    assert port_variant(URL) == "https://care.example.com:443/twilio/conversations"
    assert port_variant("http://h:80/x?q=1") == "http://h/x?q=1"
    assert not is_valid(TOKEN, URL, fields, "")
    assert not is_valid("", URL, fields, with_port)
    assert not is_valid(TOKEN, URL, fields, "ünicode")
