"""The messages flexcord says on its own, with the text it uses when the config does not set one.

The config owns the list: `flexcord validate` warns about each one left unset (naming the default),
and the runtime says the default when a message is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_MESSAGES"]

DEFAULT_MESSAGES: Mapping[str, str] = {
    "fallback": "Sorry, something went wrong on my side. Please try again.",
    "language_set": "Got it: I'll talk to you in English from now on.",
    "handoff_started": "I opened case {{ case.ref }} for you and I'm connecting you to a live agent.",
    "handoff_failed": "I couldn't reach our support team just now. Your case {{ case.ref }} is saved.",
    "agent_joined": "{{ agent.name }} joined the chat.",
    "agent_left": "{{ agent.name }} left the chat.",
    "transferring": "I'm transferring you to our {{ transfer.queue }} team. "
    "Case {{ case.ref }} goes with you.",
    "transfer_failed": "The transfer to {{ transfer.queue }} didn't go through, so you're back in line "
    "for case {{ case.ref }}.",
    "handoff_gave_up": "Case {{ case.ref }} could not reach Flex after several tries ({{ reason }}). "
    "The player was told; check the Flex setup.",
    "closed": "Your chat about {{ case.ref }} is closed. Thanks for reaching out!",
    "rating_prompt": "How did we do? Reply with a number from 1 (bad) to 5 (great).",
    "rating_thanks": "Thanks for rating us {{ rating }}/5!",
    "already_rated": "You already rated this chat {{ rating }}/5. Thanks, that rating stays!",
    "left_queue": "Okay, you left the queue. Case {{ case.ref }} stays open.",
    "queue_timeout": "Sorry, everyone is still busy. You're still in line for case {{ case.ref }}.",
    "no_answer": "I couldn't find an article about that. Want to talk to a person?",
    "solved": "Glad that helped!",
    "case_updated": "Your case {{ case.ref }} is now **{{ case.status }}**.",
    "rate_limited": "You're sending messages too fast. Please wait {{ wait }} and try again.",
    "dm_blocked": "The player can't receive direct messages from the bot, so they missed your last message.",
    "case_reopened": "Case {{ case.ref }} is open again. Tell us what's up!",
    "moved_to_thread": "I couldn't send you a direct message (your DMs are closed to server members), "
    "so we'll talk here, in this private thread, instead.",
    "too_long": "That message is too long for me: please keep it to {{ limit }} characters at most, "
    "or send it in parts.",
    "file_too_big": "I couldn't take {{ file.name }}: it is bigger than {{ limit }}. "
    "Please send a smaller file.",
    "file_type_refused": "I couldn't take {{ file.name }}: that kind of file isn't allowed here. "
    "I take {{ allowed }}.",
    "too_many_files": "I couldn't take {{ file.name }}: at most {{ limit }} files per message, please.",
    "my_cases": "Your open cases:",
    "no_open_cases": "You have no open cases.",
    "case_moved": "{{ case.ref }} is now {{ case.status }}.",
    "case_moved_noted": "{{ case.ref }} is now {{ case.status }}. Note added.",
    "note_added": "Note added to {{ case.ref }}.",
    "case_already": "{{ case.ref }} is already {{ case.status }}.",
    "case_not_found": "I can't find case {{ text }}. Give a reference like BUG-12.",
    "not_a_status": "'{{ text }}' is not a status of {{ case.template }} cases. Use one of: {{ allowed }}.",
    "case_summary": "**{{ case.ref }}** · {{ case.title }}\n"
    "Status: {{ case.status }} · reported by {{ reporter }} in {{ place }} on {{ date }}",
    "case_post_footer": "Reported by {{ reporter }} in {{ place }} · status {{ case.status }}",
    "place_dm": "a DM",
    "place_thread": "a case thread",
}
"""What flexcord says when the config has no message of that name."""
