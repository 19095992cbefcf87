"""docs/CONFIG.md is the config reference written from the schema, and stays in sync with it."""

from __future__ import annotations

from click.testing import CliRunner

from engine.cli import main
from engine.config.compile.actions import ACTION_NAMES
from engine.config.schema.documents import main_schema
from tests.conftest import ROOT


def test_docs_config_md_is_what_flexcord_schema_reference_prints() -> None:
    result = CliRunner().invoke(main, ["schema", "--reference"])
    assert result.exit_code == 0, result.output
    on_disk = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    assert result.output == on_disk, (
        "docs/CONFIG.md is stale: run 'flexcord schema --reference > docs/CONFIG.md'"
    )


def test_reference_documents_every_section_and_action() -> None:
    text = CliRunner().invoke(main, ["schema", "--reference"]).output
    for key in main_schema()["properties"]:
        assert f"### `{key}`" in text
    for action in ACTION_NAMES:
        assert f"| `{action}` |" in text
    assert "How often one player may use it, like 2/10m." in text
