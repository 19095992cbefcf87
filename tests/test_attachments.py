"""The rules for files: the type is read from the bytes, sizes and counts are bounded, and the
community manager's `attachments:` settings compile and are checked like the rest of the config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.attachments import AttachmentRules, Upload, check_files, sniff
from engine.config import build
from engine.store import Store
from tests.fixtures.config.demo import copy_demo, edit
from tests.support.files import EXE, JPEG, png
from tests.test_store import NOW, new_case, store

__all__ = ["store"]  # the fixture: SQLite, and PostgreSQL when one is running


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


# --- kept with the case, in the database every replica reads -------------------------------------


async def test_files_are_kept_with_their_case_and_erased_with_the_player(store: Store) -> None:
    ref = await new_case(store)  # reported by Ash (1)
    image = png(8, 8)
    async with store.transaction() as tx:
        await tx.add_attachment(
            case_ref=None, user_id="111", who="Ash", file=Upload("a.png", image, "image/png"), at=NOW
        )
        assert await tx.attach_to_case("111", ref) == 1
        await tx.add_attachment(
            case_ref=ref, user_id="2", who="Misty (agent)", file=Upload("b.jpg", JPEG, "image/jpeg"), at=NOW
        )
    files = await store.case_attachments(ref)
    assert [(f.name, f.content_type, f.size, f.who) for f in files] == [
        ("a.png", "image/png", len(image), "Ash"),
        ("b.jpg", "image/jpeg", len(JPEG), "Misty (agent)"),
    ]
    async with store.view() as view:
        kept = await view.get_attachment(files[0].id)
    assert kept is not None and kept[1] == image

    async with store.transaction() as tx:
        await tx.forget_player("111", lanes=["dm:111"])
    assert await store.case_attachments(ref) == []


async def test_files_follow_the_transcripts_retention(store: Store) -> None:
    ref = await new_case(store)
    async with store.transaction() as tx:
        await tx.add_attachment(
            case_ref=ref, user_id="111", who="Ash", file=Upload("a.png", png(), "image/png"), at=NOW
        )
        await tx.forget_transcripts(NOW + timedelta(seconds=1))
    assert await store.case_attachments(ref) == []
