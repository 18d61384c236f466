"""Sparse retrieval: bm25s over tokens from qa.terms (jieba with the domain dictionary).

bm25s (and the scipy it imports, ≈ 0.1 s) is imported when an index is built or loaded, not with this module:
an up-to-date `bqa index` never needs it."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import BqaError
from qa.terms import bm25_tokenize, tokenize

if TYPE_CHECKING:
    import bm25s


def build_sparse(texts: list[str], show_progress: bool = False) -> bm25s.BM25:
    import bm25s

    retriever = bm25s.BM25()
    with contextlib.redirect_stderr(io.StringIO()):  # bm25s warns about corpus details on stderr
        retriever.index(bm25_tokenize(texts), show_progress=show_progress)
    return retriever


def search_sparse(retriever: bm25s.BM25, query: str, k: int) -> list[tuple[int, float]]:
    tokens = [t for t in tokenize(query) if t in retriever.vocab_dict]
    if not tokens:
        return []
    scores = retriever.get_scores(tokens)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def save_sparse(retriever: bm25s.BM25, folder: Path) -> None:
    retriever.save(str(folder), allow_pickle=False)


def load_sparse(folder: Path) -> bm25s.BM25:
    if not folder.is_dir():
        raise BqaError(f"BM25 folder {folder.name} is missing; rebuild with `bqa index --rebuild`")
    import bm25s

    try:
        return bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False, load_corpus=False)
    except Exception as err:  # bm25s raises several types for damaged files
        raise BqaError(
            f"BM25 files in {folder.name} are unreadable ({type(err).__name__}); rebuild with `bqa index --rebuild`"
        ) from None
