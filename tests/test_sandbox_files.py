"""Files through the sandbox's JSON API: a /bug form with a screenshot, and the file served back."""

from __future__ import annotations

import base64

from tests.support.files import EXE, png
from tests.test_sandbox_api import Api, api, sandbox

__all__ = ["api", "sandbox"]  # the fixtures


async def test_a_bug_form_with_a_screenshot_keeps_it_with_the_case_and_serves_it_as_a_picture(
    api: Api,
) -> None:
    answer = await api.post(
        "commands", {"user": "ash", "channel": "bug-report", "name": "bug", "options": {}}
    )
    form = answer["form"]
    [field] = [f for f in form["fields"] if f["name"] == "screenshot"]
    assert (field["type"], field["required"], field["max_files"]) == ("file", False, 1)

    image = png(7, 5)
    shot = {"name": "map.png", "data": base64.b64encode(image).decode()}
    values = {"summary": "Map freezes", "steps": "Open the map", "screenshot": [shot]}
    confirmed = await api.post("forms", {"user": "ash", "form": form["id"], "values": values})
    assert "BUG-1" in confirmed["reply"]["text"]

    case = await api.get("cases/BUG-1")
    assert case["fields"]["screenshot"] == "map.png"
    [kept] = case["files"]
    assert (kept["name"], kept["content_type"], kept["size"], kept["who"]) == (
        "map.png",
        "image/png",
        len(image),
        "ash",
    )
    async with api.session.get(kept["url"]) as served:
        assert served.status == 200 and served.content_type == "image/png"
        assert await served.read() == image


async def test_a_program_attached_in_a_dm_is_refused_and_only_ever_downloaded(api: Api) -> None:
    program = {"name": "cute.png", "data": base64.b64encode(EXE).decode()}
    sent = await api.post("messages", {"user": "ash", "channel": "dm", "text": "", "files": [program]})
    [file] = sent["files"]
    async with api.session.get(file["url"]) as served:  # what Discord holds, but never run as a page
        assert served.content_type == "application/octet-stream"
        assert served.headers["Content-Disposition"].startswith("attachment;")
    refusal = await api.dm_saying("ash", "cute.png")
    assert "PNG, JPEG" in refusal["text"]
