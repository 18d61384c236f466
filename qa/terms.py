"""Sparse-retrieval terms: the tokenizer behind the BM25 index (English questions get their Chinese terms from qa.query).

``tokenize`` turns a passage or a question into the terms BM25 counts:

- text is NFKC-normalised (full-width digits and letters become ASCII), lower-cased,
  stripped of HTML tags, and whitespace between two Chinese characters, or between a
  digit and a Chinese character ("2025 年", "37 人"), is removed;
- a number keeps its unit and is also emitted bare: "留置37人" gives 37人, 37 and, from
  jieba, 留置 and 人; "494.9亿元" gives 494.9亿元, 494.9, 亿元; "7.8%" gives 7.8%, 7.8.
  Ranges are canonical ("1—6月", "1-6月", "1至6月" all give 1—6月, 1, 6, 1月, 6月),
  thousands separators are dropped and trailing decimal zeros too (494.90 == 494.9);
- Chinese runs are cut by a private jieba instance (HMM off, domain user dictionary
  qa/data/userdict.txt) and every dictionary word inside a longer word is emitted as well
  (一般公共预算 also gives 一般, 公共, 预算, 公共预算), like jieba's search mode but for
  sub-words of any length;
- ASCII words are kept ("pm2.5", "aqi"); punctuation, whitespace and the stop words of
  qa/data/stopwords.txt are dropped. Single Chinese characters are kept (人, 户 carry the
  unit a question asks for; names split into characters): on 82 hand-written questions over
  the seed bulletin's lines, dropping them lowered BM25 MRR@10 from 0.65 to 0.63. jieba's
  HMM made no measurable difference (0.66) and is off, so a run is cut the same way
  whatever characters surround it.

bm25s plugs in through our own tokens, not through its tokenizer (``bm25s.tokenize`` takes
only a regex; ``bm25s.tokenization.Tokenizer(splitter=...)`` would need its vocabulary saved
and reloaded beside the index)::

    retriever = bm25s.BM25()
    retriever.index(bm25_tokenize(chunk_texts))       # BM25Corpus: ids + vocab, deterministic
    docs, scores = retriever.retrieve(bm25_tokenize_queries([question]), k=10)

``retrieve`` maps query token strings through the index's own vocabulary (saved by
``BM25.save`` as ``vocab.index.json`` and restored by ``BM25.load``) and skips unseen
tokens, so queries always match the index. Store ``fingerprint()`` in the index manifest:
it changes whenever tokenization would, and a mismatch means "rebuild the index".
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import logging
import os
import re
import sys
import threading
import types
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from qa.errors import BqaError
from qa.lazy_regex import lazy
from qa.paths import data_file
from qa.tmpcache import mark_used, prune, temp_dir, uid

if TYPE_CHECKING:  # numpy is imported for the light table, not by an up-to-date index check
    import numpy as np


def _import_jieba():
    """jieba, without the pkg_resources import its ``_compat`` makes only to find its own files (≈ 90 ms of a
    cold question, and deprecated): with it unavailable for that one import, jieba opens them beside its
    module, the fallback it ships. A pkg_resources already imported is used as before. Its HMM module is
    loaded when first used (``_DeferredModule``), not with jieba: we cut with the HMM off."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    _defer("jieba.finalseg")
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import pkg_resources raises ImportError
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


