"""Dense retrieval: FAISS inner product over L2-normalised vectors; exact (flat) when small, IVF when large.

The switch-over comes from ``bqa bench --ann`` (eval/SCALE.md): a flat search of 384-dimensional vectors costs
60–70 ns a vector on one thread (3.5 ms at 50,000, 6 ms at 10⁵, about 50 ms at 10⁶), so it stays exact up to
50,000 vectors; above that an IVF index with 8-bit scalar-quantised vectors (IVF·SQ8, about 400 bytes a vector)
found 0.96–0.97 of the exact top ten at 10⁶ in under 2 ms, where HNSW (M 16/32) stayed at 0.85 or below on
real-shaped vectors.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from qa.errors import BqaError
from qa.threads import refresh_runtimes, use_threads

refresh_runtimes()  # FAISS brings its own OpenMP runtime

DenseKind = Literal["auto", "flat", "hnsw", "ivf"]
FLAT_MAX = 50_000  # up to this many vectors an exact search is fast enough
HNSW_M = 32
IVF_TRAIN_PER_LIST = 64


def ivf_lists(n: int) -> int:
    """About 4·√n inverted lists, a power of two, with at least 39 training vectors each (FAISS's minimum)."""
    target = 2 ** round(math.log2(max(1.0, 4 * math.sqrt(n))))
    return int(max(1, min(target, 2 ** int(math.log2(max(1, n // 39))))))


def build_dense(vectors: np.ndarray, kind: DenseKind = "auto") -> tuple[faiss.Index, str]:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    use_threads(None)  # a build (training and adding) on every core
    chosen = ("ivf" if n > FLAT_MAX else "flat") if kind == "auto" else kind
    if chosen == "flat":
        index = faiss.IndexFlatIP(dim)
    elif chosen == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif chosen == "ivf":
        if not n:
            raise BqaError("an IVF dense index needs vectors to train on; use --dense flat for an empty corpus")
        nlist = ivf_lists(n)
        index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = min(n, IVF_TRAIN_PER_LIST * nlist)
        index.train(vectors if sample == n else vectors[np.sort(rng.choice(n, sample, replace=False))])
        index.nprobe = max(1, nlist // 16)
    else:
        raise BqaError(f"unknown dense index kind {kind!r}; choose auto, flat, hnsw or ivf")
    if n:
        index.add(vectors)
    if chosen == "ivf":
        faiss.extract_index_ivf(index).make_direct_map()  # the ranker's features read vectors back by id
    return index, chosen


EXACT_FILTER_MAX = 4096  # a filter this narrow is searched exactly over its own vectors


def search_dense(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None
                 ) -> list[tuple[int, float]]:
    """The ``k`` nearest vectors; with ``allowed`` (a boolean mask over the vectors) only those, found inside
    FAISS (an ID selector), or exactly over their own vectors when there are few — never by asking for every
    vector and filtering in Python."""
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
        if len(ids_ok) <= EXACT_FILTER_MAX:
            sims = index.reconstruct_batch(ids_ok) @ q[0]
            top = np.argsort(-sims, kind="stable")[:k]
            return [(int(ids_ok[i]), float(sims[i])) for i in top]
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


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path) -> faiss.Index:
    if not path.exists():
        raise BqaError(f"index file {path.name} is missing; rebuild with `bqa index --rebuild`")
    try:
        return faiss.read_index(str(path))
    except RuntimeError:
        raise BqaError(f"index file {path.name} is unreadable (truncated or corrupt); rebuild with `bqa index --rebuild`") from None
