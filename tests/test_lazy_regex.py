"""qa.lazy_regex: a pattern compiled at its first use, behaving as the compiled pattern from then on."""

from __future__ import annotations

import re

import pytest

from qa.errors import BqaError
from qa.lazy_regex import LazyRegex, lazy
from qa.query.lexicon import _load


def test_a_lazy_pattern_matches_as_the_compiled_one_and_compiles_once() -> None:
    source = r"(?<![\d.])(?P<n>\d+(?:\.\d+)?)\s*(?P<u>亿元|万元)"
    regex = lazy(source)
    assert regex.pattern == source and regex._compiled is None  # its source is read without compiling it
    text = "收入53.62亿元，支出 12 万元"
    plain = re.compile(source)
    assert [m.groupdict() for m in regex.finditer(text)] == [m.groupdict() for m in plain.finditer(text)]
    compiled = regex.compiled
    assert compiled is regex.compiled and compiled.pattern == source  # compiled once, kept
    assert regex.search == compiled.search and regex.sub("X", text) == plain.sub("X", text)
    assert regex.groupindex == plain.groupindex and regex.groups == 2
    assert lazy(source) == regex and hash(lazy(source)) == hash(regex) and lazy(source, re.I) != regex


def test_a_bad_pattern_fails_at_its_first_use_with_its_own_error() -> None:
    bad = lazy("(比重")  # no error until it is used
    with pytest.raises(re.error):
        bad.search("比重")
    named = LazyRegex("(比重", on_error=lambda err: BqaError(f"qa/data/query_words.tsv: bad pattern: {err}"))
    with pytest.raises(BqaError, match="query_words.tsv"):
        named.finditer("比重")


def test_a_pattern_built_from_a_bad_word_list_pattern_names_the_file() -> None:
    """A pattern built from a word list's source (the change verbs at the end of a figure's words) raises the word
    list's one-line error, not re.error."""
    import dataclasses

    from qa.query.lexicon import _compile

    lex = dataclasses.replace(_load(), change_verbs=_compile("(增长", "the change_verb words"))
    with pytest.raises(BqaError, match="query_words.tsv: bad pattern in the change_verb words"):
        lex.figure_roles("收入增长")
    assert lazy("增长").checked_pattern == "增长"


def test_loading_the_word_lists_compiles_none_of_their_patterns() -> None:
    """A question compiles only the patterns it reads (most read some of them; a cold `bqa ask` saved ≈ 7 ms)."""
    lex = _load()
    patterns = [p.regex for group in (lex.intents, lex.scopes, lex.units, lex.roles, lex.verdicts) for p in group]
    patterns += [lex.cues, lex.negation, lex.org_suffix, *lex.head_ends.values(), *lex.operand_cues.values()]
    assert len(patterns) > 50 and all(r._compiled is None for r in patterns)
    assert lex.find(lex.units, "多少亿元") and lex.units[0].regex._compiled is not None
    assert all(r._compiled is None for r in (lex.cues, *(p.regex for p in lex.verdicts)))  # not read: not compiled


def test_compile_all_compiles_every_pattern_not_yet_compiled() -> None:
    """What a server runs before it says it is ready: afterwards no pattern is left to compile at a question."""
    from qa.lazy_regex import _MADE, compile_all

    fresh = lazy(r"(?<![\d.])待编译\d+")
    lex = _load()
    compile_all()
    assert fresh._compiled is not None and lex.cues._compiled is not None
    assert all(r._compiled is not None for r in (ref() for ref in _MADE) if r is not None)
    assert compile_all() == 0


def test_compile_glossary_compiles_the_pattern_of_every_start() -> None:
    lex = _load()
    assert not lex._glossary_starts
    lex.compile_glossary()
    assert set(lex._glossary_starts) == set(lex._glossary_by_start)
    assert lex.gloss("What is the debt limit?") and set(lex._glossary_starts) == set(lex._glossary_by_start)