class _DeferredModule(types.ModuleType):
    """A module that is executed when one of its names is first read. ``jieba.finalseg`` builds the HMM's
    probability tables (≈ 8 ms of a cold question, a third of jieba's import) and jieba imports it whatever is
    cut; only a cut with the HMM on, or a word added with frequency 0, reads it. Its ``__spec__`` is a plain
    attribute, so the import system finds it in ``sys.modules`` without loading it (importlib's LazyLoader
    loads on that read). Once loaded, the real module replaces it in ``sys.modules`` and in jieba; a name bound
    to it before then (``from jieba import finalseg``) still reads the real module's names through it."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        with _DEFERRED_LOCK:
            real = self.__dict__.get("_real")
            if real is None:  # executed while this module stays in sys.modules (another thread importing it by
                # name waits here on its first read instead of getting it half-built), then put in its place and
                # in its package, whose name for it jieba's code reads
                spec = self.__spec__
                real = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(real)
                self.__dict__["_real"] = real
                sys.modules[spec.name] = real
                package, _, child = spec.name.rpartition(".")
                if getattr(sys.modules.get(package), child, None) is self:
                    setattr(sys.modules[package], child, real)
        return getattr(real, name)


_DEFERRED_LOCK = threading.Lock()


def _defer(name: str) -> None:
    """Put a ``_DeferredModule`` for the submodule ``name`` in ``sys.modules``, found without importing its
    package; nothing when it is imported already or cannot be found."""
    if name in sys.modules:
        return
    package, _, _ = name.rpartition(".")
    parent = importlib.util.find_spec(package)  # a top-level package: found, not imported
    if parent is None or not parent.submodule_search_locations:
        return
    spec = importlib.machinery.PathFinder.find_spec(name, parent.submodule_search_locations)
    if spec is None or spec.loader is None:
        return
    module = _DeferredModule(name)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__package__ = name if spec.submodule_search_locations is not None else package
    if spec.submodule_search_locations is not None:
        module.__path__ = list(spec.submodule_search_locations)
    sys.modules[name] = module


jieba = _import_jieba()

__all__ = [
    "TOKENIZER_VERSION",
    "BM25Corpus",
    "bm25_tokenize",
    "fingerprint",
    "is_word",
    "normalize",
    "stopwords",
    "tokenize",
    "units",
    "words",
]

# Bump when a code change alters the tokens produced for the same text.
TOKENIZER_VERSION = "1"

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# Units that stay attached to a number (qa/data/units.txt; matched longest first: 万平方米 before 万 and 米).
@cache
def units() -> tuple[str, ...]:
    """The units and measure words of ``qa/data/units.txt``, longest first (one reader for every stage)."""
    return tuple(sorted({u for line in _data_lines("units.txt") for u in line.split()}, key=lambda u: (-len(u), u)))


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_RANGE_SEP = r"[—–\-~至]"
_TOKEN_RE = lazy(
    rf"(?P<alnum>\d+[a-z][a-z0-9]*|[a-z][a-z0-9]*(?:\.\d+)?)"
    rf"|(?P<num>(?P<a>{_NUM})(?: *{_RANGE_SEP} *(?P<b>{_NUM}))?)"
    rf"|(?P<han>[{_HAN}]+)"
)
_TAG_RE = lazy(r"</?[a-z][^<>]*>", re.IGNORECASE)
_HAN_GAP_RE = lazy(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])")
_DIGIT_HAN_GAP_RE = lazy(rf"(?<=\d)[ \u00a0]+(?=[{_HAN}%])")

# Longest sub-word looked up inside a jieba word; longer dictionary entries are rare.
_MAX_SUBWORD = 8

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# data files


def _data_text(name: str) -> str:
    return data_file(name).read_text(encoding="utf-8")


def _data_lines(name: str) -> list[str]:
    """Non-blank, non-comment lines of a packaged data file."""
    lines = []
    for raw in _data_text(name).splitlines():
        line = raw.strip().lstrip("\ufeff")
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


@cache
def stopwords() -> frozenset[str]:
    """The stop words dropped by ``tokenize`` (qa/data/stopwords.txt)."""
    return frozenset(line.lower() for line in _data_lines("stopwords.txt"))


@dataclass(frozen=True)
class _Entry:
    """One line of the user dictionary: a word, its frequency and part of speech, as jieba takes them."""

    word: str
    freq: int | None
    tag: str | None


def _userdict() -> list[_Entry]:
    entries = []
    for line in _data_lines("userdict.txt"):
        parts = line.split()
        if len(parts) > 3 or (len(parts) >= 2 and not parts[1].isdigit()):
            raise BqaError(f"qa/data/userdict.txt: bad line {line!r}; expected 'term [freq] [tag]'")
        freq = int(parts[1]) if len(parts) >= 2 else None
        tag = parts[2] if len(parts) == 3 else None
        entries.append(_Entry(normalize(parts[0]), freq, tag))
    return entries


def fingerprint() -> str:
    """Short hash of everything that decides the tokens: store it with the BM25 index."""
    h = hashlib.sha256()
    for part in (
        TOKENIZER_VERSION,
        jieba.__version__,
        _data_text("userdict.txt"),
        _data_text("stopwords.txt"),
        _data_text("units.txt"),
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# jieba


class _OwnThreadOnly(logging.Filter):
    """Drops the records one thread (ours, while it builds the segmenter) sends to jieba's logger."""

    def __init__(self, thread_id: int) -> None:
        super().__init__()
        self.thread_id = thread_id

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread_id


