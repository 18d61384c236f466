"""Sparse retrieval: bm25s over tokens from qa.terms (jieba with the domain dictionary).

bm25s builds and saves the index. Answering reads the saved files itself (``BM25Scores``): bm25s stores every
(term, passage) score precomputed as a CSC matrix, so a question's scores are the sum of its terms' columns,
which is what ``bm25s.BM25.get_scores`` computes too. Loading bm25s imports scipy (≈ 0.18 s of a cold
question); the reader needs numpy only.

The scores are stored in 16 bits (``scores.u16.npy``), each term's column as a fraction of its largest score
(``scales.npy``, float32): a stored score is within 1/131,070 of its column's largest of bm25s's own, where
half-precision floats would be within 1/2,048 of itself. With the passage numbers (int32) that is 6 bytes a
(term, passage) pair instead of 8: the BM25 files were the largest part of an index after its vectors. A test
checks the scores against bm25s's.
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
CODES, SCALES, FLOATS = "scores.u16.npy", "scales.npy", "data.csc.index.npy"  # FLOATS: bm25s's own, replaced
_LEVELS = 65535


@dataclass(frozen=True, eq=False)
class BM25Scores:
    """A saved bm25s index as read for answering: per-term columns of precomputed scores (CSC) and the vocabulary."""

    data: np.ndarray  # scores of the (term, passage) pairs, column by column, in 16-bit steps of their column's scale
    indices: np.ndarray  # the passage of each score
    indptr: np.ndarray  # term id -> its column's slice of data/indices
    num_docs: int
    vocab_dict: dict[str, int]  # token -> term id
    scales: np.ndarray  # term id -> the score of one step of its column (float32)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Every passage's BM25 score for ``tokens`` (unknown tokens are skipped), as bm25s sums them."""
        ids = np.array([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=np.int64)
        ids = ids[ids < len(self.indptr) - 1]  # bm25s gives its padding token "" the last id and no column
        scores = np.zeros(self.num_docs, dtype=np.float32)
        for t, start, end in zip(ids, self.indptr[ids], self.indptr[ids + 1], strict=True):
            np.add.at(scores, self.indices[start:end], self.data[start:end] * self.scales[t])
        return scores

    @classmethod
    def load(cls, folder: Path) -> BM25Scores:
        """Read a folder written by ``save_sparse``: bm25s's files (``{indices,indptr}.csc.index.npy``,
        ``vocab.index.json``, ``params.index.json``) with its scores in 16 bits (CODES, SCALES)."""
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method", "lucene") not in _PRECOMPUTED:
            raise ValueError(f"BM25 method {params.get('method')!r} is not read")
        indices, indptr = (np.load(folder / f"{name}.csc.index.npy", allow_pickle=False) for name in ("indices", "indptr"))
        data = np.load(folder / CODES, allow_pickle=False)
        scales = np.load(folder / SCALES, allow_pickle=False)
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        num_docs = int(params["num_docs"])
        if not (isinstance(vocab, dict) and indptr.ndim == 1 and len(indptr) and int(indptr[0]) == 0
                and len(data) == len(indices) == int(indptr[-1]) and data.dtype == np.uint16
                and scales.dtype == np.float32 and scales.shape == (len(indptr) - 1,)
                and bool(np.all(np.isfinite(scales))) and bool(np.all(scales >= 0))
                and np.issubdtype(indices.dtype, np.integer) and bool(np.all(np.diff(indptr) >= 0))
                and (not len(indices) or (int(indices.min()) >= 0 and int(indices.max()) < num_docs))
                and all(type(v) is int and 0 <= v < len(indptr) for v in vocab.values())):
            raise ValueError("the saved arrays do not fit together")
        return cls(data, indices, indptr.astype(np.int64), num_docs, vocab, scales)


def search_sparse(retriever: bm25s.BM25 | BM25Scores, query: str, k: int) -> list[tuple[int, float]]:
    tokens = [t for t in tokenize(query) if t in retriever.vocab_dict]
    if not tokens:
        return []
    scores = retriever.get_scores(tokens)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def quantized(data: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, scales): each score as a uint16 step of its column's scale, the column's largest score / 65,535."""
    data = np.asarray(data, dtype=np.float32)  # float32 throughout: at 10⁶ passages there are ~10⁸ pairs
    if len(data) and (not np.all(np.isfinite(data)) or data.min() < 0):
        raise ValueError("BM25 scores are stored as non-negative fractions of their column's largest")
    counts = np.diff(indptr)
    top = np.zeros(len(counts), dtype=np.float32)
    filled = counts > 0
    if filled.any():
        top[filled] = np.maximum.reduceat(data, indptr[:-1][filled])
    scales = top / np.float32(_LEVELS)
    codes = np.repeat(scales, counts)  # each pair's step, then its score in steps, in place
    np.divide(data, codes, out=codes, where=codes > 0)
    np.clip(codes, 0, _LEVELS, out=codes)
    return np.rint(codes, out=codes).astype(np.uint16), scales


def save_sparse(retriever: bm25s.BM25, folder: Path) -> None:
    """bm25s's save, with its float32 scores replaced by 16-bit codes and their columns' scales (quantised from
    the scores bm25s holds, not read back from its file)."""
    codes, scales = quantized(retriever.scores["data"], retriever.scores["indptr"])
    retriever.save(str(folder), allow_pickle=False, show_progress=False)
    (folder / FLOATS).unlink()
    np.save(folder / CODES, codes, allow_pickle=False)
    np.save(folder / SCALES, scales, allow_pickle=False)


def load_sparse(folder: Path) -> BM25Scores:
    if not folder.is_dir():
        raise BqaError(f"BM25 folder {folder.name} is missing; rebuild with `bqa index --rebuild`")
    try:
        return BM25Scores.load(folder)
    except Exception as err:  # numpy and json raise several types for damaged files
        raise BqaError(
            f"BM25 files in {folder.name} are unreadable ({type(err).__name__}); rebuild with `bqa index --rebuild`"
        ) from None
