"""JSON Schema of a case template: its prefix, form, statuses, reply and where it is posted."""

from __future__ import annotations

from engine.config.schema import threads
from engine.config.schema.definitions import (
    IDENTIFIER,
    PREFIX,
    Schema,
    named,
    names_list,
    prop,
    ref,
    section,
    text,
    translated,
)

__all__ = ["case_template"]


def _form_field() -> Schema:
    return section(
        "Form field",
        "One box of the Discord pop-up form: text to type, or files to attach.",
        {
            "label": translated(
                text(
                    "Label",
                    "The question above the box (1 to 45 characters), or one per locale.",
                    low=1,
                    high=45,
                )
            ),
            "type": prop(
                "Type",
                "text (a box to type in, the default) or file (the player attaches files, such as a "
                "screenshot, checked by the attachments: settings).",
                enum=["text", "file"],
            ),
            "style": prop(
                "Style", "short (one line) or paragraph (several lines).", enum=["short", "paragraph"]
            ),
            "required": prop(
                "Required", "Whether the player must fill it in (default true).", type="boolean"
            ),
            "min": prop(
                "Minimum length",
                "Fewest characters allowed (0 to 4000).",
                type="integer",
                minimum=0,
                maximum=4000,
            ),
            "max": prop(
                "Maximum length",
                "Most characters allowed (1 to 4000); in a file field, most files (1 to 10, default 1).",
                type="integer",
                minimum=1,
                maximum=4000,
            ),
            "placeholder": translated(
                text("Placeholder", "Grey example text inside the empty box, or one per locale.", high=100)
            ),
        },
        required=["label"],
    )


def case_template() -> Schema:
    notify = names_list(
        "Notify on",
        "Tell the player when the case reaches one of these statuses.",
        prop("Status", "A status from 'statuses'.", type="string", minLength=1, maxLength=100),
    )
    return section(
        "Case template",
        "How a kind of case (bug report, feature request, support) is opened and tracked.",
        {
            "prefix": prop(
                "Prefix", "Starts every case reference, like BUG in BUG-12.", type="string", pattern=PREFIX
            ),
            "title": text("Title", "The case title; {{ form.summary }} uses a form field.", low=1, high=200),
            "form": named(
                "Form",
                "A Discord pop-up form the player fills in first (at most 5 fields).",
                prop(
                    "Field name",
                    "Lowercase letters, digits and _; templates read it as form.<name>.",
                    type="string",
                    pattern=IDENTIFIER,
                    maxLength=45,
                ),
                _form_field(),
                maxProperties=5,
            ),
            "post_to": ref("channelName", "Post to", "A channel where each new case is posted."),
            "reply": ref("translatedText", "Reply", "What the player is told once the case is opened."),
            "form_title": translated(
                text(
                    "Form title",
                    "The title of the form (1 to 45 characters), or one per locale.",
                    low=1,
                    high=45,
                )
            ),
            "statuses": threads.statuses(),
            "conversation": threads.conversation(),
            "notify_on": notify,
        },
        required=["prefix"],
    )
