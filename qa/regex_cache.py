"""Our regular expressions' compiled code, kept between processes: ``compile(pattern, flags)`` is
``re.compile``, but a pattern this user's processes have compiled before is not parsed and assembled again.

Compiling is most of what a cold `bqa ask` spends on our patterns: ``re`` parses each one and assembles its code in
Python (≈ 0.08 s for the ≈ 190 patterns a question reads, a class of Chinese characters alone ≈ 0.7 ms); the code is
then handed to the C engine, which checks it (``_sre.compile``). This module keeps each pattern's code (a list of
integers), flags and group names in one file and hands them to ``_sre.compile`` itself (≈ 6 ms for all of them).

These are CPython's internals (``re._parser.parse``, ``re._compiler._code``, ``_sre.compile``: what
``re._compiler.compile`` does in its ten lines), so:
- the file's name carries the Python build (``sys.version``) and the engine's MAGIC, CODESIZE and limits: another
  Python never reads it;
- every entry read is checked: it carries a digest of its key (the pattern and its flags) and its contents, its
  group count and names are in range, and the engine checks the code (``invalid SRE code`` otherwise); an entry
  that fails is compiled again (the digest guards against a file mixed up or damaged, not against this user's own
  tampering: the folder is closed to others);
- when an internal is missing or fails, or on another implementation, a pattern is ``re.compile``'s; so is one
  asking for re.DEBUG (which prints the parse) or re.TEMPLATE, or with flags re would refuse.
A test compiles every packaged pattern both ways and finds them equal (``re.Pattern``'s ``==`` compares the code)
and matching alike.

The file lies in a folder of this user's in the temporary folder (``bqa-regex-UID``, mode 0700, checked ours before
it is read: no other user can put or replace a file there; one who makes the folder first only turns the cache off);
the files of another Python build in it (``regex-*.json``), unread for weeks, are pruned (``qa.tmpcache``). A
process that compiled patterns the file lacked writes it when it exits: the file is read again and merged, written
aside and renamed over the old one, so a reader never sees half a file and two writers at once lose at most one's
new entries. Only patterns made by ``qa`` reach it (its word lists' and modules'), never one built from a
question's text: a caller of ``compile`` keeps to that.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import threading
from array import array
from pathlib import Path

from qa.tmpcache import STALE_DAYS, mark_used, private_dir, prune, temp_dir, uid

FORMAT = 2  # of the file's entries: a change of their layout changes this (and so the file's name)
MAX_BYTES = 4 << 20  # ≈ 0.7 MB for our ≈ 410 patterns; past this, a write keeps only the patterns its process read
_UNCACHED_FLAGS = re.DEBUG | getattr(re, "TEMPLATE", 0)  # what re.compile does more with these than compile
_MAX_FLAGS = 1 << 16  # flags past re's (a bad value): re.compile's to judge, never kept
_FAMILY = "regex-"  # the files' names in the folder: regex-<build hash>.json


def _engine():
    """``(_sre, re._compiler, re._parser)`` when the internals this module uses are there, else None."""
    if sys.implementation.name != "cpython":
        return None
    try:
        import _sre
        from re import _compiler, _parser

        if _sre.CODESIZE != 4 or not all(hasattr(m, a) for m, a in (
                (_sre, "compile"), (_sre, "MAXGROUPS"), (_compiler, "_code"), (_parser, "parse"))):
            return None
        return _sre, _compiler, _parser
    except ImportError:
        return None


def default_path() -> Path | None:
    """This user's file for this Python build, or None when the internals are not there."""
    engine = _engine()
    if engine is None:
        return None
    sre = engine[0]
    key = f"{FORMAT}:{sys.version}:{sre.MAGIC}:{sre.CODESIZE}:{sre.MAXREPEAT}:{sre.MAXGROUPS}"
    return temp_dir() / f"bqa-regex-{uid()}" / f"{_FAMILY}{hashlib.md5(key.encode()).hexdigest()[:12]}.json"


def _digest(key: str, flags: int, groups: int, names: dict, code: str) -> str:
    """What ties an entry to its key: a hash of both (a file mixed up or damaged fails it)."""
    text = "\0".join((key, str(flags), str(groups), repr(sorted(names.items())), code))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _well_formed(key: str, entry: object, max_groups: int) -> bool:
    """Whether ``entry`` is ``[flags, groups, {name: group}, code, digest]`` for ``key``: each part of its type and
    in range, its digest that of the key and the rest."""
    if not (isinstance(entry, list) and len(entry) == 5):
        return False
    flags, groups, names, code, digest = entry
    if not (type(flags) is int and 0 <= flags < _MAX_FLAGS and type(groups) is int and 1 <= groups <= max_groups
            and isinstance(names, dict) and isinstance(code, str) and isinstance(digest, str)):
        return False
    if not (all(isinstance(k, str) and type(i) is int and 1 <= i < groups for k, i in names.items())
            and len(set(names.values())) == len(names)):
        return False
    return digest == _digest(key, flags, groups, names, code)


def _read(path: Path) -> dict[str, list]:
    """The file's entries when its folder and it are ours and it reads as our JSON object, else none (each entry is
    checked when it is used: ``_well_formed``)."""
    if not private_dir(path.parent, create=False):
        return {}
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return {}
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != uid() or st.st_size > MAX_BYTES:
            return {}
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError, RecursionError, MemoryError):
        return {}
    finally:
        os.close(fd)
    if not isinstance(data, dict):
        return {}
    mark_used(path)
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, list)}


