"""Dense retrieval: inner product over L2-normalised vectors; exact when small, FAISS IVF when large.

The switch-over comes from ``bqa bench --ann`` (eval/SCALE.md): a flat search of 384-dimensional vectors costs
60–70 ns a vector on one thread (3.5 ms at 50,000, 6 ms at 10⁵, about 50 ms at 10⁶), so it stays exact up to
50,000 vectors; above that an IVF index with its vectors in half precision (IVF·SQfp16, 790 bytes a vector
with its direct map) found 0.99 of the exact top ten at 10⁶ (as built: 4,096 lists, 256 probed, no residuals;
6.8 ms a question on one thread of a busy machine, where exact search took 133 ms), where HNSW (M 16/32) stayed
at 0.85 or below on real-shaped vectors (eval/SCALE.md). Half precision, not 8 bits (IVF·SQ8, 400 bytes, 0.97): the index is then also
the build's store of its vectors, read back for the next build's unchanged passages, and a half-precision value
stored again is the same value (8-bit codes would drift a little at each rebuild) — no float32 copy beside it.

An exact index is the build's ``vectors.npy`` itself, memory-mapped and searched with numpy on the calling
thread (``einsum``, not BLAS, which would start its own threads): no second copy of the vectors on disk or in
memory, and no FAISS import (≈ 35 ms and a second OpenMP runtime) for a corpus of that size. FAISS is imported
only to build or load an approximate index.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from qa.errors import BqaError
from qa.threads import refresh_runtimes, use_threads

if TYPE_CHECKING:
    import faiss

DenseKind = Literal["auto", "flat", "hnsw", "ivf"]
FLAT_MAX = 50_000  # up to this many vectors an exact search is fast enough
HNSW_M = 32
IVF_TRAIN_PER_LIST = 64
EXACT_FILTER_MAX = 4096  # a filter this narrow is searched exactly over its own vectors


def _faiss():
    import faiss

    refresh_runtimes()  # FAISS brings its own OpenMP runtime
    return faiss


class ExactIndex:
    """Every vector, searched exactly: the part of FAISS's index interface that retrieval uses
    (``d``, ``ntotal``, ``search``, ``reconstruct_batch``)."""

    def __init__(self, vectors: np.ndarray):
        if vectors.ndim != 2 or vectors.dtype != np.float32:
            raise BqaError(f"dense vectors must be a float32 matrix, got {vectors.dtype} of shape {vectors.shape}")
        self.vectors = vectors

    @property
    def d(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def ntotal(self) -> int:
        return int(self.vectors.shape[0])

    def scores(self, q: np.ndarray) -> np.ndarray:
        """The inner product of every vector with ``q`` (a filter picks from these: no copy of its rows)."""
        return np.einsum("ij,j->i", self.vectors, np.asarray(q, dtype=np.float32).reshape(-1))

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest vectors to each row of ``x``, best first, as FAISS returns them."""
        out_s = np.full((len(x), k), -np.inf, dtype=np.float32)
        out_i = np.full((len(x), k), -1, dtype=np.int64)
        for r, q in enumerate(x):
            sims = self.scores(q)
            top = _top(sims, k)
            out_s[r, :len(top)], out_i[r, :len(top)] = sims[top], top
        return out_s, out_i

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(ids, dtype=np.int64)], dtype=np.float32)


