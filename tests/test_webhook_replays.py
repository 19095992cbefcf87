"""Replayed and re-signed Twilio webhooks reach the player once, through the bot as `flexcord run` builds it.

Twilio signs the URL followed by each field's name and value, run together, so a captured call
can be replayed as is, with a different (unsigned) idempotency header, or with a field's value
swallowing the next field's name and value: the signature stays valid. Each must be applied once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests import test_assembly
from tests.flex_fixtures import AUTH_TOKEN, PUBLIC_URL, wait_for
from tests.test_assembly import Running

SIGNER = RequestValidator(AUTH_TOKEN)
running = test_assembly.running  # the fixture: the bot as `flexcord run` assembles it


async def _post(run: Running, path: str, params: dict[str, str], signature: str, **headers: str) -> int:
    async with run.http.post(
        run.url + path,
        data=urlencode(params),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        },
    ) as answer:
        return answer.status


async def _handed_off(run: Running) -> str:
    """A player asks for a person and an agent takes the task; returns the conversation's sid."""
    await run.discord.player.send_dm("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(run.emulator.state.tasks.values()))
    await run.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await wait_for(lambda: "Misty joined the chat." in run.discord.dm_texts())
    return str(task.conversation_sid)


async def _settled(run: Running, conversation: str, marker: str) -> list[str]:
    """Every event recorded before now has reached the player once `marker`, sent last, has."""
    params = {"ConversationSid": conversation, "Body": marker}
    path = "/twilio/studio/reply"
    assert await _post(run, path, params, SIGNER.compute_signature(PUBLIC_URL + path, params)) == 200
    await wait_for(lambda: marker in run.discord.dm_texts())
    return run.discord.dm_texts()


async def test_a_studio_reply_without_an_id_sent_three_times_reaches_the_player_once(
    running: Running,
) -> None:
    conversation = await _handed_off(running)
    reply = {"ConversationSid": conversation, "Body": "Try restarting the game."}
    path = "/twilio/studio/reply"
    signature = SIGNER.compute_signature(PUBLIC_URL + path, reply)
    for attempt in range(3):  # no Id; the unsigned idempotency header differs each time, or is absent
        headers = {"I-Twilio-Idempotency-Token": f"replay-{attempt}"} if attempt else {}
        assert await _post(running, path, reply, signature, **headers) == 200
    texts = await _settled(running, conversation, "marker: all replies are in")
    assert texts.count("Try restarting the game.") == 1


async def test_a_re_signed_message_with_the_source_swallowed_by_its_sid_is_applied_once(
    running: Running,
) -> None:
    conversation = await _handed_off(running)
    path = "/twilio/conversations"
    sid = "IM" + "7c" * 16
    captured = {
        "EventType": "onMessageAdded",
        "ConversationSid": conversation,
        "MessageSid": sid,
        "Author": "misty_agent",
        "Body": "Which device are you on?",
        "Source": "SDK",
    }
    signature = SIGNER.compute_signature(PUBLIC_URL + path, captured)
    assert await _post(running, path, captured, signature) == 200
    forged = {name: value for name, value in captured.items() if name != "Source"}
    forged["MessageSid"] = sid + "Source" + "SDK"  # same names and values run together: same signature
    assert SIGNER.compute_signature(PUBLIC_URL + path, forged) == signature
    assert await _post(running, path, forged, signature) == 400
    texts = await _settled(running, conversation, "marker: the forgery is in")
    assert sum("Which device are you on?" in text for text in texts) == 1