_jieba_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None
_LIGHT_CALLS = 64  # short texts cut from the light table before a process loads the whole dictionary
_light_calls = 0
_LIGHT_MAX_CHARS = 300  # longer texts (passages) always use the whole dictionary


def _segmenter() -> jieba.Tokenizer:
    """The private jieba tokenizer with the domain dictionary, built once (thread-safe)."""
    global _jieba
    if _jieba is not None:
        return _jieba
    with _jieba_lock:
        if _jieba is None:
            _jieba = _build_segmenter()
    return _jieba


def _build_segmenter() -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    # jieba caches its prefix dict as a marshal file in tempfile.gettempdir() (so $TMPDIR),
    # written to a temp file and renamed into place: concurrent processes never read a
    # partial file. Its default name (jieba.cache) is shared by every jieba install and
    # user and is loaded without any check against the dictionary, so name ours by user,
    # jieba version and dictionary file.
    tk.cache_file = _jieba_cache_name(_segmenter_key())

    # jieba logs "Building prefix dict ..." to stderr through a handler it installs on
    # import; silence only this thread, only while building.
    jieba_logger = logging.getLogger("jieba")
    quiet = _OwnThreadOnly(threading.get_ident())
    jieba_logger.addFilter(quiet)
    try:
        tk.initialize()
        for entry in _userdict():
            tk.add_word(entry.word, entry.freq, entry.tag)
    finally:
        jieba_logger.removeFilter(quiet)
    cache_path = os.path.join(temp_dir(), tk.cache_file)
    if not os.path.isfile(cache_path):
        logger.warning("could not write jieba's cache %s; every process will rebuild it (~1 s)", cache_path)
    mark_used(cache_path)
    _write_light_table(tk)
    return tk


def load_dictionary() -> None:
    """Load the whole jieba dictionary now (≈ 0.4 s): long-running processes do it before their first question."""
    _segmenter()


# The light table: the same prefix dictionary as 64-bit hashes in a memory-mapped array, so that a one-shot
# process (a cold `bqa ask`) cuts its question without unmarshalling jieba's 500,000-entry dict (≈ 0.4 s,
# half of the cold answer). jieba only ever looks up substrings of the text it cuts (no longer than the
# longest word), so a tokenizer given exactly those entries cuts it exactly as the whole dictionary does;
# tests check that on every gold question. Written beside jieba's cache, atomically, by the first full load.


def _light_path(segmenter_key: str | None = None) -> str:
    key = f"{segmenter_key or _segmenter_key()}:{hashlib.md5(data_file('userdict.txt').read_bytes()).hexdigest()}"
    return os.path.join(temp_dir(), _cache_name(key, ".light.npy"))


def _jieba_cache_name(segmenter_key: str) -> str:
    """The name of jieba's own cache of its prefix dictionary, for this user, jieba and dictionary file."""
    return _cache_name(segmenter_key, ".cache")


def _cache_name(key: str, suffix: str) -> str:
    """A cache file name of this user (the temporary folder is often shared) for ``key``."""
    return f"{_PREFIX}{uid()}-{hashlib.md5(key.encode()).hexdigest()[:12]}{suffix}"


_PREFIX = "bqa-jieba-"  # + uid + "-": this user's jieba caches (qa.tmpcache)


def _segmenter_key() -> str:
    dict_path = os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME)
    stat = os.stat(dict_path)
    return f"{jieba.__version__}:{dict_path}:{stat.st_size}:{stat.st_mtime_ns}"


def _hashes(words: Iterable[str]) -> np.ndarray:
    import numpy as np

    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(w.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little",
                        signed=True) for w in words), dtype=np.int64)


