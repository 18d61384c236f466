"""Sparse retrieval: bm25s over tokens from qa.terms (jieba with the domain dictionary).

bm25s builds and saves the index. Answering reads bm25s's saved files itself (``BM25Scores``): bm25s stores
every (term, passage) score precomputed as a CSC matrix, so a question's scores are the sum of its terms'
columns, which is what ``bm25s.BM25.get_scores`` computes too. Loading bm25s imports scipy (≈ 0.18 s of a
cold question); the reader needs numpy only. A test checks both give the same scores.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
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


_PRECOMPUTED = ("lucene", "robertson", "atire")  # bm25s methods whose scores are the stored sums alone


@dataclass(frozen=True, eq=False)
class BM25Scores:
    """A saved bm25s index as read for answering: per-term columns of precomputed scores (CSC) and the vocabulary."""

    data: np.ndarray  # scores of the (term, passage) pairs, column by column
    indices: np.ndarray  # the passage of each score
    indptr: np.ndarray  # term id -> its column's slice of data/indices
    num_docs: int
    vocab_dict: dict[str, int]  # token -> term id

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Every passage's BM25 score for ``tokens`` (unknown tokens are skipped), as bm25s sums them."""
        ids = np.array([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=np.int64)
        ids = ids[ids < len(self.indptr) - 1]  # bm25s gives its padding token "" the last id and no column
        scores = np.zeros(self.num_docs, dtype=self.data.dtype)
        for start, end in zip(self.indptr[ids], self.indptr[ids + 1], strict=True):
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        return scores

    @classmethod
    def load(cls, folder: Path) -> BM25Scores:
        """Read a folder written by ``bm25s.BM25.save`` (files ``{data,indices,indptr}.csc.index.npy``,
        ``vocab.index.json``, ``params.index.json``)."""
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method", "lucene") not in _PRECOMPUTED:
            raise ValueError(f"BM25 method {params.get('method')!r} is not read")
        arrays = [np.load(folder / f"{name}.csc.index.npy", allow_pickle=False) for name in ("data", "indices", "indptr")]
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        data, indices, indptr = arrays
        num_docs = int(params["num_docs"])
        if not (isinstance(vocab, dict) and indptr.ndim == 1 and len(indptr) and int(indptr[0]) == 0
                and len(data) == len(indices) == int(indptr[-1]) and np.issubdtype(data.dtype, np.floating)
                and np.issubdtype(indices.dtype, np.integer) and bool(np.all(np.diff(indptr) >= 0))
                and (not len(indices) or (int(indices.min()) >= 0 and int(indices.max()) < num_docs))
                and all(type(v) is int and 0 <= v < len(indptr) for v in vocab.values())):
            raise ValueError("the saved arrays do not fit together")
        return cls(data, indices, indptr.astype(np.int64), num_docs, vocab)


def search_sparse(retriever: bm25s.BM25 | BM25Scores, query: str, k: int) -> list[tuple[int, float]]:
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


def load_sparse(folder: Path) -> BM25Scores:
    if not folder.is_dir():
        raise BqaError(f"BM25 folder {folder.name} is missing; rebuild with `bqa index --rebuild`")
    try:
        return BM25Scores.load(folder)
    except Exception as err:  # numpy and json raise several types for damaged files
        raise BqaError(
            f"BM25 files in {folder.name} are unreadable ({type(err).__name__}); rebuild with `bqa index --rebuild`"
        ) from None
