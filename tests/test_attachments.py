"""The rules for files: the type is read from the bytes, sizes and counts are bounded, and the
community manager's `attachments:` settings compile and are checked like the rest of the config."""

from __future__ import annotations

from pathlib import Path

from engine.attachments import AttachmentRules, check_files, sniff
from engine.config import build
from tests.fixtures.config.demo import copy_demo, edit
from tests.support.files import EXE, JPEG, png


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    assert sniff(png(), "cat.exe") == "image/png"
    assert sniff(JPEG, "photo.png") == "image/jpeg"
    assert sniff(EXE, "screenshot.png") != "image/png"
    assert sniff("héllo, agent\n".encode(), "notes.bin") == "text/plain"


def test_an_executable_renamed_png_an_oversize_file_and_one_too_many_are_refused_in_order() -> None:
    rules = AttachmentRules(types=("image/png",), max_bytes=1000, max_per_message=2)
    kept, refused = check_files(
        rules,
        [
            ("a.png", png()),
            ("virus.png", EXE),
            ("big.png", png() + b"\x00" * 2000),
            ("b.png", png()),
            ("c.png", png()),
        ],
    )
    assert [(u.name, u.content_type) for u in kept] == [("a.png", "image/png"), ("b.png", "image/png")]
    assert [(r.name, r.reason) for r in refused] == [
        ("virus.png", "file_type_refused"),
        ("big.png", "file_too_big"),
        ("c.png", "too_many_files"),
    ]
    assert rules.allowed == "PNG"


def test_attachments_settings_compile(tmp_path: Path) -> None:
    main = copy_demo(tmp_path)
    edit(
        main,
        "storage:",
        "attachments: {types: [image/png], max_size: 2MB, max_per_message: 3}\nstorage:",
    )
    result = build(main, env={}, offline=True)
    assert result.config is not None, [str(d) for d in result.errors]
    assert result.config.attachments == AttachmentRules(("image/png",), 2 * 1024 * 1024, 3)


def test_a_size_over_flex_limit_is_refused_where_it_is_written(tmp_path: Path) -> None:
    main = copy_demo(tmp_path)
    edit(main, "storage:", "attachments: {max_size: 50MB}\nstorage:")
    result = build(main, env={}, offline=True)
    assert result.config is None
    assert any("5MB" in str(d) and "flexcord.yaml:" in str(d) for d in result.errors), [
        str(d) for d in result.errors
    ]