def _write_light_table(tk: jieba.Tokenizer) -> None:
    import numpy as np

    path = _light_path()
    if os.path.isfile(path):
        return
    words = list(tk.FREQ)
    hashes = _hashes(words)
    order = np.argsort(hashes, kind="stable")
    if len(np.unique(hashes)) != len(hashes):  # a 64-bit collision: no light table, the full load is always right
        return
    table = np.empty((2, len(words) + 1), dtype=np.int64)
    table[0, 0], table[1, 0] = tk.total, max(map(len, words))
    table[0, 1:] = hashes[order]
    table[1, 1:] = np.fromiter((tk.FREQ[words[i]] for i in order), dtype=np.int64, count=len(words))
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            np.save(f, table, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        return
    # a new table: jieba or the word list changed, so this user's older jieba caches, unread for weeks, go
    prune(f"{_PREFIX}{uid()}-", {os.path.basename(path), tk.cache_file})


_light: list[np.ndarray] = []  # the table once read (a missing table is looked for again: a build may write it)


def _light_table() -> np.ndarray | None:
    if _light:
        return _light[0]
    import numpy as np

    key = _segmenter_key()
    path = _light_path(key)
    try:
        st = os.stat(path)
        if st.st_uid != uid():  # /tmp is shared: only our own file
            return None
        table = np.load(path, mmap_mode="r", allow_pickle=False)
        mark_used(path)  # and jieba's own cache with it, which a process of the light table never reads
        mark_used(os.path.join(temp_dir(), _jieba_cache_name(key)))
    except (OSError, ValueError):
        return None
    if table.dtype != np.int64 or table.ndim != 2 or table.shape[0] != 2 or table.shape[1] < 2:
        return None
    _light[:] = [table]
    return table


def _light_freqs(table: np.ndarray, words: Sequence[str]) -> list[int | None]:
    """Each word's dictionary count in the light table (prefix entries count 0); None when it is not there."""
    import numpy as np

    keys = table[0, 1:]
    hashes = _hashes(words)
    found = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
    return [int(table[1, 1 + k]) if keys[k] == h else None for k, h in zip(found, hashes, strict=True)]


def _light_tokenizer(run: str) -> jieba.Tokenizer | None:
    """A jieba tokenizer holding just the dictionary entries that are substrings of ``run``."""
    table = _light_table()
    if table is None:
        return None
    total, longest = int(table[0, 0]), int(table[1, 0])
    subs = list({run[i:j] for i in range(len(run)) for j in range(i + 1, min(len(run), i + longest) + 1)})
    tk = jieba.Tokenizer()
    tk.FREQ = {w: f for w, f in zip(subs, _light_freqs(table, subs), strict=True) if f is not None}
    tk.total, tk.initialized = total, True
    return tk


def is_word(word: str) -> bool:
    """Whether ``word`` is a word of the tokenizer's dictionary (read from the light table while the whole
    dictionary is not loaded, so asking costs no load)."""
    return any_word([word])


def any_word(words: Sequence[str]) -> bool:
    """Whether any of ``words`` is a word of the dictionary: ``is_word`` for several at once, one lookup for
    all (what an answer generator asks of every cut it considers)."""
    return any(_counts(words))


def word_counts(words: Sequence[str]) -> list[int]:
    """Each word's count in the tokenizer's dictionary, 0 when it is not a word there."""
    return list(_counts(words))


def _counts(words: Sequence[str]) -> Iterator[int]:
    """The words' dictionary counts (0: not a word), read from the light table while the whole dictionary is
    not loaded (so asking costs no load), lazily from the whole dictionary once it is."""
    table = _light_table() if _jieba is None else None
    if table is not None:
        return (f or 0 for f in _light_freqs(table, words))
    freq = _segmenter().FREQ
    return (freq.get(w) or 0 for w in words)


def _tokenizer_for(text: str):
    """The whole dictionary once loaded; before that, the light table for short texts (a question)."""
    global _light_calls
    if _jieba is None and len(text) <= _LIGHT_MAX_CHARS and _light_calls < _LIGHT_CALLS and _light_table() is not None:
        _light_calls += 1
        return None  # cut each run with its own light tokenizer
    return _segmenter()


# ---------------------------------------------------------------------------------------
# tokenization


def normalize(text: str) -> str:
    """NFKC, lower case, HTML tags removed, layout whitespace inside Chinese text removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _TAG_RE.sub(" ", text)
    text = _HAN_GAP_RE.sub("", text)
    return _DIGIT_HAN_GAP_RE.sub("", text)


def _canonical_number(raw: str) -> str:
    number = raw.replace(",", "")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number


RUNS_KEPT = 100_000  # the runs a build keeps cut (≈ 0.7 KB each): a bound on its memory, not on its speed


def _han_terms(tk: jieba.Tokenizer | None, run: str, runs: dict[str, tuple[str, ...]] | None = None) -> Iterable[str]:
    """The terms of a run of Han characters: the words the tokenizer cuts, and the dictionary's words inside the
    longer ones. ``runs``: a build's store of the runs cut so far (``bm25_tokenize``), read and filled when the
    whole dictionary cuts (a question's light tokenizer may cut otherwise)."""
    if runs is not None and tk is not None and tk is _jieba:
        found = runs.get(run)
        if found is None:
            found = tuple(_cut_terms(tk, run))
            if len(runs) < RUNS_KEPT:
                runs[run] = found
        return found
    return _cut_terms(tk or _light_tokenizer(run) or _segmenter(), run)


def _cut_terms(tk: jieba.Tokenizer, run: str) -> Iterable[str]:
    freq = tk.FREQ
    for word in tk.cut(run, HMM=False):
        n = len(word)
        if n > 2:
            for size in range(2, min(n, _MAX_SUBWORD + 1)):
                for i in range(n - size + 1):
                    sub = word[i : i + size]
                    if freq.get(sub):
                        yield sub
        yield word


@cache
def _unit_re() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(u) for u in units()))


