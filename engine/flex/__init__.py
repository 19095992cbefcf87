"""The Twilio Flex adapter: the contact-center port on Flex Conversations, and Twilio's webhooks.

- contact_center: TwilioContactCenter (Conversations API + Interactions API, async twilio SDK)
- webhooks: the signed webhooks (/twilio/conversations, /twilio/taskrouter, /twilio/interactions,
  /twilio/studio/reply), answered ahead of Quart
- emulator: a local Twilio stand-in for tests and the sandbox, checked against Twilio's OpenAPI specs
"""

from engine.flex.contact_center import TwilioContactCenter
from engine.flex.identity import identity_for

__all__ = ["TwilioContactCenter", "identity_for"]
