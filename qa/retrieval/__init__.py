"""Retrieval: a pool of candidates from every retriever, ranked by the fitted ranker (``qa/data/ranker.json``).

Modes, for the ablations of ``bqa eval``:

- ``fitted``: the logistic ranker over the features of ``qa.retrieval.features`` (the shipped system);
- ``rrf``: reciprocal rank fusion of the dense and BM25 ranks (k = 60, equal weights), the usual hybrid;
- ``bm25`` / ``dense``: one retriever alone.

Without a fitted ranker file (before the first ``bqa eval --fit``) ``fitted`` falls back to ``rrf``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

import numpy as np

from qa.embedders import Embedder
from qa.index.store import LoadedIndex
from qa.linear import LinearModel
from qa.query import Query
from qa.retrieval.features import FEATURES, Pool, Scorer
from qa.types import Passage

Mode = Literal["fitted", "rrf", "bm25", "dense"]
MODES: tuple[str, ...] = ("fitted", "rrf", "bm25", "dense")
RRF_K = 60

__all__ = ["FEATURES", "MODES", "Mode", "Pool", "Retriever", "Scorer", "distinct_passages", "rank_pool"]


def rank_pool(pool: Pool, mode: Mode, ranker: LinearModel | None) -> tuple[np.ndarray, np.ndarray]:
    """(order of the pool's rows, best first; score of each row)."""
    n = len(pool.ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if mode == "fitted" and ranker is not None:
        scores = ranker.logits(pool.features)
    elif mode in ("fitted", "rrf"):
        scores = np.array([sum(1.0 / (RRF_K + r[name]) for name in ("dense", "bm25") if name in r)
                           for r in pool.ranks])
    else:
        scores = np.array([1.0 / r[mode] if mode in r else 0.0 for r in pool.ranks])
    order = np.lexsort((pool.ids, -scores))
    if mode in ("bm25", "dense"):
        order = np.array([k for k in order if mode in pool.ranks[k]], dtype=np.int64)
    return order, scores


class Retriever:
    """Searches a loaded index; stateless per query, safe to share between threads."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, ranker: LinearModel | None = None,
                 mode: Mode = "fitted", scorer: Scorer | None = None):
        self.index = index
        self.embedder = embedder
        self.scorer = scorer if scorer is not None else Scorer(index)  # one per index: it holds no model
        self.ranker = ranker.check(FEATURES) if ranker is not None else None
        self.mode = mode

    def pool(self, query: Query, doc_ids: Collection[str] | None = None, sources: Collection[str] | None = None,
             years: Collection[int] | None = None) -> Pool:
        text = query.dense_text or query.search_text
        qvec = self.embedder.embed_queries([text])[0] if self.mode != "bm25" else None
        return self.scorer.pool(query, qvec, self.scorer.allowed(doc_ids, sources, years))

    def search(self, query: Query, top_k: int = 5, doc_ids: Collection[str] | None = None,
               sources: Collection[str] | None = None, years: Collection[int] | None = None) -> list[Passage]:
        pool = self.pool(query, doc_ids, sources, years)
        return self.passages(pool, top_k)

    def passages(self, pool: Pool, top_k: int) -> list[Passage]:
        order, scores = rank_pool(pool, self.mode, self.ranker)
        return distinct_passages(self.index, self.scorer.text_keys, pool, order, scores, top_k)


def distinct_passages(index: LoadedIndex, keys: Sequence[str], pool: Pool, order: np.ndarray, scores: np.ndarray,
                      top_k: int) -> list[Passage]:
    """The ``top_k`` first passages of ``order``, each text once: a passage whose text (``keys``: whitespace
    aside) another source holds too — a report's PDF beside its text version, a resolution reprinted in two
    issues — is shown once, where it ranks best, with the other places as its ``copies``. Within one source
    equal texts stay apart (two tables' rows can read alike)."""
    chunks = index.chunks
    kept: list[tuple[int, list]] = []  # (pool row, its copies' chunks)
    groups: dict[str, list[int]] = {}  # text key -> its positions in kept
    for k in order:
        i = int(pool.ids[k])
        at = next((g for g in groups.get(keys[i], ()) if chunks[i].source not in
                   {chunks[int(pool.ids[kept[g][0]])].source, *(c.source for c in kept[g][1])}), None)
        if at is not None:  # the first passage of this text that has no copy from this source yet
            kept[at][1].append(chunks[i])
        elif len(kept) < top_k:
            groups.setdefault(keys[i], []).append(len(kept))
            kept.append((k, []))
    return [Passage(chunk=chunks[int(pool.ids[k])], score=round(float(scores[k]), 6), rank=r,
                    retrievers=pool.ranks[k], copies=tuple(copies))
            for r, (k, copies) in enumerate(kept, start=1)]
