"""qa.regex_cache: a pattern's compiled code kept between processes, rebuilt into the pattern re.compile makes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
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


KEY = "0:(?P<x>a+)b"


def _signed(flags, groups, names, code) -> list:
    """An entry with the digest of KEY and its contents, as a write of ours would make it."""
    return [flags, groups, names, code, regex_cache._digest(KEY, flags, groups, names, code)]


@pytest.mark.parametrize("make", [
    lambda v: _signed(32, 2, {"x": 1}, "AAAAAA=="),  # one opcode 0 (FAILURE), no INFO: the engine's check refuses it
    lambda v: _signed(32, 2, {"x": 1}, "!!"),  # not base64
    lambda v: _signed(32, 10 ** 8, {"x": 1}, v[3]),  # more groups than the code holds (unchecked: 2.7 s, 1.5 GB)
    lambda v: _signed(32, 2, {"x": 5}, v[3]), lambda v: _signed(32, 2, {"x": 1, "y": 1}, v[3]),  # groups out of range
    lambda v: [2, *v[1:]],  # flags changed: the digest fails
    lambda v: [v[0], v[1], {"y": 1}, v[3], v[4]],  # a group renamed: the digest fails
    lambda v: _signed("32", 2, {"x": 1}, v[3]), lambda v: _signed(True, 2, {"x": 1}, v[3]),
    lambda v: _signed(32, "2", {"x": 1}, v[3]), lambda v: [32, 2, [], v[3], v[4]],
    lambda v: v[:4], lambda v: "x", lambda v: None,
])
def test_a_bad_entry_is_compiled_again(tmp_path: Path, make) -> None:
    """Whatever an entry holds, the pattern is re.compile's (the same code, flags, groups and group names)."""
    good = RegexStore(tmp_path / "c" / "regex.json")
    good.compile(r"(?P<x>a+)b")
    assert good.flush()
    valid = json.loads(good.path.read_text(encoding="utf-8"))[KEY]
    good.path.write_text(json.dumps({KEY: make(valid)}), encoding="utf-8")
    store = RegexStore(good.path)
    regex, plain = store.compile(r"(?P<x>a+)b"), re.compile(r"(?P<x>a+)b")
    assert regex == plain and (regex.groups, regex.groupindex) == (plain.groups, plain.groupindex)
    assert regex.fullmatch("aab").groupdict() == {"x": "aa"} and store.hits == 0


def test_an_entry_under_another_key_is_refused(tmp_path: Path) -> None:
    """An entry moved under another pattern's key fails its digest, even the code of a pattern re refuses: '('
    still raises re.error, as re.compile does."""
    store = RegexStore(tmp_path / "c" / "regex.json")
    store.compile("a")
    store.compile("a", re.IGNORECASE)
    assert store.flush()
    data = json.loads(store.path.read_text(encoding="utf-8"))
    store.path.write_text(json.dumps({"0:(": data["0:a"], "0:b": data["0:a"], "2:a": data["0:a"]}), encoding="utf-8")
    moved = RegexStore(store.path)
    with pytest.raises(re.error):
        moved.compile("(")
    assert moved.compile("b") == re.compile("b") and moved.compile("a", re.I) == re.compile("a", re.I)
    assert moved.hits == 0


@pytest.mark.parametrize("junk", ["not json", "[1, 2]", '{"0:a": 3}', "[" * 100000])
def test_a_file_that_is_not_ours_reads_as_empty(tmp_path: Path, junk: str) -> None:
    path = tmp_path / "c" / "regex.json"
    path.parent.mkdir(mode=0o700)
    path.write_text(junk, encoding="utf-8")
    store = RegexStore(path)
    assert store.compile("a").match("a") is not None and store.hits == 0


def test_debug_and_flag_objects(tmp_path: Path, capsys) -> None:
    """re.DEBUG prints the parse each time (re.compile's, never kept); flags re refuses raise its error; a
    RegexFlag and its int are one entry."""
    store = RegexStore(tmp_path / "c" / "regex.json")
    store.compile("ab", re.DEBUG)
    assert capsys.readouterr().out and not store._new
    for bad in (2.0, "2"):
        with pytest.raises(TypeError):
            re.compile("ab", bad)
        with pytest.raises(TypeError):
            store.compile("ab", bad)
    for error in (lambda: re.compile("ab", 1 << 40), lambda: store.compile("ab", 1 << 40)):
        with pytest.raises(OverflowError):
            error()
    assert not store._new
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


def test_the_patterns_built_from_the_units_are_the_same_in_every_process(tmp_path: Path) -> None:
    """Units of one length were joined in the order of a set, which changes with the process's hash seed: the
    pattern's text then differed from one process to the next and was never found in the file."""
    code = ("from qa.answer.generators import _number_re; from qa.query.analyze import _count_re; "
            "print(_number_re().pattern, _count_re().pattern)")
    seen = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed, "TMPDIR": str(tmp_path)},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(seen) == 1


def test_old_files_of_the_family_are_pruned_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    store = RegexStore(folder / "regex-aaaaaaaaaaaa.json")
    store.compile("戊")
    assert store.flush()
    month = time.time() - 30 * 86400
    for name in ("regex-bbbbbbbbbbbb.json", "regex-bbbbbbbbbbbb.json.x1.tmp", "notes.txt"):
        (folder / name).write_text("{}", encoding="utf-8")
        os.utime(folder / name, (month, month))
    store.compile("己")
    assert store.flush()
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "regex-aaaaaaaaaaaa.json"]


def test_a_file_past_the_size_limit_is_not_read_and_a_write_keeps_what_was_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "c" / "regex.json"
    first = RegexStore(path)
    for i in range(20):
        first.compile(f"庚{i}")
    assert first.flush()
    size = path.stat().st_size
    monkeypatch.setattr(regex_cache, "MAX_BYTES", size - 1)
    over = RegexStore(path)
    over.compile("庚1")
    assert over.hits == 0  # the file is past the limit: not read
    monkeypatch.setattr(regex_cache, "MAX_BYTES", size + 50)
    second = RegexStore(path)
    second.compile("庚1")
    second.compile("辛")  # the merged file would pass the limit: only what this process read is kept
    assert second.hits == 1 and second.flush()
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {"0:庚1", "0:辛"}


def test_a_read_marks_the_file_used(tmp_path: Path) -> None:
    path = tmp_path / "c" / "regex.json"
    first = RegexStore(path)
    first.compile("壬")
    assert first.flush()
    old = time.time() - 3 * 86400
    os.utime(path, (old, old))
    RegexStore(path).compile("壬")
    assert time.time() - path.stat().st_mtime < 60


def test_a_pattern_the_file_cannot_hold_is_compiled_and_not_kept(tmp_path: Path) -> None:
    store = RegexStore(tmp_path / "c" / "regex.json")
    lone = "x\ud800"
    assert store.compile(lone) == re.compile(lone) and not store._new and store.flush() is False
