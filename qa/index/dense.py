"""Dense retrieval: FAISS inner product over L2-normalised vectors; flat when small, HNSW when large."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from qa.errors import BqaError
from qa.threads import refresh_runtimes, use_threads

refresh_runtimes()  # FAISS brings its own OpenMP runtime

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
        use_threads(None)
        index.add(vectors)
    return index, chosen


def search_dense(index: faiss.Index, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, index.ntotal)
    if k <= 0:
        return []
    use_threads(1)  # one question, one thread: a second spinning pool only lengthens the tail
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
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