def _raw_terms(text: str, runs: dict[str, tuple[str, ...]] | None = None) -> Iterable[str]:
    tk = _tokenizer_for(text)
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind == "han":
            yield from _han_terms(tk, m.group(), runs)
        elif kind == "alnum":
            yield m.group()
        else:
            a = _canonical_number(m.group("a"))
            b = m.group("b")
            unit_match = _unit_re().match(text, m.end())
            unit = unit_match.group() if unit_match else ""
            if b is None:
                if unit:
                    yield a + unit
                yield a
            else:
                b = _canonical_number(b)
                yield f"{a}—{b}{unit}"
                yield a
                yield b
                if unit:
                    yield a + unit
                    yield b + unit


_WORD_RUN_RE = lazy(rf"(?P<han>[{_HAN}]+)|[a-z0-9]+(?:\.[0-9]+)?|\S")


def words(text: str) -> list[str]:
    """The words of ``text`` in reading order as the tokenizer cuts them, function words kept and each punctuation
    mark a word of its own: for reading a question's structure (和 as a word, not inside 和平区), not for search."""
    text = normalize(text)
    tk = _tokenizer_for(text)
    out: list[str] = []
    for m in _WORD_RUN_RE.finditer(text):
        if m.lastgroup == "han":
            out += (tk or _light_tokenizer(m.group()) or _segmenter()).cut(m.group(), HMM=False)
        else:
            out.append(m.group())
    return out


def tokenize(text: str, runs: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The BM25 terms of ``text`` (a passage or a question), in reading order. ``runs``: see ``bm25_tokenize``."""
    stop = stopwords()
    return [t for t in _raw_terms(normalize(text), runs) if t not in stop]


class BM25Corpus(NamedTuple):
    """Token ids per passage and the vocabulary (token -> id, in first-seen order).

    ``bm25s.BM25.index`` takes it as is (any object with ``ids`` and ``vocab``). Unlike
    handing bm25s token strings, whose vocabulary it builds from a ``set``, the ids do not
    depend on the process's hash seed, so the same corpus always saves the same index files.
    """

    ids: list[list[int]]
    vocab: dict[str, int]


def bm25_tokenize(texts: Sequence[str], show_progress: bool = False) -> BM25Corpus:
    """The corpus for ``bm25s.BM25().index(...)``: one id list per passage, and the vocabulary."""
    vocab: dict[str, int] = {}
    if show_progress:
        from tqdm import tqdm  # imported by builds that show progress only

        texts = tqdm(texts, desc="Tokenize", total=len(texts))
    # each run of Han characters cut once: a bulletin repeats its runs (一般公共预算收入, 比上年增长), and cutting them
    # is most of the tokenizing (the dev corpus's 18,631 passages: 3.5 -> 1.8 s, the same ids; 25,000 runs, 17 MB,
    # dropped with the call — a server answering questions keeps none)
    runs: dict[str, tuple[str, ...]] = {}
    ids = [[vocab.setdefault(token, len(vocab)) for token in tokenize(text, runs)] for text in texts]
    return BM25Corpus(ids, vocab)
