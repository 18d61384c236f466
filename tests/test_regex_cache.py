"""qa.regex_cache: a pattern's compiled code kept between processes, rebuilt into the pattern re.compile makes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qa import regex_cache
from qa.regex_cache import RegexStore

pytestmark = pytest.mark.skipif(regex_cache._engine() is None, reason="CPython's re internals are not there")

REPO = Path(__file__).resolve().parents[1]


def _packaged_patterns() -> list[tuple[str, int]]:
    """Every pattern qa makes: its modules' and its word lists' (LazyRegex), and those built from its data."""
    import qa.answer.derived  # noqa: F401 — each module's patterns are made at its import
    import qa.answer.respectively  # noqa: F401
    import qa.answer.rows  # noqa: F401
    import qa.api  # noqa: F401
    from qa.answer.generators import _cn_count_re, _number_re
    from qa.lazy_regex import _MADE
    from qa.query.analyze import _count_re
    from qa.query.lexicon import _load

    lexicon = _load()  # kept while its patterns are read (_MADE holds weak references)
    lexicon.compile_glossary()
    made = {(r.pattern, r._flags) for r in (ref() for ref in _MADE) if r is not None}
    built = [_number_re(), _cn_count_re(), _count_re(), *lexicon._glossary_starts.values()]
    made |= {(p.pattern, p.flags & ~re.UNICODE) for p in built}
    return sorted(made)


def _matches(regex: re.Pattern[str], texts: list[str]) -> list:
    return [[(m.span(), m.groups(), m.groupdict()) for m in regex.finditer(t)] for t in texts]


def test_every_packaged_pattern_rebuilt_from_the_file_matches_as_re_compiles(tmp_path: Path) -> None:
    """The same flags, groups and matches (spans, groups) on a bulletin's text and questions, for each of the
    ≈ 450 patterns qa makes, after a first process wrote them and a second read them."""
    patterns = _packaged_patterns()
    assert len(patterns) > 300
    path = tmp_path / "regex.json"
    first = RegexStore(path)
    for source, flags in patterns:
        first.compile(source, flags)
    assert first.hits == 0 and first.flush() and path.is_file()
    second = RegexStore(path)
    text = (REPO / "corpus" / "hongkou-2025-03.txt").read_text(encoding="utf-8")
    texts = [text[:30000], "区监委留置了多少人？ What is the 2025 debt limit? 一般债务和专项债务哪个多？比上年增长3.5%，约42.6万立方米",
             "2025年1—6月 5G 沪财债〔2025〕25号 by how much did it rise? 12,345.6万元 -0.02亿元 百分之几"]
    for source, flags in patterns:
        kept, plain = second.compile(source, flags), re.compile(source, flags)
        assert kept == plain, source  # a Pattern's == compares its source, flags and code
        assert (kept.groups, kept.groupindex) == (plain.groups, plain.groupindex), source
        assert _matches(kept, texts) == _matches(plain, texts), source
    assert second.hits == len(patterns)  # every one came from the file


FLAGGED = [  # what the packaged patterns do not use: flags, inline flags, references, conditionals
    (r"(?P<y>\d{4})年(?P=y)?", re.IGNORECASE), (r"^a.b$", re.MULTILINE | re.DOTALL), (r"\w+", re.ASCII),
    (r"""(?x) \d+ # digits
     [.]?""", 0), (r"(?i:abc)d", 0), (r"(a)?(?(1)b|c)", 0), (r"(?>a+)b", 0), (r"a++b", 0), (r"(?s).", 0),
    (r"ſ", re.IGNORECASE), (r"(?P<first>x)(?P<second>y)\2", re.VERBOSE), (r"[^\W\d]+", re.UNICODE),
]


def test_flags_and_groups_come_back_as_re_makes_them(tmp_path: Path) -> None:
    path = tmp_path / "c" / "regex.json"
    first = RegexStore(path)
    made = [first.compile(p, f) for p, f in FLAGGED]
    assert first.flush()
    second = RegexStore(path)
    for (p, f), before in zip(FLAGGED, made, strict=True):
        kept, plain = second.compile(p, f), re.compile(p, f)
        assert kept == plain == before and kept.groupindex == plain.groupindex
        text = "2025年2025 a\nb ABCd bc ſS Ss xyy 12.5"
        assert _matches(kept, [text]) == _matches(plain, [text])
    assert second.hits == len(FLAGGED)


CODE = "code"  # stands for the pattern's own valid code in the entries below


@pytest.mark.parametrize("entry", [
    [32, 1, {}, "AAAAAA=="],  # one opcode 0 (FAILURE) and no INFO: the engine's check refuses it
    [32, 2, {"x": 1}, "!!"],  # not base64
    [32, 10 ** 8, {"x": 1}, CODE],  # a group count past the engine's limit (unchecked: 2.7 s and 1.5 GB)
    [32, 2, {"x": 5}, CODE], [32, 2, {"x": 1, "y": 1}, CODE], [32, 2, {"x": "1"}, CODE],  # groups out of range
    ["32", 2, {"x": 1}, CODE], [True, 2, {"x": 1}, CODE], [32, "2", {"x": 1}, CODE], [32, 2, [], CODE],
    [32, 2, {"x": 1}], "x", None,
])
def test_a_bad_entry_is_compiled_again(tmp_path: Path, entry) -> None:
    """Whatever an entry holds, the pattern is re.compile's (the same code, flags, groups and group names)."""
    good = RegexStore(tmp_path / "c" / "regex.json")
    good.compile(r"(?P<x>a+)b")
    assert good.flush()
    valid = json.loads(good.path.read_text(encoding="utf-8"))["0:(?P<x>a+)b"]
    if isinstance(entry, list):
        entry = [valid[3] if v == CODE else v for v in entry]
    good.path.write_text(json.dumps({"0:(?P<x>a+)b": entry, "0:z": valid}), encoding="utf-8")
    store = RegexStore(good.path)
    regex, plain = store.compile(r"(?P<x>a+)b"), re.compile(r"(?P<x>a+)b")
    assert regex == plain and (regex.groups, regex.groupindex) == (plain.groups, plain.groupindex)
    assert regex.fullmatch("aab").groupdict() == {"x": "aa"} and store.hits == 0


