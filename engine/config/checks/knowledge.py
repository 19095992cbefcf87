"""Knowledge-base articles checked by `validate`, as `flexcord kb list` and the bot's start read them.

Each `*.md` article's front matter (title, url, tags, questions), and each translation in a
locale folder, is read by engine.knowledge itself, so `validate` refuses exactly what the bot
would refuse; every broken article is reported, not only the first.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import MarkedDict

__all__ = ["article_problems"]


def article_problems(doc: MarkedDict, root: str) -> list[Diagnostic]:
    """Every article under `knowledge_base:` (relative to `root`) that cannot be read."""
    folder = doc.get("knowledge_base")
    if not isinstance(folder, str) or not folder:
        return []
    base = Path(os.path.join(root, folder))
    if not base.is_dir():
        return []
    from engine.knowledge.articles import check_articles  # translations in kb/<locale>/ too

    _, problems = check_articles(base)
    return [Diagnostic(p.file, p.line, 1, "error", p.message, p.hint) for p in problems]
