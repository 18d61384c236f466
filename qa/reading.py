"""Reading a bulletin file into text: encoding detection and clear errors for bad files.

The decoded text is what every offset points into. For a UTF-8 ``.txt`` it equals
``Path(path).read_text(encoding="utf-8")`` exactly (universal newlines, a BOM kept as U+FEFF).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.errors import BqaError

SUPPORTED_SUFFIXES = (".txt", ".md")
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class SourceText:
    path: Path
    text: str
    encoding: str  # "utf-8", "gb18030"


def _universal_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.05


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode bulletin bytes: UTF-8 first, then GB18030 (a superset of GBK/GB2312)."""
    if not data.strip():
        raise BqaError(f"{name}: the file is empty; add bulletin text or remove it from the corpus")
    if _looks_binary(data):
        raise BqaError(f"{name}: looks like a binary file, not a text bulletin; supported: .txt, .md (UTF-8 or GBK)")
    try:
        return _universal_newlines(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise BqaError(
            f"{name}: not valid UTF-8 (byte {utf8_error.start}) nor GBK/GB18030; re-save it as UTF-8"
        ) from None
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    if han < max(1, len(text) // 20):
        raise BqaError(f"{name}: not valid UTF-8 and does not read as GBK Chinese text; re-save it as UTF-8")
    return _universal_newlines(text), "gb18030"


def read_source(path: Path) -> SourceText:
    """Read one bulletin file, raising BqaError with one line naming the file and the problem."""
    path = Path(path)
    if not path.exists():
        raise BqaError(f"{path}: no such file")
    if path.is_dir():
        raise BqaError(f"{path}: is a folder, expected a bulletin file")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BqaError(f"{path.name}: unsupported file type {path.suffix or '(none)'}; supported: .txt, .md")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BqaError(f"{path.name}: {size / 2**20:.0f} MB is larger than the {MAX_BYTES // 2**20} MB limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise BqaError(f"{path}: the file disappeared while reading") from None
    except PermissionError:
        raise BqaError(f"{path}: permission denied") from None
    text, encoding = decode_bytes(data, path.name)
    return SourceText(path=path, text=text, encoding=encoding)
