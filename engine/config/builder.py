"""Build the config in another process, so the serving process never holds the build's peak.

Reading, checking and compiling 10,000 rules makes a marked YAML document many times the size of
the Config it yields; in the serving process, Python's allocator would keep that peak for good
(about 11 KB per rule) and the build's Python code would compete with the event loop for the
interpreter lock for seconds. Here a helper process (`python -m engine.config.builder`, one per
serving process, started on first use and ended when its parent closes its stdin) has the config
modules imported; for each build it forks a child that builds, sends the result in small frames
(engine.config.shipping) and exits, giving all its memory back. The serving process unpacks the
frames on its event loop a slice at a time (`build_isolated_sliced`), or at once (`build_isolated`).

A broken config comes back as its diagnostics (file:line:col), as from `build`. A child that dies
(killed, out of memory) is a `BuildCrashed`; the helper stays up for the next build.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import importlib
import io
import os
import pickle
import struct
import subprocess
import sys
import threading
from array import array
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, cast

from engine.config import BuildResult, build
from engine.config.shipping import pack, unpack
from engine.config.yaml.nodes import MarkedDict
from engine.steps import finish, sliced

__all__ = ["BuildCrashed", "build_isolated", "build_isolated_sliced", "helper_pid"]

SHIPPED_KEYS = ("include", "knowledge_base")
"""Of the merged YAML document, the top-level entries sent back (`BuildResult.doc`): what a reload
needs to tell an unchanged config from its files' bytes (engine.reload.sources)."""

_LENGTH = struct.Struct("<Q")


class BuildCrashed(RuntimeError):
    """The build stopped before it could give an answer (the message says how)."""


def _write_frames(out: IO[bytes], frames: Sequence[bytes | memoryview]) -> None:
    """The number of frames, their lengths, then the frames one after the other."""
    out.write(_LENGTH.pack(len(frames)))
    out.write(array("Q", map(len, frames)).tobytes())
    for frame in frames:
        out.write(frame)
    out.flush()


READ_CHUNK = 256 * 1024
"""Bytes of a build's answer read per call. One `read` of the whole answer (megabytes, from a pipe
that gives 64 KB at a time) is one C call that takes the interpreter lock back after every piece
before a waiting thread can, so the event loop waited for all of it: 10 to 40 ms at 10,000 rules.
Between chunks the reading thread hands the lock over when the loop asks for it."""


def _read_exactly(source: IO[bytes], size: int) -> bytearray:
    data = bytearray(size)
    view, got = memoryview(data), 0
    reader = cast(io.BufferedIOBase, source)  # a pipe's or a file's buffered reader
    while got < size:
        read = reader.readinto(view[got : got + READ_CHUNK])
        if not read:
            raise BuildCrashed("the config builder stopped")
        got += read
    return data


def _read_frames(source: IO[bytes]) -> list[memoryview]:
    """The frames `_write_frames` wrote, as views of one block of memory: read in one piece, it is
    given back to the system in one piece once the last view goes (no holes among the config's)."""
    (count,) = _LENGTH.unpack(_read_exactly(source, _LENGTH.size))
    lengths = array("Q")
    lengths.frombytes(_read_exactly(source, count * lengths.itemsize))
    block = memoryview(_read_exactly(source, sum(lengths)))
    frames, start = [], 0
    for length in lengths:
        frames.append(block[start : start + length])
        start += length
    return frames


# --- the helper process ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    """One build: of `path` as the serving process names it, from its working directory `cwd`."""

    path: str
    env: dict[str, str]
    offline: bool
    cwd: str


def _build_frames(request: _Request) -> list[bytes]:
    """In the forked child: the build as frames, its document cut to SHIPPED_KEYS."""
    os.chdir(request.cwd)
    result = build(request.path, env=request.env, offline=request.offline)
    # No collection from here: the child exits once the frames are sent, and pickling makes
    # enough objects for the collector to walk the whole new config again and again (at 100,000
    # rules that took 8.7 s of a 10 s pack).
    gc.disable()
    doc = MarkedDict({key: result.doc[key] for key in SHIPPED_KEYS if result.doc and key in result.doc})
    return pack(replace(result, doc=doc))


