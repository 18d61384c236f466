"""Dense retrieval: FAISS inner product over L2-normalised vectors; flat when small, HNSW when large."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from qa.errors import BqaError

DenseKind = Literal["auto", "flat", "hnsw"]
HNSW_THRESHOLD = 50_000  # below this many vectors an exact search is fast enough
HNSW_M = 32


def build_dense(vectors: np.ndarray, kind: DenseKind = "auto") -> tuple[faiss.Index, str]:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    chosen = ("hnsw" if n >= HNSW_THRESHOLD else "flat") if kind == "auto" else kind
    if chosen == "flat":
        index = faiss.IndexFlatIP(dim)
    elif chosen == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        raise BqaError(f"unknown dense index kind {kind!r}; choose auto, flat or hnsw")
    if n:
        index.add(vectors)
    return index, chosen


EXACT_FILTER_MAX = 4096  # a filter this narrow is searched exactly over its own vectors


def search_dense(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None
                 ) -> list[tuple[int, float]]:
    """The ``k`` nearest vectors; with ``allowed`` (a boolean mask over the vectors) only those, found inside
    FAISS (an ID selector), or exactly over their own vectors when there are few — never by asking for every
    vector and filtering in Python."""
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
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
