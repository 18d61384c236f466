"""A corpus folder: every supported file in it and its subfolders, parsed; bad files skipped by name.

Links are followed only to files inside the corpus, and a file reached twice (a link and its target) is
read once. Hidden files and folders, Office lock files (~$…) and a README.md are ignored. Every file that is
skipped is named in a warning with the reason, and the rest is read.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from qa.errors import BqaError
from qa.ingest.formats import SUPPORTED_NAMES, SUPPORTED_SUFFIXES, unsupported
from qa.types import ParsedSource


def source_id_of(source: str) -> str:
    """The stable id of a source: its corpus-relative path without the suffix ("2025/hongkou-03")."""
    path = PurePosixPath(source)
    return str(path.with_suffix("")) if path.suffix else str(path)


IGNORED_NAMES = {"readme.md", "readme.txt"}


@dataclass(frozen=True)
class CorpusFile:
    """A file of the corpus folder: its path, source name, id, size and modification time."""

    path: Path
    source: str  # path relative to the corpus root, "/"-separated
    source_id: str
    size: int
    mtime_ns: int

    def digest(self) -> str:
        """sha256 of the file's bytes."""
        h = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()


@dataclass(frozen=True)
class Corpus:
    """A parsed corpus folder: its sources and the warnings about files it skipped."""

    root: Path
    sources: tuple[ParsedSource, ...]
    warnings: tuple[str, ...]

    def text_of(self, source: str) -> str:
        for s in self.sources:
            if s.source.source == source:
                return s.text
        raise KeyError(source)

    @property
    def texts(self) -> dict[str, str]:
        return {s.source.source: s.text for s in self.sources}


def _root_of(root: Path) -> Path:
    root = Path(root)
    if not root.exists():
        raise BqaError(f"corpus folder {root} does not exist; pass --corpus DIR or set BQA_CORPUS")
    return root


def scan_corpus(root: Path) -> tuple[list[CorpusFile], list[str]]:
    """The corpus's readable files (sorted by source) and a warning for each one skipped."""
    root = _root_of(root)
    if root.is_file():
        st = root.stat()
        return [CorpusFile(root, root.name, source_id_of(root.name), st.st_size, st.st_mtime_ns)], []
    real_root = root.resolve()
    warnings: list[str] = []
    found: list[tuple[str, Path]] = []

    def on_error(err: OSError) -> None:
        where = Path(err.filename).relative_to(root) if err.filename and str(err.filename).startswith(str(root)) \
            else err.filename
        warnings.append(f"skipped folder {where}: {err.strerror or err}")

    for folder, dirs, files in os.walk(root, onerror=on_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(folder) / d).is_symlink())
        for name in sorted(files):
            if name.startswith((".", "~$")):  # hidden, or Office's lock file beside an open document (~$预算表.xlsx)
                continue
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if name.lower() in IGNORED_NAMES and Path(folder) == root:
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                warnings.append(f"skipped {rel}: {unsupported(path.suffix)}")
                continue
            found.append((rel, path))
    files_out: list[CorpusFile] = []
    seen: dict[Path, str] = {}
    found.sort(key=lambda item: (item[1].is_symlink(), item[0]))  # a file is kept under its own name, not a link's
    for rel, path in found:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            warnings.append(f"skipped {rel}: a broken link")
            continue
        if real != real_root and real_root not in real.parents:
            warnings.append(f"skipped {rel}: a link to a file outside the corpus folder")
            continue
        if real in seen:
            warnings.append(f"skipped {rel}: the same file as {seen[real]}")
            continue
        seen[real] = rel
        try:
            st = path.stat()
        except OSError as err:
            warnings.append(f"skipped {rel}: {err.strerror or err}")
            continue
        if not stat.S_ISREG(st.st_mode):  # a pipe would block the first read for ever, a device never ends
            warnings.append(f"skipped {rel}: not a regular file (a pipe, socket or device)")
            continue
        files_out.append(CorpusFile(path, rel, source_id_of(rel), st.st_size, st.st_mtime_ns))
    return _unique_ids(sorted(files_out, key=lambda f: f.source)), warnings


def _unique_ids(files: list[CorpusFile]) -> list[CorpusFile]:
    """Two files with the same path but for the suffix (a.txt, a.pdf) keep their suffix in the id."""
    counts = Counter(f.source_id for f in files)
    return [f if counts[f.source_id] == 1 else CorpusFile(f.path, f.source, str(PurePosixPath(f.source)), f.size,
                                                          f.mtime_ns)
            for f in files]


def parse_corpus_file(f: CorpusFile, root: Path) -> ParsedSource:
    from qa.ingest.parse import parse_file  # the parsers are imported only when a file is read

    return parse_file(f.path, root if root.is_dir() else None, source_id=f.source_id)


def load_corpus(root: Path, files: Iterable[CorpusFile] | None = None,
                progress: Callable[[str], None] | None = None, allow_none: bool = False) -> Corpus:
    """Parse every supported file under ``root``; unusable files become warnings, not failures. With no usable
    file: an error, or with ``allow_none`` (a build that keeps other files' rows) a corpus of no sources."""
    root = _root_of(root)
    scanned, warnings = scan_corpus(root) if files is None else (list(files), [])
    base = root if root.is_dir() else root.parent
    parsed = []
    for f in scanned:
        if progress:
            progress(f.source)
        try:
            parsed.append(parse_corpus_file(f, base))
        except BqaError as err:
            warnings.append(f"skipped {f.source}: {str(err).removeprefix(f.path.name + ': ')}")
    if not parsed and not allow_none:
        detail = f" ({'; '.join(warnings)})" if warnings else ""
        raise BqaError(f"corpus {root} has no usable file{detail}; add {SUPPORTED_NAMES} files")
    return Corpus(root=base, sources=tuple(parsed), warnings=tuple(warnings))


def file_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
