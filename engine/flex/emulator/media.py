"""The Media Content Service (MCS): where files sent in a conversation live.

Twilio serves it from its own host (https://mcs.us1.twilio.com/v1) and it is NOT in Twilio's
OpenAPI specs (nor in the helper libraries), so this contract is written from Twilio's
documentation of the Conversations Media resource and media messages:
- POST /v1/Services/{ChatServiceSid}/Media: the body is the file's raw bytes, `Content-Type` its
  type (required); the answer (201) is the Media resource: sid (ME...), service_sid, size,
  content_type, filename, author, links.content and links.content_direct_temporary;
- GET /v1/Services/{ChatServiceSid}/Media/{MediaSid}: the Media resource again;
- GET .../Media/{MediaSid}/Content: the bytes (the temporary direct link points here);
- a message (Conversations API, `MediaSid`) carries one file; its `media` lists it as
  {sid, category: media, filename, content_type, size}, and onMessageAdded's `Media` the same, as JSON;
- Twilio takes files up to 5 MB (the message's attachments together) over HTTP Basic auth.
Unknown service or media: 404 (error 20404), like the rest of Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quart import Blueprint, Response, jsonify, request

from engine.flex.emulator.routes import add_routes, authorized, route
from engine.flex.emulator.state import FlexState, new_sid, now
from engine.flex.emulator.world import TwilioError

if TYPE_CHECKING:
    from engine.flex.emulator.world import Emulator

__all__ = ["MAX_MEDIA_BYTES", "Media", "media_api", "media_entries"]

MAX_MEDIA_BYTES = 5 * 1024 * 1024


@dataclass
class Media:
    sid: str
    service_sid: str
    content_type: str
    filename: str | None
    data: bytes
    author: str = "system"
    date_created: str = field(default_factory=now)

    def entry(self) -> dict[str, object]:
        """How a message lists this file (message.media and the webhook's Media)."""
        return {
            "sid": self.sid,
            "category": "media",
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
        }


class MediaApi:
    """The MCS endpoints of one emulated account (authenticated like the REST API)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def blueprint(self) -> Blueprint:
        api = Blueprint("twilio_mcs", __name__)
        api.before_request(self.gate)
        api.register_error_handler(TwilioError, self.twilio_error)
        add_routes(api, self)
        return api

    async def gate(self) -> Response | None:
        self.emulator.requests.append({"method": request.method, "path": request.path, "at": 0.0})
        if not authorized(request.headers.get("Authorization", ""), self.emulator):
            raise TwilioError(401, 20003, "Authenticate")
        return None

    async def twilio_error(self, error: TwilioError) -> Response:
        answer = jsonify(error.as_json())
        answer.status_code = error.status
        return answer

    def _service(self, service: str) -> None:
        if service != self.emulator.state.chat_service_sid:
            raise TwilioError(404, 20404, f"The requested resource /Services/{service} was not found")

    def _media(self, service: str, sid: str) -> Media:
        self._service(service)
        media: Media | None = self.emulator.state.media.get(sid)
        if media is None or media.service_sid != service:
            raise TwilioError(404, 20404, f"The requested resource /Media/{sid} was not found")
        return media

    def _json(self, media: Media) -> dict[str, object]:
        base = str(request.host_url).rstrip("/")
        url = f"{base}/v1/Services/{media.service_sid}/Media/{media.sid}"
        return {
            "sid": media.sid,
            "account_sid": self.emulator.account_sid,
            "service_sid": media.service_sid,
            "date_created": media.date_created,
            "date_updated": media.date_created,
            "size": len(media.data),
            "content_type": media.content_type,
            "filename": media.filename,
            "author": media.author,
            "category": "media",
            "url": url,
            "links": {"content": f"{url}/Content", "content_direct_temporary": f"{url}/Content"},
        }

    @route("POST", "/v1/Services/<service>/Media")
    async def upload(self, service: str) -> tuple[Response, int]:
        self._service(service)
        kind = (request.content_type or "").split(";")[0].strip()
        if not kind or kind.startswith("multipart/") or kind == "application/x-www-form-urlencoded":
            raise TwilioError(400, 20001, "Content-Type must be the file's own type (the body is the file)")
        data = await request.get_data(cache=False, as_text=False, parse_form_data=False)
        if not data:
            raise TwilioError(400, 20001, "The body is empty: send the file's bytes")
        if len(data) > MAX_MEDIA_BYTES:
            raise TwilioError(413, 20001, "The file is over 5 MB, the largest Twilio takes")
        media = Media(new_sid("ME"), service, kind, request.args.get("Filename"), data)
        self.emulator.state.media[media.sid] = media
        return jsonify(self._json(media)), 201

    @route("GET", "/v1/Services/<service>/Media/<sid>")
    async def fetch(self, service: str, sid: str) -> Response:
        return jsonify(self._json(self._media(service, sid)))

    @route("GET", "/v1/Services/<service>/Media/<sid>/Content")
    async def content(self, service: str, sid: str) -> Response:
        media = self._media(service, sid)
        return Response(media.data, status=200, content_type=media.content_type)


def media_entries(state: FlexState, sids: list[str]) -> list[dict[str, object]] | None:
    """The `media` of a message sent with these MediaSids (one file per message, as Twilio allows)."""
    if not sids:
        return None  # (a message with neither Body nor MediaSid is refused by Twilio; see the REST API)
    if len(sids) > 1:
        raise TwilioError(400, 20001, "A message carries one file: send each file as its own message")
    media = state.media.get(sids[0])
    if media is None:
        raise TwilioError(
            400, 50359, f"Media {sids[0]} was not found: upload it to the Media Content Service first"
        )
    return [media.entry()]


def media_api(emulator: Emulator) -> Blueprint:
    return MediaApi(emulator).blueprint()