def _answer(request: _Request, out: IO[bytes]) -> None:
    """Fork a child for one build; pass its frames on, or a failure if it gave none."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: build, send, exit without running the helper's clean-up
        os.close(read_end)
        code = 0
        with os.fdopen(write_end, "wb") as pipe:
            try:
                _write_frames(pipe, [b"ok", *_build_frames(request)])
            except BaseException as exc:  # anything the build raised goes back as text
                _write_frames(pipe, [b"error", str(exc).encode() or type(exc).__name__.encode()])
                code = 1
        os._exit(code)
    os.close(write_end)
    frames: Sequence[bytes | memoryview] = []
    with os.fdopen(read_end, "rb") as pipe, suppress(BuildCrashed):  # no frames: it stopped
        frames = _read_frames(pipe)
    _, status = os.waitpid(pid, 0)
    if not frames:
        how = os.waitstatus_to_exitcode(status)
        stopped = f"killed by signal {-how}" if how < 0 else f"exit status {how}"
        frames = [b"error", f"the config build stopped before it finished ({stopped})".encode()]
    _write_frames(out, frames)


WARM_MODULES = (
    "engine.config.loader",
    "engine.config.checks",
    "engine.config.checks.knowledge",
    "engine.config.compile.config",
    "engine.config.schema.explain",
    "engine.knowledge.articles",
    "engine.routing.index",
)
"""What a build imports on first use: imported once in the helper, so no child imports them again."""


def _warm() -> None:
    """Import and prepare what every build needs once, in the helper, so each child has it."""
    from engine.config.schema import documents

    for name in WARM_MODULES:
        importlib.import_module(name)
    for main in (True, False):
        documents.validator(main)
        documents.quick_validator(main)


def serve(source: IO[bytes], out: IO[bytes]) -> None:
    """The helper's loop: one request (a pickled `_Request`) in, one build's frames out, until EOF."""
    _warm()
    while True:
        try:
            (request,) = _read_frames(source)
            _answer(pickle.loads(request), out)
        except (BuildCrashed, BrokenPipeError):
            return  # the serving process closed our stdin or stdout: it is gone or done


# --- the serving process --------------------------------------------------------------------


class _Helper:
    """This process's helper: started on first use, started again if it stopped."""

    lock = threading.Lock()
    process: subprocess.Popen[bytes] | None = None
    command: tuple[str, ...] = (sys.executable, "-m", "engine.config.builder")

    @classmethod
    def frames(cls, path: Path | str, env: Mapping[str, str] | None, offline: bool) -> list[memoryview]:
        """Ask the helper for one build (blocking: run it in a thread on an event loop)."""
        request = _Request(os.fspath(path), dict(os.environ if env is None else env), offline, os.getcwd())
        with cls.lock:
            frames = cls._ask(pickle.dumps(request))
        if bytes(frames[0]) != b"ok":
            raise BuildCrashed(bytes(frames[1]).decode())
        return frames[1:]

    @classmethod
    def _ask(cls, request: bytes) -> list[memoryview]:
        """Send one request and read its answer; a helper that stopped (killed by the system, say)
        is started again and asked once more."""
        for attempt in (1, 2):
            process = cls._running()
            assert process.stdin is not None and process.stdout is not None
            try:
                _write_frames(process.stdin, [request])
                return _read_frames(process.stdout)
            except (BuildCrashed, OSError) as exc:
                cls.process = None
                process.kill()
                process.wait()
                if attempt == 2:
                    raise BuildCrashed("the config builder stopped; the next reload starts it again") from exc
        raise AssertionError("unreachable")

    @classmethod
    def _running(cls) -> subprocess.Popen[bytes]:
        if cls.process is not None and cls.process.poll() is None:
            return cls.process
        here = str(Path(__file__).resolve().parents[2])  # where `engine` is imported from
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
        cls.process = subprocess.Popen(
            cls.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        return cls.process


def helper_pid() -> int | None:
    """The helper process's id, if it runs (for tests and benchmarks)."""
    process = _Helper.process
    return process.pid if process is not None and process.poll() is None else None


@contextmanager
def _collector_frozen() -> Iterator[None]:
    """No collection while the new config arrives (it would walk it half-made, again and again);
    then it is moved out of the collector's sight, so no later collection walks it all at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
        _give_back()


def _give_back() -> None:
    """Return the C library's free memory to the system (glibc keeps it otherwise): the frames
    were freed between the new config's own allocations."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def build_isolated(
    path: Path | str, *, env: Mapping[str, str] | None = None, offline: bool = True
) -> BuildResult:
    """`build` in the helper process; the result as `build` gives it, `doc` cut to SHIPPED_KEYS."""
    frames = _Helper.frames(path, env, offline)
    with _collector_frozen():
        return finish(unpack(frames))


async def build_isolated_sliced(
    path: Path | str, *, env: Mapping[str, str] | None = None, offline: bool = True
) -> BuildResult:
    """`build_isolated` for a serving event loop: the result unpacked on the loop a slice at a time."""
    frames = await asyncio.to_thread(_Helper.frames, path, env, offline)
    with _collector_frozen():
        built = await sliced(unpack(frames))
    await asyncio.sleep(0)  # what comes next (the runtime's prepare) starts in a slice of its own
    return built


def main() -> None:
    """The helper process: serve this process's stdin and stdout."""
    answers = os.fdopen(os.dup(1), "wb")  # the frames; anything printed goes to stderr instead
    os.dup2(2, 1)
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
