"""Where Twilio's official OpenAPI specs are: $FLEXCORD_TWILIO_SPECS, the shared folder, or an npm cache.

The specs ship in the npm package @twilio-alpha/mcp@0.7.0 (package/twilio-oai/spec/json/). When
neither the environment variable nor ../shared/specs/twilio next to the repository gives them,
`npm pack` fetches that package once into a cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

NPM_PACKAGE = "@twilio-alpha/mcp@0.7.0"
SPEC_FOLDER_IN_PACKAGE = "package/twilio-oai/spec/json/"
SPEC_FILES = {
    "conversations": "twilio_conversations_v1.json",
    "flex": "twilio_flex_v1.json",
    "taskrouter": "twilio_taskrouter_v1.json",
}
REPO_ROOT = Path(__file__).resolve().parents[3]


class SpecsMissing(RuntimeError):
    """Twilio's OpenAPI specs could not be found or fetched."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flexcord" / "twilio-specs" / NPM_PACKAGE.replace("/", "_").replace("@", "")


def find_specs(*, fetch: bool = True) -> Path:
    """The folder holding twilio_conversations_v1.json and friends, fetching it with npm if needed."""
    override = os.environ.get("FLEXCORD_TWILIO_SPECS")
    if override:
        folder = Path(override)
        if not (folder / SPEC_FILES["conversations"]).is_file():
            raise SpecsMissing(f"FLEXCORD_TWILIO_SPECS={override} holds no {SPEC_FILES['conversations']}")
        return folder
    for folder in (REPO_ROOT.parent / "shared" / "specs" / "twilio", cache_dir()):
        if (folder / SPEC_FILES["conversations"]).is_file():
            return folder
    if not fetch:
        raise SpecsMissing("Twilio's OpenAPI specs are not cached; run once with network access to npm")
    return fetch_specs(cache_dir())


def fetch_specs(target: Path) -> Path:
    """Download the npm package with `npm pack` and keep only its spec JSON files in `target`."""
    npm = shutil.which("npm")
    if npm is None:
        raise SpecsMissing(f"npm is not installed, so {NPM_PACKAGE} cannot be fetched for the specs")
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", scratch, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(scratch).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise SpecsMissing(f"npm pack {NPM_PACKAGE} failed: {done.stderr.strip()[:500]}")
        staging = Path(scratch) / "specs"
        staging.mkdir()
        with tarfile.open(tarballs[0]) as archive:
            for member in archive.getmembers():
                name = member.name
                if name.startswith(SPEC_FOLDER_IN_PACKAGE) and name.endswith(".json") and member.isfile():
                    source = archive.extractfile(member)
                    if source is not None:
                        (staging / Path(name).name).write_bytes(source.read())
        if not (staging / SPEC_FILES["conversations"]).is_file():
            raise SpecsMissing(f"{NPM_PACKAGE} has no {SPEC_FOLDER_IN_PACKAGE}{SPEC_FILES['conversations']}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(staging), str(target))
    return target