def _top(sims: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values, largest first, ties by index (at the k-th value too)."""
    k = min(k, len(sims))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(sims):
        kth = sims[np.argpartition(-sims, k - 1)[k - 1]]
        above = np.flatnonzero(sims > kth)
        part = np.concatenate([above, np.flatnonzero(sims == kth)[:k - len(above)]])
    else:
        part = np.arange(len(sims))
    return part[np.lexsort((part, -sims[part]))]


def ivf_lists(n: int) -> int:
    """About 4·√n inverted lists, a power of two, with at least 39 training vectors each (FAISS's minimum)."""
    target = 2 ** round(math.log2(max(1.0, 4 * math.sqrt(n))))
    return int(max(1, min(target, 2 ** int(math.log2(max(1, n // 39))))))


def build_dense(vectors: np.ndarray, kind: DenseKind = "auto") -> tuple[faiss.Index | ExactIndex, str]:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    chosen = ("ivf" if n > FLAT_MAX else "flat") if kind == "auto" else kind
    if chosen == "flat":
        return ExactIndex(vectors), chosen
    if chosen not in ("hnsw", "ivf"):
        raise BqaError(f"unknown dense index kind {kind!r}; choose auto, flat, hnsw or ivf")
    faiss = _faiss()
    use_threads(None)  # a build (training and adding) on every core
    if chosen == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        if not n:
            raise BqaError("an IVF dense index needs vectors to train on; use --dense flat for an empty corpus")
        nlist = ivf_lists(n)
        index = faiss.index_factory(dim, f"IVF{nlist},SQfp16", faiss.METRIC_INNER_PRODUCT)
        index.by_residual = False  # each vector itself in half precision, not its difference from its list's
        # centroid: read back it is a half-precision value, the same whatever the next build's centroids
        rng = np.random.default_rng(0)
        sample = min(n, IVF_TRAIN_PER_LIST * nlist)
        index.train(vectors if sample == n else vectors[np.sort(rng.choice(n, sample, replace=False))])
        index.nprobe = max(1, nlist // 16)
    if n:
        index.add(vectors)
    if chosen == "ivf":
        faiss.extract_index_ivf(index).make_direct_map()  # the ranker's features and the next build read vectors back
    return index, chosen


def search_dense(index: faiss.Index | ExactIndex, query: np.ndarray, k: int, allowed: np.ndarray | None = None
                 ) -> list[tuple[int, float]]:
    """The ``k`` nearest vectors; with ``allowed`` (a boolean mask over the vectors) only those, found inside
    FAISS (an ID selector), or exactly over their own vectors when there are few or the index is exact —
    never by asking for every vector and filtering in Python."""
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    use_threads(1)  # one question, one thread: a second spinning pool only lengthens the tail
    if allowed is None:
        k = min(k, index.ntotal)
        if k <= 0:
            return []
        scores, ids = index.search(q, k)
    else:
        ids_ok = np.flatnonzero(allowed)
        k = min(k, len(ids_ok))
        if k <= 0:
            return []
        exact = isinstance(index, ExactIndex)
        if exact or len(ids_ok) <= EXACT_FILTER_MAX:
            sims = index.scores(q[0])[ids_ok] if exact else index.reconstruct_batch(ids_ok) @ q[0]
            return [(int(ids_ok[i]), float(sims[i])) for i in _top(sims, k)]
        faiss = _faiss()
        bits = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        if hasattr(index, "hnsw"):
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(index.hnsw.efSearch, k))
        elif hasattr(index, "nprobe"):
            params = faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
        else:
            params = faiss.SearchParameters(sel=selector)
        scores, ids = index.search(q, k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def dense_file(kind: str) -> str:
    """The build's file that holds the dense index of this kind: an exact index is the vectors themselves."""
    return "vectors.npy" if kind == "flat" else "dense.faiss"


def save_dense(index: faiss.Index | ExactIndex, path: Path) -> None:
    """Write an approximate index to ``path`` (an exact one is the build's vectors.npy, written with them)."""
    if isinstance(index, ExactIndex):
        return
    _faiss().write_index(index, str(path))


def load_dense(path: Path) -> faiss.Index | ExactIndex:
    """An index from ``dense.faiss``, or an exact one memory-mapped from ``vectors.npy``."""
    if not path.exists():
        raise BqaError(f"index file {path.name} is missing; rebuild with `bqa index --rebuild`")
    if path.suffix == ".npy":
        try:
            return ExactIndex(np.load(path, allow_pickle=False, mmap_mode="r"))
        except (OSError, ValueError, EOFError, BqaError):
            raise BqaError(f"index file {path.name} is unreadable (truncated or corrupt); rebuild with "
                           "`bqa index --rebuild`") from None
    try:
        return _faiss().read_index(str(path))
    except RuntimeError:
        raise BqaError(f"index file {path.name} is unreadable (truncated or corrupt); rebuild with `bqa index --rebuild`") from None
