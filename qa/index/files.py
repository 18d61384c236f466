"""The files of a build, as bytes: gzip-compressed JSON rows and the vectors' keys in binary.

The rows (chunks, texts, documents, contexts) are JSON, UTF-8, compressed with gzip (``zcat`` reads them): a
chunk's record repeats its text in its embedding text and its title and section in every chunk, which deflate
takes back — 1.37 KB a chunk of the dev corpus as plain JSON, 0.10 KB compressed. zlib (the standard library's C
module) reads and writes the gzip format itself; the header carries no time, so equal rows give equal bytes.
A vector's key (the first 16 bytes of a sha256) is stored as 16 bytes, not 32 hexadecimal characters in JSON.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

GZIP = 31  # zlib's window bits for the gzip format (16 + 15)
LEVEL = 6
_READ = 1 << 20
KEY_BYTES = 16
# what reading a damaged file raises (zlib.error is no OSError or ValueError)
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, zlib.error, EOFError)


def what_went_wrong(err: BaseException) -> str:
    """A reader's error in a few words: zlib's own class is named just "error"."""
    return "corrupt or cut-short gzip data" if isinstance(err, zlib.error) else type(err).__name__


def write_rows(path: Path, rows: Iterable[object]) -> None:
    """One JSON value a line, compressed as it is written (a million chunks are never one string)."""
    co = zlib.compressobj(LEVEL, zlib.DEFLATED, GZIP)
    batch: list[str] = []
    with path.open("wb") as fh:
        for row in rows:
            batch.append(json.dumps(row, ensure_ascii=False) + "\n")
            if len(batch) >= 1024:
                fh.write(co.compress("".join(batch).encode("utf-8")))
                batch.clear()
        fh.write(co.compress("".join(batch).encode("utf-8")) + co.flush())


def write_value(path: Path, value: object) -> None:
    """One JSON value, compressed."""
    write_rows(path, [value])


def _lines(path: Path) -> Iterator[bytes]:
    """The decompressed lines of ``path``; a file cut short (or with bytes after its end) raises zlib.error."""
    do = zlib.decompressobj(GZIP)
    rest = b""
    with path.open("rb") as fh:
        while block := fh.read(_READ):
            *whole, rest = (rest + do.decompress(block)).split(b"\n")
            yield from whole
            if do.eof and (do.unused_data or fh.read(1)):
                raise zlib.error("data after the end of the compressed stream")
    rest += do.flush()
    if not do.eof:
        raise zlib.error("the compressed stream is cut short")
    yield from rest.split(b"\n")


def read_rows(path: Path) -> list:
    """The JSON value of each non-empty line."""
    return [json.loads(line) for line in _lines(path) if line.strip()]


def read_value(path: Path) -> object:
    """The one JSON value of a file written by ``write_value``."""
    rows = read_rows(path)
    if len(rows) != 1:
        raise ValueError(f"{path.name} holds {len(rows)} values, not one")
    return rows[0]


def keys_array(keys: list[str]) -> np.ndarray:
    """Hexadecimal keys of KEY_BYTES bytes as an (n, KEY_BYTES) uint8 matrix."""
    import numpy as np

    return np.frombuffer(bytes.fromhex("".join(keys)), dtype=np.uint8).reshape(len(keys), KEY_BYTES)


def keys_of(array: np.ndarray) -> list[str]:
    """The hexadecimal keys of an (n, KEY_BYTES) uint8 matrix."""
    if array.ndim != 2 or array.shape[1] != KEY_BYTES or array.dtype.itemsize != 1:
        raise ValueError(f"vector keys must be an (n, {KEY_BYTES}) byte matrix, not {array.dtype} {array.shape}")
    flat = array.tobytes().hex()
    step = 2 * KEY_BYTES
    return [flat[i:i + step] for i in range(0, len(flat), step)]
