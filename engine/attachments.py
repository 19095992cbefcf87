"""Files players and agents send: the rules a community manager sets (`attachments:`) and the
check every file goes through before it is kept or forwarded.

Pure: the caller hands in the bytes it downloaded; this module decides. A file's type is read
from its bytes (its first bytes' signature, via puremagic), never from its name alone, so an
executable renamed `.png` is refused as what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_TYPES",
    "FLEX_MAX_BYTES",
    "AttachmentRules",
    "Refusal",
    "Upload",
    "check_files",
    "describe_size",
    "sniff",
]

# Twilio Conversations accepts media up to 5 MB per file, one file per message.
FLEX_MAX_BYTES = 5 * 1024 * 1024

DEFAULT_TYPES: tuple[str, ...] = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)


@dataclass(frozen=True, slots=True)
class AttachmentRules:
    """What files the bot takes: MIME types (read from the bytes), size and count limits."""

    types: tuple[str, ...] = DEFAULT_TYPES
    max_bytes: int = FLEX_MAX_BYTES
    max_per_message: int = 5

    @property
    def allowed(self) -> str:
        """The allowed types in words a player reads: "PNG, JPEG, GIF"."""
        return ", ".join(_short(t) for t in self.types)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received: its name, the bytes, and the type read from the bytes."""

    name: str
    data: bytes
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a file was refused: `reason` names the message (messages.yaml) that tells the player."""

    name: str
    reason: str  # "file_too_big", "file_type_refused", "too_many_files"


def sniff(data: bytes, name: str = "") -> str:
    """The MIME type the bytes say they are, or application/octet-stream when unknown.

    Plain text has no signature: bytes that decode as UTF-8 without control characters count as
    text/plain.
    """
    if data:
        import puremagic  # here: loading its signatures takes 20 to 40 ms, which validate does not need

        try:
            found = puremagic.from_string(data, mime=True)
        except (puremagic.PureError, ValueError):
            found = ""
        if found:
            return str(found)
        if _is_text(data):
            return "text/plain"
    return "application/octet-stream"


def check_files(rules: AttachmentRules, files: list[tuple[str, bytes]]) -> tuple[list[Upload], list[Refusal]]:
    """Split received files into those kept and those refused (each with its reason), in order."""
    kept: list[Upload] = []
    refused: list[Refusal] = []
    for name, data in files:
        if len(kept) >= rules.max_per_message:
            refused.append(Refusal(name, "too_many_files"))
        elif len(data) > min(rules.max_bytes, FLEX_MAX_BYTES):
            refused.append(Refusal(name, "file_too_big"))
        else:
            kind = sniff(data, name)
            if kind not in rules.types:
                refused.append(Refusal(name, "file_type_refused"))
            else:
                kept.append(Upload(name, data, kind))
    return kept, refused


def describe_size(size: int) -> str:
    """A size in words a player reads: 5 MB, 500 KB, 12 bytes."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes" if size < 1024 else f"{size / (1024 * 1024):.1f} MB"


def _is_text(data: bytes) -> bool:
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or len(data) <= len(head):
            return False
        text = head[: exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _short(mime: str) -> str:
    sub = mime.split("/", 1)[-1]
    return {"plain": "text", "jpeg": "JPEG"}.get(sub, sub.upper())
