"""Real files for the attachment tests: a tiny PNG and JPEG, and a Windows program's first bytes."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 2, height: int = 2, colour: bytes = b"\xff\x00\x00") -> bytes:
    """A valid PNG image of one colour."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + colour * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# A baseline JPEG's markers (SOI, APP0/JFIF, ... EOI): enough for its type to be read from the bytes.
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xdb\x00\x43\x00"
    + bytes(range(64))
    + b"\xff\xd9"
)

EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run"
)
