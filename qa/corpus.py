"""A corpus folder: every bulletin in it parsed, bad files skipped with a named warning."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from qa.errors import BqaError
from qa.parse import parse_file
from qa.reading import SUPPORTED_SUFFIXES
from qa.types import ParsedBulletin


@dataclass(frozen=True)
class Corpus:
    root: Path
    bulletins: tuple[ParsedBulletin, ...]
    warnings: tuple[str, ...]

    def text_of(self, source: str) -> str:
        for b in self.bulletins:
            if b.bulletin.source == source:
                return b.text
        raise KeyError(source)

    @property
    def texts(self) -> dict[str, str]:
        return {b.bulletin.source: b.text for b in self.bulletins}


def corpus_files(root: Path) -> list[Path]:
    root = Path(root)
    if not root.exists():
        raise BqaError(f"corpus folder {root} does not exist; pass --corpus DIR or set BQA_CORPUS")
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def load_corpus(root: Path) -> Corpus:
    """Parse every supported file under ``root``; unusable files become warnings, not failures."""
    root = Path(root)
    parsed, warnings = [], []
    base = root if root.is_dir() else root.parent
    for path in corpus_files(root):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES and path.name.lower() != "readme.md":
            warnings.append(f"skipped {path.name}: unsupported file type {path.suffix or '(none)'}; supported: .txt, .md")
            continue
        if path.name.lower() == "readme.md":
            continue
        try:
            parsed.append(parse_file(path, base))
        except BqaError as err:
            warnings.append(f"skipped {err}")
    if not parsed:
        detail = f" ({'; '.join(warnings)})" if warnings else ""
        raise BqaError(f"corpus {root} has no usable bulletin{detail}; add UTF-8 .txt/.md bulletins")
    return Corpus(root=base, bulletins=tuple(parsed), warnings=tuple(warnings))


def file_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
