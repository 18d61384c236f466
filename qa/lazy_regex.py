"""A regular expression compiled at its first use, not when its module or word list is loaded.

Compiling is most of what a cold `bqa ask` spends on our own patterns: `re` parses and assembles each one in
Python, and a class of Chinese characters (``[\\u4e00-\\u9fff]``) alone takes ≈ 0.7 ms. About a third of the
patterns loaded for a question are never read by it (the yes/no verdicts for a figure question, the derived
operands' words for a plain one, the English cues for a Chinese one), so they are compiled when first read.

``LazyRegex`` stands in for a compiled pattern: ``.pattern`` is the source (read without compiling), and
every other attribute (``search``, ``finditer``, ``sub``…) is the compiled pattern's. Its first use binds the
compiled pattern's matching methods to it, so later calls cost what a compiled pattern's do. Two threads that
use it first at once may both compile it; either result is the same. It is no ``re.Pattern``: pass
``.compiled`` where one is required (``re.sub(pattern, …)`` with a pattern object, ``isinstance``).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable

from qa import regex_cache

_BOUND = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")
_MADE: list[weakref.ref[LazyRegex]] = []  # every LazyRegex made, for compile_all


class LazyRegex:
    def __init__(self, pattern: str, flags: int = 0, on_error: Callable[[re.error], Exception] | None = None):
        self.pattern = pattern
        self._flags = flags
        self._on_error = on_error  # the error to raise instead of re.error (naming the data file the pattern came from)
        self._compiled: re.Pattern[str] | None = None
        _MADE.append(weakref.ref(self))

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            try:
                regex = regex_cache.compile(self.pattern, self._flags)
            except re.error as err:
                if self._on_error is None:
                    raise
                raise self._on_error(err) from None
            for name in _BOUND:
                setattr(self, name, getattr(regex, name))
            self._compiled = regex
        return self._compiled

    @property
    def checked_pattern(self) -> str:
        """The source, once it is known to compile (a bad one raises its error here, as at a first use): what a
        pattern built from this one's source reads, so that the error names where the source came from."""
        return self.compiled.pattern

    def __getattr__(self, name: str):  # only for what the instance lacks: the compiled pattern's attributes
        if name.startswith("__") or name in ("_compiled", "_flags", "_on_error", "pattern"):
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r}{'' if self._compiled is None else ', compiled'})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyRegex) and (self.pattern, self._flags) == (other.pattern, other._flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self._flags))


def compile_all() -> int:
    """Compile every LazyRegex not compiled yet (a server, before it says it is ready: its first question of any
    kind is then as fast as the next); returns how many were compiled."""
    alive = [r for r in (ref() for ref in _MADE) if r is not None]
    _MADE[:] = [weakref.ref(r) for r in alive]
    todo = [r for r in alive if r._compiled is None]
    for regex in todo:
        regex.compiled  # noqa: B018  # compiled and kept
    return len(todo)


def lazy(pattern: str, flags: int = 0) -> LazyRegex:
    """``re.compile(pattern, flags)``, compiled at its first use."""
    return LazyRegex(pattern, flags)
