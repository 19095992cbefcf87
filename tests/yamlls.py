"""Drive the real yaml-language-server (tools/yamlls, pinned in its package-lock.json) over stdio LSP.

The same server editors run (VS Code's YAML extension, Neovim, Helix...) reads the
`# yaml-language-server: $schema=...` line of each file, so its diagnostics are what a community
manager sees while typing. `npm ci` installs it when tools/yamlls/node_modules is missing.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "yamlls"
SERVER = TOOL / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
INSTALL = ["npm", "ci", "--prefix", str(TOOL), "--no-audit", "--no-fund"]


def install() -> str | None:
    """Install the pinned server when it is missing; None when ready, else why it cannot be."""
    if SERVER.is_file():
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed to run yaml-language-server"
    done = subprocess.run(INSTALL, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0 or not SERVER.is_file():
        return f"'{' '.join(INSTALL)}' failed: {done.stderr[-500:]}"
    return None


class LanguageServer:
    """One running yaml-language-server: open documents, wait for their diagnostics, completions."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            ["node", str(SERVER), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.pending: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": False}},
                        "publishDiagnostics": {},
                    },
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": self.settings()}})

    @staticmethod
    def settings() -> dict[str, Any]:
        return {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False}}

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (header := stream.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if header == b"":
                self.messages.put(None)
                return
            self.messages.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self._send({"id": wanted, "method": method, "params": params})
        reply = self._wait(lambda m: m.get("id") == wanted and "method" not in m)
        return reply.get("result")

    def _wait(self, wanted: Any) -> dict[str, Any]:
        for index, message in enumerate(self.pending):
            if wanted(message):
                return self.pending.pop(index)
        while True:
            message = self.messages.get(timeout=120)
            if message is None:
                raise RuntimeError("yaml-language-server stopped")
            if "method" in message and "id" in message:
                self._answer(message)
            elif wanted(message):
                return message
            else:
                self.pending.append(message)

    def _answer(self, message: dict[str, Any]) -> None:
        """Requests from the server: its settings, and registrations, which need only an answer."""
        result: Any = None
        if message["method"] == "workspace/configuration":
            items = message["params"].get("items", [])
            result = [self.settings() if item.get("section") == "yaml" else None for item in items]
        self._send({"id": message["id"], "result": result})

    def open(self, path: Path, text: str | None = None) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": path.resolve().as_uri(),
                    "languageId": "yaml",
                    "version": 1,
                    "text": path.read_text(encoding="utf-8") if text is None else text,
                }
            },
        )

    def diagnostics(self, path: Path) -> list[dict[str, Any]]:
        """The diagnostics the server publishes for an opened file."""
        uri = path.resolve().as_uri()
        message = self._wait(
            lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
        )
        found: list[dict[str, Any]] = message["params"]["diagnostics"]
        return found

    def completion(self, path: Path, line: int, character: int) -> list[str]:
        """The labels offered at a 0-based position of an opened file."""
        result = self.request(
            "textDocument/completion",
            {
                "textDocument": {"uri": path.resolve().as_uri()},
                "position": {"line": line, "character": character},
            },
        )
        items = result.get("items", []) if isinstance(result, dict) else result or []
        return [item["label"] for item in items]

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
