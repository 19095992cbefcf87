"""GET/POST /agent/cases/<ref>: the case page for Flex's CRM panel, opened from the task's `case_url`.

The signed query (`expires`, `sig`) is the only permission: a wrong or expired signature gets
403. The agent's name comes from the form (`agent`) or the CRM panel's query, else "agent".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from quart import Blueprint, Response, request

from engine.agentdesk.links import is_valid_link
from engine.agentdesk.page import INLINE_TYPES, render_case
from engine.attachments import sniff
from engine.runtime.desk import AgentDesk

HTML = "text/html; charset=utf-8"
FILE_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; sandbox"}
PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the signed link never leaks to an attachment's host
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'self' https://flex.twilio.com https://*.twilio.com",  # Flex UI frames it
}


def file_response(name: str, data: bytes) -> Response:
    """A file as the browser gets it: a picture (its type read from its bytes) shown inline,
    anything else only downloaded, never run or rendered as a page."""
    kind = sniff(data, name)
    inline = kind in INLINE_TYPES
    answer = Response(data, content_type=kind if inline else "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    answer.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    answer.headers.update({**FILE_HEADERS, "X-Content-Type-Options": "nosniff"})
    return answer


NOT_KEPT = "this file is not kept with the case (any more)"


def agent_pages(
    desk: AgentDesk, secret: Callable[[], str], clock: Callable[[], float] = time.time
) -> Blueprint:
    """The blueprint; `secret` gives the current signing secret (the Twilio auth token, after reloads)."""
    pages = Blueprint("agent_pages", __name__, url_prefix="/agent")

    def allowed(ref: str) -> bool:
        args = request.args
        return is_valid_link(secret(), ref, args.get("expires", ""), args.get("sig", ""), clock())

    def forbidden() -> Response:
        return Response("this case link is not valid or has expired", status=403, content_type="text/plain")

    async def page(ref: str, message: str = "", problem: bool = False, status: int = 200) -> Response:
        view = await desk.view(ref)
        if view is None:
            return Response(f"there is no case {ref}", status=404, content_type="text/plain")
        action = request.full_path if request.query_string else request.path
        answer = Response(render_case(view, action, message, problem), status=status, content_type=HTML)
        answer.headers.update(PAGE_HEADERS)
        return answer

    @pages.get("/cases/<ref>")
    async def show(ref: str) -> Response:
        if not allowed(ref):
            return forbidden()
        return await page(ref)

    @pages.get("/cases/<ref>/files/<int:file_id>")
    async def file(ref: str, file_id: int) -> Response:
        """A file kept with the case, under the same signed link; pictures inline, the rest downloaded."""
        if not allowed(ref):
            return forbidden()
        found = await desk.file(ref, file_id)
        if found is None:
            return Response(NOT_KEPT, status=404, content_type="text/plain")
        return file_response(found[0].name, found[1])

    @pages.post("/cases/<ref>")
    async def change(ref: str) -> Response:
        if not allowed(ref):
            return forbidden()
        form = await request.form
        who = (form.get("agent") or request.args.get("agent") or "agent").strip()[:80]
        if form.get("do") == "transfer":
            queue = form.get("queue", "").strip()
            reason, to_agent = form.get("reason", "").strip()[:200], form.get("to_agent", "").strip()[:80]
            problem = await desk.transfer(ref, queue, reason, who, to_agent or None)
            done = f"Transferring the chat to {queue}."
        else:
            problem = await desk.update(
                ref, form.get("status", "").strip(), form.get("note", "").strip()[:1000], who
            )
            done = "Saved."
        if problem is not None:
            return await page(ref, problem, True, 400)
        return await page(ref, done)

    return pages
