"""Files in Flex conversations: the Media Content Service (MCS) client.

Twilio's helper library has no MCS client (Twilio says so in its Media resource documentation),
so this is a thin one over aiohttp, with the same HTTP Basic auth as every Twilio call:
upload = POST {base}/v1/Services/{ChatServiceSid}/Media with the file's bytes as the body and its
type as Content-Type; download = GET the Media resource, then its `links.content_direct_temporary`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from twilio.base.exceptions import TwilioRestException

from engine.attachments import Upload
from engine.bounded import BoundedMap
from engine.config.model import FlexSettings

__all__ = ["MCS_URL", "FlexFiles", "MediaContentService", "MediaFile"]

MCS_URL = "https://mcs.us1.twilio.com"


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file held by the MCS: its sid, name, type and bytes."""

    sid: str
    filename: str
    content_type: str
    data: bytes


class MediaContentService:
    """Upload and download files of one account's Flex Chat Service."""

    def __init__(self, account_sid: str, auth_token: str, base_url: str | None = None, timeout: float = 30.0):
        self.base_url = (base_url or MCS_URL).rstrip("/")
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        return self._session

    async def upload(self, service_sid: str, filename: str, content_type: str, data: bytes) -> str:
        """Store a file; returns its media sid (ME...)."""
        url = f"{self.base_url}/v1/Services/{service_sid}/Media?Filename={quote(filename)}"
        async with self._open().post(url, data=data, headers={"Content-Type": content_type}) as answer:
            body = await answer.text()
            _check(answer, url, body)
        return str(json.loads(body)["sid"])

    async def download(self, service_sid: str, media_sid: str) -> MediaFile:
        """A file an agent sent: its resource, then its bytes through the temporary direct link."""
        url = f"{self.base_url}/v1/Services/{service_sid}/Media/{media_sid}"
        session = self._open()
        async with session.get(url) as answer:
            body = await answer.text()
            _check(answer, url, body)
        resource = json.loads(body)
        content = resource.get("links", {}).get("content_direct_temporary") or f"{url}/Content"
        async with session.get(content) as answer:
            data = await answer.read()
            _check(answer, content, "")
        kind = str(resource.get("content_type") or "application/octet-stream")
        return MediaFile(media_sid, str(resource.get("filename") or media_sid), kind, data)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class FlexFiles:
    """Files in one account's conversations: each conversation's Chat Service (remembered), then the MCS."""

    def __init__(
        self, flex: FlexSettings, base_url: str | None, conversations: Any, remembered: int = 10_000
    ):
        self.mcs = MediaContentService(flex.account_sid or "", flex.auth_token or "", base_url)
        self._conversations = conversations  # the twilio client's conversations.v1.conversations
        self._services: BoundedMap[str, str] = BoundedMap(10_000)  # conversation sid -> chat service sid

    async def _service_of(self, conversation_sid: str) -> str:
        service = self._services.get(conversation_sid)
        if service is None:
            service = str((await self._conversations(conversation_sid).fetch_async()).chat_service_sid)
            self._services.put(conversation_sid, service)
        return service

    async def upload(self, conversation_sid: str, file: Upload) -> str:
        """Store the file with the conversation's Chat Service; its media sid."""
        service = await self._service_of(conversation_sid)
        return await self.mcs.upload(service, file.name, file.content_type, file.data)

    async def download(self, conversation_sid: str, media_sid: str) -> Upload:
        found = await self.mcs.download(await self._service_of(conversation_sid), media_sid)
        return Upload(found.filename, found.data, found.content_type)

    async def close(self) -> None:
        await self.mcs.close()


def _check(answer: aiohttp.ClientResponse, url: str, body: str) -> None:
    if answer.status >= 400:
        try:
            message = str(json.loads(body).get("message", ""))
        except ValueError:
            message = ""
        message = message or f"HTTP {answer.status}"
        raise TwilioRestException(answer.status, url, message, method=answer.method)
