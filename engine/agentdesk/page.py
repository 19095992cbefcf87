"""The case page as HTML: fields and attachments, history, the transcript so far, the player's other cases.

Pure: it gets a CaseView and returns text; every value is escaped. Its forms post back to the
same signed link, so the agent never needs another login.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from engine.agentdesk.links import CASE_PATH
from engine.attachments import describe_size
from engine.runtime.desk import CaseView

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})  # shown as pictures

STYLE = (
    "body{font:14px system-ui,sans-serif;margin:12px;color:#1d1d1f}h1{font-size:18px;margin:0 0 4px}"
    "h2{font-size:14px;margin:16px 0 6px;border-bottom:1px solid #ddd}table{border-collapse:collapse}"
    "td,th{padding:2px 8px 2px 0;text-align:left;vertical-align:top}.line{margin:2px 0}"
    ".who{font-weight:600}.note{color:#555}.problem{color:#b00020}.done{color:#0a7d32}"
    ".file img{display:block;max-width:100%;max-height:240px;margin:4px 0}"
    "form{margin:6px 0}select,input,textarea,button{font:inherit}"
)


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in pairs)


def _is_link(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _files(view: CaseView, query: str) -> str:
    """The files kept with the case: name, type, size, who and when; pictures shown inline."""
    items = []
    for file in view.files:
        url = escape(f"{CASE_PATH}{quote(view.case.ref)}/files/{file.id}" + (f"?{query}" if query else ""))
        about = f"{file.content_type}, {describe_size(file.size)}, from {file.who}, {file.at:%Y-%m-%d %H:%M}"
        picture = f'<img src="{url}" alt="{escape(file.name)}">' if file.content_type in INLINE_TYPES else ""
        items.append(
            f'<li class="file"><a href="{url}" target="_blank" rel="noopener">{escape(file.name)}</a>'
            f" ({escape(about)}){picture}</li>"
        )
    return f"<h2>Files</h2><ul>{''.join(items)}</ul>" if items else ""


def _records(view: CaseView) -> str:
    """Attachments, history, transcript and the player's other cases."""
    links = [value for value in view.case.fields.values() if _is_link(value)]
    attachments = "".join(
        f'<li><a href="{escape(u)}" target="_blank" rel="noopener">{escape(u)}</a></li>' for u in links
    )
    history = "".join(
        f'<div class="line">{e.at:%Y-%m-%d %H:%M} <span class="who">{escape(e.who)}</span>: '
        f"{escape(e.from_status or '-')} → {escape(e.to_status)}"
        + (f' <span class="note">({escape(e.note)})</span>' if e.note else "")
        + "</div>"
        for e in view.history
    )
    transcript = "".join(
        f'<div class="line"><span class="who">{escape(m.author)}</span>: {escape(m.text)}</div>'
        for m in view.transcript
    )
    others = (
        "".join(f"<li>{escape(c.ref)} · {escape(c.title)} · {escape(c.status)}</li>" for c in view.others)
        or "<li>none</li>"
    )
    return (
        (f"<h2>Attachments</h2><ul>{attachments}</ul>" if attachments else "")
        + f"<h2>History</h2>{history}<h2>Transcript so far</h2>{transcript}"
        f"<h2>Other cases of {escape(view.case.reporter_name)}</h2><ul>{others}</ul>"
    )


def _forms(view: CaseView, action: str) -> str:
    """Change the status / add a note, and transfer the chat; both post to the signed `action`."""
    statuses = "".join(
        f'<option value="{escape(s)}"{" selected" if s == view.case.status else ""}>{escape(s)}</option>'
        for s in view.statuses
    )
    queues = "".join(f'<option value="{escape(q)}">{escape(q)}</option>' for q in view.queues)
    target = escape(action)
    return (
        f'<h2>Change</h2><form method="post" action="{target}">'
        '<input type="hidden" name="do" value="update">'
        f'<label>Status <select name="status">{statuses}</select></label> '
        '<label>Note <input name="note" size="30"></label> <button type="submit">Save</button></form>'
        f'<form method="post" action="{target}"><input type="hidden" name="do" value="transfer">'
        f'<label>Transfer to <select name="queue">{queues}</select></label> '
        '<label>to agent (optional) <input name="to_agent" size="14"></label> '
        '<label>Reason <input name="reason" size="24"></label> '
        '<button type="submit">Transfer</button></form>'
    )


def render_case(view: CaseView, action: str, message: str = "", problem: bool = False) -> str:
    """The whole page; `action` is the signed URL its forms post to (its query signs the files' links too)."""
    case = view.case
    fields = [(name, value) for name, value in case.fields.items() if not _is_link(value)]
    notice = (
        f'<p class="{"problem" if problem else "done"}" role="status">{escape(message)}</p>'
        if message
        else ""
    )
    chat = view.conversation
    state = f"chat: {chat.state}" + (f" · queue {chat.queue}" if chat.queue else "") if chat else "no chat"
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(case.ref)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(case.ref)} · {escape(case.title)}</h1>"
        f'<div>Status <b id="status">{escape(case.status)}</b> · {escape(case.reporter_name)}'
        f" · {escape(state)}</div>"
        f"{notice}<h2>Fields</h2><table>{_rows(fields)}</table>"
        f"{_forms(view, action)}{_files(view, action.partition('?')[2])}{_records(view)}</body></html>"
    )
