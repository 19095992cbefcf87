"""Cases: opening one from a template, changing its status with a history entry, rating it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from engine.config.model import DM, THREAD, CaseTemplate, UpdateCase, in_conversation
from engine.events import Embed, FormRequest, OutMessage
from engine.runtime import places
from engine.runtime.generation import Generation
from engine.runtime.languages import remembered
from engine.runtime.turn import Turn, case_variables, user_variables
from engine.store import CaseRecord, NewCase

CLOSED = "closed"


def form_request(template: CaseTemplate, generation: Generation, locale: str | None) -> FormRequest:
    """The form (a Discord modal) a player fills in to open a case from `template`, in their language."""
    key = f"cases.{template.name}"
    title = template.form_title or f"New {template.name.replace('_', ' ')} ({template.prefix})"
    fields = tuple(
        replace(
            spec,
            label=generation.translated(f"{key}.form.{spec.name}.label", spec.label, locale),
            placeholder=spec.placeholder
            and generation.translated(f"{key}.form.{spec.name}.placeholder", spec.placeholder, locale),
        )
        for spec in template.form
    )
    title = generation.translated(f"{key}.form_title", title, locale)
    return FormRequest(template=template.name, title=title[:45], fields=fields)


FIELD_LIMIT = 4000  # Discord's longest text input; a field without `max` is held to it


def form_values(template: CaseTemplate | None, given: Mapping[str, object]) -> dict[str, str]:
    """A submitted form's answers as the case keeps them: only the template's fields, each within its `max`.

    Discord enforces the form's limits, but a case is only as safe as what the runtime accepts.
    """
    if template is None:
        return {}
    values: dict[str, str] = {}
    for spec in template.form:
        if spec.name in given:
            values[spec.name] = str(given[spec.name])[: spec.max_length or FIELD_LIMIT]
    return values


def case_embed(turn: Turn, case: CaseRecord, template: CaseTemplate, locale: str | None) -> Embed:
    """How a case is shown in its channel: reference, title, the form's answers, who and where (the
    footer in `locale`: its reporter's language, like the words of the report itself)."""
    labels = {field.name: field.label for field in template.form}
    fields = tuple((labels.get(name, name), value) for name, value in case.fields.items() if value)
    footer = turn.render(turn.generation.message("case_post_footer", locale), _reported(turn, case, locale))
    return Embed(title=f"{case.ref}: {case.title}"[:256], fields=fields, footer=footer)


def _reported(turn: Turn, case: CaseRecord, locale: str | None) -> dict[str, object]:
    """`case.*` (status in the reader's `locale`), `reporter`, `place` and `date` of a case."""
    if case.where in (DM, THREAD):
        place = turn.render(
            turn.generation.message("place_dm" if case.where == DM else "place_thread", locale)
        )
    else:
        place = f"#{case.where}"
    return {
        **_shown(turn, case, locale),
        "reporter": case.reporter_name,
        "place": place,
        "date": f"{case.created_at:%Y-%m-%d}",
    }


async def follow_post(turn: Turn, case: CaseRecord) -> None:
    """The case's post in its channel shows its current status: edited when the status changes."""
    template = turn.template_of(case)
    if template is not None and template.post_to:
        locale = await reporter_locale(turn, case)
        message = OutMessage(embeds=(case_embed(turn, case, template, locale),))
        turn.edit_post(
            template.post_to, message, tags=post_tags(template, case.status), closed=case.status == CLOSED
        )


def post_tags(template: CaseTemplate, status: str) -> tuple[str, ...]:
    """The forum tags a case's post wears in `status` (from `statuses: {triaged: {tag: Triaged}}`)."""
    tag = template.status_tags.get(status)
    return (tag,) if tag else ()


def _is_open(case: CaseRecord | None, template: str) -> bool:
    return case is not None and case.template == template and case.status != CLOSED


