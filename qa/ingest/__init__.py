"""Ingest: any corpus file (txt, md, pdf, ofd, docx, doc, wps, xlsx, xls, et, html) → a ParsedSource of documents and blocks with
exact offsets.

The names below are imported on first use: answering a question imports ``qa.ingest.text`` (offset
alignment), and a check that the index is up to date imports ``qa.ingest.corpus``; neither needs the parsers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.ingest.corpus import Corpus, CorpusFile, file_hash, load_corpus, scan_corpus
    from qa.ingest.parse import parse_file, parse_text

_WHERE = {"Corpus": "corpus", "CorpusFile": "corpus", "file_hash": "corpus", "load_corpus": "corpus",
          "scan_corpus": "corpus", "parse_file": "parse", "parse_text": "parse"}

__all__ = ["Corpus", "CorpusFile", "file_hash", "load_corpus", "parse_file", "parse_text", "scan_corpus"]


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module 'qa.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"qa.ingest.{_WHERE[name]}"), name)
