"""A local, stateful stand-in for Twilio Conversations + Flex Interactions, for tests and the sandbox.

`create_emulator(...)` returns a Quart app serving the REST endpoints flexcord calls (same
paths, form bodies, Basic auth, JSON and status codes as Twilio), an agent API under
/emulator/ to play the Flex agent, and signed webhooks back to flexcord. With spec_check on,
every request is validated against Twilio's official OpenAPI specs (openapi-core, from the sandbox
extra; the specs' folder from `specs=`, $FLEXCORD_TWILIO_SPECS or engine.flex.emulator.specs'
default); see GET /emulator/violations. Run it alone with `python -m engine.flex.emulator --port 8099`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from quart import Quart

from engine.flex.emulator.agent import agent_api
from engine.flex.emulator.delivery import SHUTDOWN_GRACE, WebhookSender
from engine.flex.emulator.media import MAX_MEDIA_BYTES, media_api
from engine.flex.emulator.rest import rest_api
from engine.flex.emulator.world import Emulator, Fault, TwilioError

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "Emulator",
    "Fault",
    "TwilioError",
    "create_emulator",
    "emulator_of",
]

EXTENSION = "flex_emulator"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32  # what the emulator run on its own accepts, unless told otherwise
DEFAULT_AUTH_TOKEN = "emulator-token"


def create_emulator(
    account_sid: str,
    auth_token: str,
    *,
    webhook_signing_url_override: str | None = None,
    webhook_delivery_url_override: str | None = None,
    spec_check: bool = True,
    receipts: Path | None = None,
    specs: Path | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Quart:
    """The emulator as a Quart app; `emulator_of(app)` gives its state for in-process inspection."""
    app = Quart("flex_emulator")
    app.config["MAX_CONTENT_LENGTH"] = MAX_MEDIA_BYTES + 1024 * 1024  # a file for the Media Content Service
    sender = WebhookSender(
        auth_token,
        signing_base=webhook_signing_url_override,
        delivery_base=webhook_delivery_url_override,
    )
    emulator = Emulator(account_sid, auth_token, sender, receipts, clock)
    contract = None
    if spec_check:  # openapi-core (the sandbox extra) is needed only for the check
        from engine.flex.emulator.contract import ContractCheck

        contract = ContractCheck(specs)
    app.extensions[EXTENSION] = emulator
    app.register_blueprint(rest_api(emulator, contract))
    app.register_blueprint(agent_api(emulator))
    app.register_blueprint(media_api(emulator))

    @app.after_serving
    async def stop() -> None:
        await emulator.settle(SHUTDOWN_GRACE)  # webhooks in flight may finish; retries are dropped
        await sender.aclose()

    return app


def emulator_of(app: Quart) -> Emulator:
    """The Emulator behind an app made by create_emulator."""
    emulator: Emulator = app.extensions[EXTENSION]
    return emulator