async def open_case(turn: Turn, name: str, fields: Mapping[str, str] | None = None) -> CaseRecord | None:
    """Open a case from template `name` for the turn's player, post it and confirm it.

    In a DM the conversation follows the case; if it already follows an open case of the same
    template, that case is reused ("Case SUP-3 stays open; type agent to come back").
    """
    template = turn.config.cases.get(name)
    if template is None:
        turn.say("fallback")
        return None
    in_dm = in_conversation(turn.where)
    if in_dm and _is_open(turn.case, name):
        assert turn.case is not None
        turn.opened = turn.case
        return turn.case
    values = dict(fields or {})
    user = turn.conversation
    fallback_title = f"{template.name.replace('_', ' ').capitalize()} from {user.user_name}"
    title = turn.render(template.title, {"form": values}, fallback=fallback_title).strip() or fallback_title
    case = await turn.tx.create_case(
        NewCase(
            template=name,
            prefix=template.prefix,
            title=title[:200],
            status=template.statuses[0] if template.statuses else "open",
            reporter_id=user.user_id,
            reporter_name=user.user_name,
            where=turn.where,
            fields=values,
            conversation_id=user.id,
            at=turn.now,
        )
    )
    turn.opened = case
    await turn.tx.attach_to_case(user.user_id, case.ref)  # files the player sent before it opened
    await turn.attach_case(case)
    if in_dm:
        turn.update(case_ref=case.ref)
        await places.follow_case(turn, case, template.conversation)
    if template.post_to:
        message = OutMessage(embeds=(case_embed(turn, case, template, turn.locale),))
        turn.post(template.post_to, message, render=False, tags=post_tags(template, case.status))
    if template.reply:
        reply = turn.generation.translated(f"cases.{template.name}.reply", template.reply, turn.locale)
        turn.say(text=reply, extra={"form": values})
    return case


async def update_case(turn: Turn, action: UpdateCase, who: str) -> None:
    """Show a case, or change its status and/or add a note; the reporter hears of `notify_on` statuses."""
    ref = turn.render(action.ref, fallback="").strip().upper()
    status = turn.render(action.status, fallback="").strip() if action.status else ""
    note = turn.render(action.note, fallback="").strip() if action.note else ""
    case = await turn.tx.get_case(ref) if ref else None
    if case is None:
        turn.say("case_not_found", extra={"text": ref or "?"})
        return
    template = turn.template_of(case)
    statuses = template.statuses if template is not None else (case.status,)
    if status and status not in statuses:
        turn.say("not_a_status", extra={**_shown(turn, case), "text": status, "allowed": ", ".join(statuses)})
        return
    if not status and not note:
        turn.case = case
        turn.say("case_summary", extra=_reported(turn, case, turn.locale))
        return
    if status == case.status and not note:
        turn.case = case
        turn.say("case_already", extra=_shown(turn, case))
        return
    if await change(turn, case, status, note, who):
        moved = replace(case, status=status)
        turn.say("case_moved_noted" if note else "case_moved", extra=_shown(turn, moved))
    else:
        turn.say("note_added", extra=_shown(turn, case))


def _shown(turn: Turn, case: CaseRecord, locale: str | None = None) -> dict[str, object]:
    """`case.*` with its status named in `locale` (default: the language of the turn's reader)."""
    locale = locale or turn.locale
    return {"case": case_variables(case, turn.generation.status(case.template, case.status, locale))}


async def change(turn: Turn, case: CaseRecord, status: str, note: str, who: str) -> bool:
    """Record a status change and/or note; the reporter hears of `notify_on` statuses. True if it moved."""
    template = turn.template_of(case)
    await turn.tx.change_case(case.ref, status or case.status, who=who, note=note or None, at=turn.now)
    updated = await turn.tx.get_case(case.ref)
    assert updated is not None
    await turn.attach_case(updated)
    if not status or status == case.status:
        return False
    await follow_post(turn, updated)
    if template is not None and status in template.notify_on:
        await _notify_reporter(turn, updated)
    return True


async def reporter_locale(turn: Turn, case: CaseRecord) -> str:
    """The language the bot knows a case's reporter by (else the server's)."""
    known = await remembered(turn.tx, case.reporter_id)
    return known[1] if known is not None else turn.config.locales.default


async def _notify_reporter(turn: Turn, case: CaseRecord) -> None:
    """Tell the case's reporter its new status, in their own language (the one the bot knows them by)."""
    locale = await reporter_locale(turn, case)
    shown = case_variables(case, turn.generation.status(case.template, case.status, locale))
    turn.dm(
        case.reporter_id,
        turn.generation.message("case_updated", locale),
        {"user": user_variables(case.reporter_id, case.reporter_name), "case": shown},
        conversation_id=case.conversation_id,
    )


async def rate(turn: Turn, rating: int) -> None:
    """Store the player's 1-5 rating on their conversation's case and thank them.

    A chat is rated once: a second rating is answered politely and the first one stays.
    """
    turn.update(awaiting_rating=False)
    if turn.case is not None and turn.case.rating is not None:
        turn.say("already_rated", extra={"rating": turn.case.rating})
        return
    if turn.case is not None:
        await turn.tx.rate_case(turn.case.ref, rating, turn.now)
    turn.say("rating_thanks", extra={"rating": rating})
