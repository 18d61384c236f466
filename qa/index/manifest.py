"""The index manifest: how an index was built, read and checked as a typed record.

``manifest.json`` at the top of an index folder names the live build; each build folder holds a copy.
Every field is checked on load, and a missing, mistyped or absurd value is one line naming the file and
the command that fixes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qa.errors import BqaError

FORMAT_VERSION = 3  # 3: rows gzip-compressed, vector keys in binary, no vectors.npy beside an approximate index


@dataclass(frozen=True)
class EmbedderRecord:
    """The embedder an index was built with: its name and vector size."""

    name: str
    dim: int


@dataclass(frozen=True)
class FileRecord:
    """One corpus file as it was when indexed: bytes digest, size, mtime, and what it produced."""

    sha256: str
    size: int
    mtime_ns: int
    n_documents: int
    n_chunks: int


@dataclass(frozen=True)
class SkippedRecord:
    """A corpus file a build could not use, as it was then: bytes digest, size, mtime, and why it was skipped (an
    unchanged skipped file leaves the index up to date; it is tried again when it changes or the index is rebuilt)."""

    sha256: str
    size: int
    mtime_ns: int
    reason: str


@dataclass(frozen=True)
class Manifest:
    """What an index was built from and how: the embedder, dense index kind, chunking, tokenizer and files."""

    format_version: int
    build_dir: str
    embedder: EmbedderRecord
    dense_index: str
    chunking: dict
    tokenizer: str
    files: dict[str, FileRecord]  # source -> record
    n_documents: int
    n_chunks: int
    data_files: dict[str, int]  # relative path in the build -> size in bytes
    versions: dict[str, str] = field(default_factory=dict)
    built_at: str = ""
    build_seconds: float | None = None
    skipped: dict[str, SkippedRecord] = field(default_factory=dict)  # source -> record: files no text came from

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def corpus(self) -> dict[str, str]:
        """The digest of every corpus file the build read, used or skipped."""
        return {source: rec.sha256 for recs in (self.files, self.skipped) for source, rec in recs.items()}

    @property
    def skip_warnings(self) -> tuple[str, ...]:
        """The build's warnings for the files it skipped, as the build gave them."""
        return tuple(f"skipped {source}: {rec.reason}" for source, rec in sorted(self.skipped.items()))


def fix_command(index_dir: Path) -> str:
    return f"`bqa index --rebuild --index {index_dir}`"


def _bad(path: Path, what: str, index_dir: Path) -> BqaError:
    return BqaError(f"{path}: {what}; rebuild with {fix_command(index_dir)}")


def _typed(raw: dict, key: str, kind: type | tuple[type, ...], path: Path, index_dir: Path):
    if key not in raw:
        raise _bad(path, f"the key {key!r} is missing", index_dir)
    value = raw[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _bad(path, f"{key!r} has the wrong type ({type(value).__name__})", index_dir)
    return value


def manifest_from_dict(raw: object, path: Path, index_dir: Path) -> Manifest:
    if not isinstance(raw, dict):
        raise _bad(path, "is not a JSON object", index_dir)
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise BqaError(f"index in {index_dir} has format version {version}, this bqa reads {FORMAT_VERSION}; "
                       f"rebuild with {fix_command(index_dir)}")
    emb = _typed(raw, "embedder", dict, path, index_dir)
    name, dim = emb.get("name"), emb.get("dim")
    if not isinstance(name, str) or not isinstance(dim, int) or isinstance(dim, bool) or not 0 < dim <= 65536:
        raise _bad(path, "'embedder' must have a name and a dimension between 1 and 65536", index_dir)
    files_raw = _typed(raw, "files", dict, path, index_dir)
    files = {}
    for source, rec in files_raw.items():
        try:
            files[source] = FileRecord(**rec)
            if files[source].n_chunks < 0 or files[source].size < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise _bad(path, f"the record of {source!r} is malformed", index_dir) from None
    skipped_raw = raw.get("skipped", {})
    if not isinstance(skipped_raw, dict):
        raise _bad(path, "'skipped' has the wrong type", index_dir)
    skipped = {}
    for source, rec in skipped_raw.items():
        try:
            skipped[source] = SkippedRecord(**rec)
            if skipped[source].size < 0 or not isinstance(skipped[source].reason, str):
                raise ValueError
        except (TypeError, ValueError):
            raise _bad(path, f"the record of the skipped {source!r} is malformed", index_dir) from None
    n_chunks = _typed(raw, "n_chunks", int, path, index_dir)
    n_documents = _typed(raw, "n_documents", int, path, index_dir)
    if n_chunks < 0 or n_documents < 0 or n_chunks > 10**9:
        raise _bad(path, "has absurd counts", index_dir)
    data_files = _typed(raw, "data_files", dict, path, index_dir)
    if not all(isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in data_files.items()):
        raise _bad(path, "'data_files' must map file names to sizes", index_dir)
    return Manifest(
        format_version=version, build_dir=_typed(raw, "build_dir", str, path, index_dir),
        embedder=EmbedderRecord(name, dim), dense_index=_typed(raw, "dense_index", str, path, index_dir),
        chunking=_typed(raw, "chunking", dict, path, index_dir), tokenizer=_typed(raw, "tokenizer", str, path, index_dir),
        files=files, n_documents=n_documents, n_chunks=n_chunks, data_files=data_files,
        versions=raw.get("versions") if isinstance(raw.get("versions"), dict) else {},
        built_at=raw.get("built_at") if isinstance(raw.get("built_at"), str) else "",
        build_seconds=raw.get("build_seconds") if isinstance(raw.get("build_seconds"), int | float) else None,
        skipped=skipped,
    )


def read_manifest(index_dir: Path) -> Manifest:
    index_dir = Path(index_dir)
    path = index_dir / "manifest.json"
    if not path.exists():
        raise BqaError(f"no index in {index_dir}; build it with `bqa index --index {index_dir}`")
    if not path.is_file():  # a rebuild cannot replace it: say so
        raise BqaError(f"{path} is not a regular file; remove it, then rebuild with {fix_command(index_dir)}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise BqaError(f"{path} is not valid JSON; rebuild with {fix_command(index_dir)}") from None
    except OSError as err:
        raise BqaError(f"{path}: cannot read it ({err.strerror or err}); rebuild with {fix_command(index_dir)}") from None
    return manifest_from_dict(raw, path, index_dir)