def test_a_valid_entry_under_another_patterns_key_is_refused_or_harmless(tmp_path: Path) -> None:
    """An entry is the code of its own key's pattern; one moved under another key is refused by the engine or
    matches as its code says, never crashes (the engine checks any code it is given)."""
    store = RegexStore(tmp_path / "c" / "regex.json")
    store.compile(r"\d+")
    assert store.flush()
    data = json.loads(store.path.read_text(encoding="utf-8"))
    store.path.write_text(json.dumps({"0:[a-z]+": data["0:\\d+"]}), encoding="utf-8")
    RegexStore(store.path).compile("[a-z]+").search("abc 123")  # no crash: whatever it returns


@pytest.mark.parametrize("junk", ["not json", "[1, 2]", '{"0:a": 3}', "[" * 100000])
def test_a_file_that_is_not_ours_reads_as_empty(tmp_path: Path, junk: str) -> None:
    path = tmp_path / "c" / "regex.json"
    path.parent.mkdir(mode=0o700)
    path.write_text(junk, encoding="utf-8")
    store = RegexStore(path)
    assert store.compile("a").match("a") is not None and store.hits == 0


def test_debug_and_flag_objects(tmp_path: Path, capsys) -> None:
    """re.DEBUG prints the parse each time (re.compile's, never kept); a RegexFlag and its int are one entry."""
    store = RegexStore(tmp_path / "c" / "regex.json")
    store.compile("ab", re.DEBUG)
    assert capsys.readouterr().out and not store._new
    store.compile("ab", re.IGNORECASE)
    store.compile("ab", int(re.IGNORECASE))
    assert list(store._new) == [f"{int(re.IGNORECASE)}:ab"] and store.hits == 1


def test_a_link_or_another_users_file_or_an_open_folder_is_not_read(tmp_path: Path) -> None:
    real = tmp_path / "c" / "real.json"
    first = RegexStore(real)
    first.compile(r"\d+年")
    assert first.flush() and oct(real.parent.stat().st_mode & 0o777) == "0o700"
    link = real.parent / "link.json"
    link.symlink_to(real)
    through_link = RegexStore(link)
    through_link.compile(r"\d+年")
    assert through_link.hits == 0
    real.parent.chmod(0o755)  # a folder others may read: not trusted, not written
    opened = RegexStore(real)
    opened.compile(r"\d+年")
    assert opened.hits == 0
    real.parent.chmod(0o700)
    if os.geteuid() == 0:  # only root can give a file away
        os.chown(real, 12345, 12345)
        theirs = RegexStore(real)
        theirs.compile(r"\d+年")
        assert theirs.hits == 0


def test_two_writers_merge_and_leave_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "c" / "regex.json"
    a, b = RegexStore(path), RegexStore(path)
    a.compile("甲+")
    b.compile("乙+")
    assert a.flush() and b.flush() and not a.flush()  # nothing new the second time
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {"0:甲+", "0:乙+"}
    assert [p.name for p in path.parent.iterdir()] == ["regex.json"]
    reader = RegexStore(path)
    reader.compile("甲+")
    reader.compile("乙+")
    assert reader.hits == 2


def test_a_folder_we_cannot_make_or_an_interrupted_write_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    store = RegexStore(tmp_path / "file" / "c" / "regex.json")  # its folder cannot be made
    assert store.compile("丙").search("甲乙丙") is not None
    assert store.flush() is False
    path = tmp_path / "c" / "regex.json"
    interrupted = RegexStore(path)
    interrupted.compile("丁")

    def stop(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(regex_cache.os, "replace", stop)
    with pytest.raises(KeyboardInterrupt):
        interrupted.flush()
    assert list(path.parent.iterdir()) == []


def test_a_second_process_reads_what_the_first_wrote_at_exit(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = ("from qa import regex_cache; r = regex_cache.compile(r'(?P<n>\\d+)亿元'); "
            "print(regex_cache.store().hits, r.search('共53亿元').group('n'))")
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs == ["0 53\n", "1 53\n"]
    assert len(list(tmp_path.glob("bqa-regex-*/*.json"))) == 1


def test_the_patterns_built_from_the_units_are_the_same_in_every_process() -> None:
    """Units of one length were joined in the order of a set, which changes with the process's hash seed: the
    pattern's text then differed from one process to the next and was never found in the file."""
    code = ("from qa.answer.generators import _number_re; from qa.query.analyze import _count_re; "
            "print(_number_re().pattern, _count_re().pattern)")
    seen = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(seen) == 1