class RegexStore:
    """The compiled code of the patterns in one file (``path``), read at the first ``compile`` and written back
    by ``flush`` when patterns were added. Safe to share between threads."""

    def __init__(self, path: Path):
        self.path = path
        self._engine = _engine()
        self._entries: dict[str, list] | None = None  # the file's, read at the first compile
        self._new: dict[str, list] = {}
        self._used: set[str] = set()
        self._lock = threading.Lock()
        self.hits = 0  # patterns made from the file's code (for tests and curious readers)

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        if (self._engine is None or not isinstance(pattern, str) or not isinstance(flags, int)
                or not 0 <= flags < _MAX_FLAGS or flags & _UNCACHED_FLAGS):
            return re.compile(pattern, flags)
        flags = int(flags)
        key = f"{flags}:{pattern}"
        with self._lock:
            if self._entries is None:
                self._entries = _read(self.path)
            entry = self._entries.get(key) or self._new.get(key)
            self._used.add(key)
        if entry is not None and _well_formed(key, entry, self._engine[0].MAXGROUPS):
            try:
                regex = self._make(pattern, entry)
                with self._lock:
                    self.hits += 1
                return regex
            except Exception:  # noqa: BLE001 — refused by the engine's check: compiled below instead
                pass
        try:
            regex, entry = self._build(key, pattern, flags)
        except re.error:
            raise  # a bad pattern: re.compile's own error
        except Exception:  # noqa: BLE001 — an internal not as expected: re.compile's pattern, not kept
            return re.compile(pattern, flags)
        if not key.isascii() and not _encodable(key):  # a lone surrogate: the file (UTF-8) cannot hold it
            return regex
        with self._lock:
            self._new[key] = entry
        return regex

    def _make(self, pattern: str, entry: list) -> re.Pattern[str]:
        """The pattern of a file's entry."""
        final_flags, groups, groupindex, code64, _ = entry
        code = array("I")
        code.frombytes(base64.b64decode(code64, validate=True))
        if 4 * (groups - 1) > len(code):  # each group's two MARKs take four words: no code holds more groups
            raise ValueError("more groups than the code can hold")
        return self._pattern(pattern, final_flags, groups, groupindex, code.tolist())

    def _pattern(self, pattern: str, final_flags: int, groups: int, groupindex: dict[str, int],
                 code: list[int]) -> re.Pattern[str]:
        """What ``re._compiler.compile`` hands the engine, from a pattern's parts."""
        indexgroup: list[str | None] = [None] * groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        return self._engine[0].compile(pattern, final_flags, code, groups - 1, dict(groupindex), tuple(indexgroup))

    def _build(self, key: str, pattern: str, flags: int) -> tuple[re.Pattern[str], list]:
        """The pattern as ``re._compiler.compile`` makes it, and its entry under ``key``."""
        _, compiler, parser = self._engine
        parsed = parser.parse(pattern, flags)
        code = compiler._code(parsed, flags)
        final_flags, groups, groupindex = flags | parsed.state.flags, parsed.state.groups, dict(parsed.state.groupdict)
        parts = [final_flags, groups, groupindex, base64.b64encode(array("I", code).tobytes()).decode("ascii")]
        return self._pattern(pattern, final_flags, groups, groupindex, code), [*parts, _digest(key, *parts)]

    def flush(self) -> bool:
        """Write the file with the patterns added since it was read (merged with what it holds now); True when
        written. Best effort: a folder we cannot make ours or write leaves the file as it was."""
        with self._lock:
            new, used = dict(self._new), set(self._used)
        if not new or self._engine is None or not private_dir(self.path.parent, create=True):
            return False
        entries = {**_read(self.path), **new}
        text = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
        if len(text) > MAX_BYTES:  # data files edited many times: the entries no longer read go
            text = json.dumps({k: v for k, v in entries.items() if k in used}, ensure_ascii=False,
                              separators=(",", ":"))
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path)
        except BaseException as err:  # a partial file is never left behind, whatever stopped the write
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if isinstance(err, OSError):
                return False
            raise
        with self._lock:
            for k in new:
                self._new.pop(k, None)
            if self._entries is not None:
                self._entries.update(new)
        prune(_FAMILY, {self.path.name}, STALE_DAYS, self.path.parent)  # another Python build's file
        return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


_STORE: RegexStore | bool | None = None  # False: no store (this Python's internals or no temporary folder)
_STORE_LOCK = threading.Lock()


def store() -> RegexStore | None:
    """This process's store (its file written at exit), or None when there can be none."""
    global _STORE
    if _STORE is None:
        with _STORE_LOCK:
            if _STORE is None:
                try:
                    path = default_path()
                except OSError:  # no usable temporary folder
                    path = None
                _STORE = False if path is None else RegexStore(path)
                if _STORE:
                    atexit.register(_STORE.flush)
    return _STORE or None


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 — re.compile's name on purpose
    """``re.compile(pattern, flags)``, from this user's kept code when a process compiled it before."""
    s = store()
    return re.compile(pattern, flags) if s is None else s.compile(pattern, flags)
