"""Where Twilio's official OpenAPI specs are: a folder given, $FLEXCORD_TWILIO_SPECS, or a default.

The default suits a checkout of the project: `../shared/specs/twilio` next to the working
folder, then the user's cache folder. Nothing is downloaded unless asked: `fetch_specs` (run by
`python -m engine.flex.emulator --fetch-specs`) takes them from the npm package
@twilio-alpha/mcp@0.7.0 (package/twilio-oai/spec/json/) with `npm pack`, into the cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

NPM_PACKAGE = "@twilio-alpha/mcp@0.7.0"
SPEC_FOLDER_IN_PACKAGE = "package/twilio-oai/spec/json/"
SPEC_FILES = {
    "conversations": "twilio_conversations_v1.json",
    "flex": "twilio_flex_v1.json",
    "taskrouter": "twilio_taskrouter_v1.json",
}
SPECS_ENV = "FLEXCORD_TWILIO_SPECS"
CHECKOUT_DEFAULT = Path("..") / "shared" / "specs" / "twilio"  # relative to the working folder
HOW_TO_GET = (
    f"set {SPECS_ENV} to a folder holding {SPEC_FILES['conversations']} and the others, "
    "or run `python -m engine.flex.emulator --fetch-specs` once with access to npm"
)


class SpecsMissing(RuntimeError):
    """Twilio's OpenAPI specs could not be found or fetched."""


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's cache folder for the specs ($XDG_CACHE_HOME or ~/.cache, then flexcord/...)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flexcord" / "twilio-specs" / NPM_PACKAGE.replace("/", "_").replace("@", "")


def _holds_specs(folder: Path) -> bool:
    return (folder / SPEC_FILES["conversations"]).is_file()


def find_specs(folder: Path | None = None, *, env: Mapping[str, str] | None = None) -> Path:
    """The folder holding twilio_conversations_v1.json and friends; SpecsMissing says how to get them.

    `folder` (an option) wins, then $FLEXCORD_TWILIO_SPECS, then the checkout's shared folder
    and the cache folder. Each given place is checked, and nothing is fetched.
    """
    env = os.environ if env is None else env
    given = folder if folder is not None else (Path(env[SPECS_ENV]) if env.get(SPECS_ENV) else None)
    if given is not None:
        if not _holds_specs(given):
            source = "the specs folder" if folder is not None else SPECS_ENV
            raise SpecsMissing(f"{source}={given} holds no {SPEC_FILES['conversations']}")
        return given
    for candidate in (Path.cwd() / CHECKOUT_DEFAULT, cache_dir(env)):
        if _holds_specs(candidate):
            return candidate.resolve()
    raise SpecsMissing(f"Twilio's OpenAPI specs were not found; {HOW_TO_GET}")


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
