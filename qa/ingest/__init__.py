"""Ingest: any corpus file (txt, md, pdf, docx, html) → a ParsedSource of documents and blocks with exact offsets."""

from qa.ingest.corpus import Corpus, CorpusFile, file_hash, load_corpus, scan_corpus
from qa.ingest.parse import parse_file, parse_text

__all__ = ["Corpus", "CorpusFile", "file_hash", "load_corpus", "parse_file", "parse_text", "scan_corpus"]
