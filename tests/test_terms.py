"""qa.terms: BM25 tokenization, and BM25 over it (fast; no embedding model). The glossary is in test_query.py."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bm25s
import jieba
import pytest

from qa import terms
from qa.errors import BqaError
from qa.index.sparse import build_sparse, load_sparse, save_sparse, search_sparse
from qa.query import analyze
from qa.terms import bm25_tokenize, tokenize

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hongkou-2025-03.txt"

# Sentences copied verbatim from the seed bulletin (checked by test_sentences_are_verbatim).
LIUZHI = (
    "一年多来（截至2025年6月30日），全区监察组织掌握处置问题线索372件，立案272人，留置37人，"
    "结案227人，查处群众身边腐败和作风问题203个，给予党纪政务处分124人，移送检察机关39人，"
    "集中整治取得阶段性成效。"
)
DEBT_2024 = (
    "截至 2024 年末，本区地方政府债务限额为 430.8 亿元（一般债务限额 101.5 亿元、专项债务限额 "
    "329.3 亿元），实际政府债务余额为 354.78 亿元。"
)
DEBT_2025 = "预计本区地方政府债务限额为 494.9 亿元（一般债务限额 103 亿元、专项债务限额 391.9 亿元）。"
DEBT_2025_REVIEW = (
    "预计本区地方政府债务限额为 494.90 亿元（一般债务限额 103 亿元、专项债务限额 391.90 亿元）。"
)
REFINANCING = (
    "市财政局下达本区 2025 年再融资债券额度为 14.19 亿元，其中：一般债券 14.19 亿元、专项债券 0 亿元。"
)
GDP = "一季度，实现地区生产总值420.54亿元，可比增长7.8%，高于全市2.7个百分点，增速位居全市第2位。"
GOV_FUND = "为 3957 万元，完成年初预算的 53.26%。"
FISCAL_TITLE = "关于虹口区 2024 年财政决算和 2025 年 1—6 月财政预算执行情况的报告"
HOTLINE = "12345 市民服务热线（以下简称“12345 热线”）承担着提供政策咨询、受理投诉举报、解决群众困难等职责"
LIANGJIU = "完成 165 户无卫生设施房屋改造，同心路 961、963 号小梁薄板 100% 签约生效"
SOE = "截至2024年12月31日，本区区属国企总资产为6,438,586.22万元"
MAYOR = "任命宣一洲同志为虹口区副区长。"
JUROR = "免去杜文洁同志的虹口区人民陪审员职务；"
HTML_ROW = '支柱产业\t<ul style="list-style-type: none"> 金融方面，新引进京东东鸿、复星星创等重点企业'
SPEAKER = "区财政局局长 姜 靖"
AUDIT = "截至 2025 年 6 月，针对上年度审计工作报告中反映的问题，已整改问题金额 1.29 亿元"
SENTENCES = [
    LIUZHI,
    DEBT_2024,
    DEBT_2025,
    DEBT_2025_REVIEW,
    REFINANCING,
    GDP,
    GOV_FUND,
    FISCAL_TITLE,
    HOTLINE,
    LIANGJIU,
    SOE,
    MAYOR,
    JUROR,
    HTML_ROW,
    SPEAKER,
    AUDIT,
]


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return CORPUS.read_text(encoding="utf-8")


@pytest.mark.parametrize("sentence", SENTENCES)
def test_sentences_are_verbatim(corpus_text: str, sentence: str) -> None:
    assert sentence in corpus_text


# --- numbers and units ---------------------------------------------------------------


def test_counts_keep_their_unit_and_the_bare_number() -> None:
    tokens = tokenize(LIUZHI)
    for expected in ["留置", "37人", "37", "立案", "272人", "272", "372件", "结案", "227人"]:
        assert expected in tokens
    assert {"党纪政务处分", "124人", "移送检察机关", "39人", "2025年", "6月", "30日"} <= set(tokens)


def test_debt_limit_sentence() -> None:
    tokens = tokenize(DEBT_2024)
    for expected in ["2024年", "2024", "年末", "430.8亿元", "430.8", "亿元", "354.78亿元"]:
        assert expected in tokens
    assert {"地方政府债务限额", "债务限额", "一般债务限额", "专项债务限额", "政府债务余额"} <= set(tokens)
    assert "494.9亿元" in tokenize(DEBT_2025)


def test_trailing_decimal_zeros_and_thousands_separators_are_canonical() -> None:
    assert tokenize(DEBT_2025_REVIEW) == tokenize(DEBT_2025)
    assert {"6438586.22万元", "6438586.22"} <= set(tokenize(SOE))
    assert "14.19亿元" in tokenize(REFINANCING)


def test_percentages_and_percentage_points() -> None:
    tokens = tokenize(GDP)
    assert {"7.8%", "7.8", "2.7个百分点", "420.54亿元", "地区生产总值", "一季度"} <= set(tokens)
    assert {"53.26%", "53.26", "3957万元"} <= set(tokenize(GOV_FUND))


@pytest.mark.parametrize("written", ["1—6 月", "1-6月", "1–6月", "1～6月", "1 至 6 月", "１－６月"])
def test_ranges_are_one_canonical_token(written: str) -> None:
    tokens = tokenize(f"2025 年 {written}财政预算执行情况")
    assert "1—6月" in tokens
    assert {"1", "6", "6月"} <= set(tokens)


def test_range_in_real_title() -> None:
    tokens = tokenize(FISCAL_TITLE)
    assert {"1—6月", "2024年", "2025年", "财政决算", "决算", "预算"} <= set(tokens)


def test_hotline_number_stays_whole() -> None:
    tokens = tokenize(HOTLINE)
    assert "12345" in tokens
    assert {"市民服务热线", "热线"} <= set(tokens)
    assert not any(t in tokens for t in ["123", "1234", "45"])


@pytest.mark.parametrize(
    ("spaced", "tight"),
    [
        ("2025 年", "2025年"),
        ("37 人", "37人"),
        ("立案 40 人", "立案40人"),
        ("99 %", "99%"),
        ("姜 靖", "姜靖"),
    ],
)
def test_layout_spaces_do_not_change_tokens(spaced: str, tight: str) -> None:
    assert tokenize(spaced) == tokenize(tight)


def test_full_width_characters_are_normalised() -> None:
    assert tokenize("２０２５年") == tokenize("2025年")
    assert tokenize("７．８％") == tokenize("7.8%")
    assert tokenize("ＧＤＰ") == ["gdp"]


# --- words, stop words, punctuation -----------------------------------------------------


def test_ascii_words_are_lower_case() -> None:
    assert {"pm2.5", "aqi", "85.1%"} <= set(
        tokenize("上半年 PM2.5 月均浓度为 31.4 微克，空气质量 AQI 优良率达到 85.1%")
    )


def test_html_tags_are_not_tokens() -> None:
    tokens = tokenize(HTML_ROW)
    assert not {"ul", "style", "list", "type", "none"} & set(tokens)
    assert {"支柱产业", "金融"} <= set(tokens)


def test_stop_words_and_punctuation_are_dropped() -> None:
    tokens = tokenize("区监委留置了多少人？")
    assert "留置" in tokens
    assert not {"了", "多少", "？", "?"} & set(tokens)
    assert tokenize("What is the debt limit?") == ["debt", "limit"]


def test_no_punctuation_or_whitespace_tokens(corpus_text: str) -> None:
    tokens = tokenize(corpus_text)
    stop = terms.stopwords()
    assert all(re.search(r"\w", t) and not re.search(r"\s", t) for t in tokens)
    assert not stop & set(tokens)


def test_single_meaningful_characters_are_kept() -> None:
    # "人" and "户" are what "多少人"/"多少户" ask for; a query with only 户 must still match.
    assert "人" in tokenize("留置37人")
    assert "户" in tokenize(LIANGJIU)


def test_dictionary_words_inside_compounds_are_searchable() -> None:
    tokens = tokenize("一般公共预算收入")
    assert {"一般公共预算收入", "一般公共预算", "预算", "收入"} <= set(tokens)
    assert {"旧住房成套改造", "成套改造", "住房"} <= set(tokenize("全力攻坚旧住房成套改造"))


# --- user dictionary ---------------------------------------------------------------------

REQUIRED_TERMS = [
    "留置", "立案", "结案", "移送检察机关", "党纪政务处分", "债务限额", "再融资债券", "新增债券",
    "一般债务", "专项债务", "一般公共预算", "政府性基金", "国有资本经营", "决算", "两旧", "零星旧改",
    "小梁薄板", "旧住房成套改造", "无卫生设施", "市民服务热线", "北外滩", "地区生产总值",
    "固定资产投资", "高新技术企业", "人民陪审员", "审判监督庭",
]  # fmt: skip


def _userdict_terms() -> list[str]:
    return [entry.word for entry in terms._userdict()]


def test_userdict_has_the_domain_terms() -> None:
    words = _userdict_terms()
    assert len(words) >= 150
    assert len(words) == len(set(words)), "duplicate entries"
    assert set(REQUIRED_TERMS) <= set(words)


def test_every_userdict_term_is_a_token_of_itself() -> None:
    broken = [w for w in _userdict_terms() if w not in tokenize(w)]
    assert broken == []


def test_domain_terms_are_cut_whole_in_context() -> None:
    assert {"再融资债券", "再融资债券额度"} <= set(tokenize(REFINANCING))
    assert {"小梁薄板", "无卫生设施"} <= set(tokenize(LIANGJIU))
    assert {"副区长", "人民陪审员"} <= set(tokenize(MAYOR + JUROR))


def test_a_city_named_without_shi_is_one_term_the_city_s_own_text_holds() -> None:
    """jieba's dictionary has 岳阳市 and 唐山市 but not 岳阳 or 唐山: a question's 「2025年岳阳全市」 was cut into 岳 and
    阳 and shared no term with 「岳阳市财政局」 (qa/data/userdict.txt lists such cities)."""
    for city in ("岳阳", "唐山", "吴忠"):
        question = tokenize(f"2025年{city}全市一般公共预算收入是多少？")
        assert city in question, question
        assert city in set(question) & set(tokenize(f"{city}市财政局关于全市一般公共预算收入的报告"))


# --- query side --------------------------------------------------------------------------


def test_question_shares_terms_with_the_answer_sentence() -> None:
    question = set(tokenize("区监委留置了多少人？"))
    assert "留置" in question & set(tokenize(LIUZHI))
    assert {"2024年", "年末", "债务限额"} <= set(tokenize("2024年末本区的地方政府债务限额是多少？")) & set(
        tokenize(DEBT_2024)
    )


# --- determinism, bm25s --------------------------------------------------------------------


def test_a_build_cuts_each_run_once_and_tokenizes_each_passage_as_alone(corpus_text: str, monkeypatch) -> None:
    """bm25_tokenize keeps the runs of Han characters it has cut (a bulletin repeats them): every passage's tokens
    are still what tokenizing it alone gives, also once the store is full, and a run said twice is cut once."""
    import qa.terms as terms

    passages = [p for p in corpus_text.split("\n") if p.strip()][:400]
    passages += passages[:50]  # the same passages again: their runs are cut already
    terms.load_dictionary()  # passages are cut by the whole dictionary, as in a build
    cut = []
    real_cut = terms._cut_terms
    monkeypatch.setattr(terms, "_cut_terms", lambda tk, run: cut.append(run) or real_cut(tk, run))
    corpus = bm25_tokenize(passages)
    assert cut and len(cut) == len(set(cut))  # each run cut once
    words = {i: w for w, i in corpus.vocab.items()}
    assert [[words[i] for i in ids] for ids in corpus.ids] == [tokenize(p) for p in passages]
    monkeypatch.setattr(terms, "RUNS_KEPT", 5)  # a full store cuts the rest each time, the same way
    assert bm25_tokenize(passages) == corpus


def test_tokenize_is_deterministic(corpus_text: str) -> None:
    assert tokenize(corpus_text[:20000]) == tokenize(corpus_text[:20000])
    first = bm25_tokenize(SENTENCES)
    assert first == bm25_tokenize(SENTENCES)
    # ids are assigned in first-seen order, never from a hash-ordered set
    assert list(first.vocab.values()) == list(range(len(first.vocab)))
    liuzhi_types = list(dict.fromkeys(tokenize(LIUZHI)))
    assert list(first.vocab)[: len(liuzhi_types)] == liuzhi_types


def test_fingerprint_is_stable() -> None:
    assert terms.fingerprint() == terms.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{16}", terms.fingerprint())


@pytest.fixture(scope="module")
def retriever() -> bm25s.BM25:
    return build_sparse(SENTENCES)


def _top(model: bm25s.BM25, question: str, k: int = 1) -> list[int]:
    """The passages BM25 ranks first for a question, read as the retriever reads it (English glossed)."""
    return [i for i, _ in search_sparse(model, analyze(question).search_text, k)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("区监委留置了多少人？", LIUZHI),
        ("2024年末本区地方政府债务限额是多少？", DEBT_2024),
        ("2025年再融资债券额度", REFINANCING),
        ("一季度地区生产总值增长多少", GDP),
        ("谁被任命为副区长", MAYOR),
        ("How many people were detained?", LIUZHI),
        ("What was the refinancing bond quota?", REFINANCING),
        ("Who was appointed deputy district mayor?", MAYOR),
        ("Which people's assessors were removed?", JUROR),
    ],
)
def test_bm25_ranks_the_answer_first(retriever: bm25s.BM25, question: str, expected: str) -> None:
    assert SENTENCES[_top(retriever, question)[0]] == expected


def test_bm25_save_load_keeps_the_vocabulary_without_pickle(retriever: bm25s.BM25, tmp_path: Path) -> None:
    questions = ["区监委留置了多少人？", "debt limit at year-end 2024"]
    before = [search_sparse(retriever, analyze(q).search_text, 3) for q in questions]
    save_sparse(retriever, tmp_path / "bm25")
    assert not [p for p in (tmp_path / "bm25").iterdir() if p.suffix in (".pkl", ".pickle")]
    loaded = load_sparse(tmp_path / "bm25")
    assert loaded.vocab_dict == retriever.vocab_dict
    after = [search_sparse(loaded, analyze(q).search_text, 3) for q in questions]
    assert [[i for i, _ in hits] for hits in after] == [[i for i, _ in hits] for hits in before]
    assert [s for hits in after for _, s in hits] == pytest.approx([s for hits in before for _, s in hits], rel=1e-4)


def test_saved_bm25_scores_equal_bm25s_own(retriever: bm25s.BM25, tmp_path: Path) -> None:
    """Answering reads the saved files without bm25s: every passage's score must be what bm25s computes, for
    repeated, unknown and single tokens alike, within half a 16-bit step of each term's column (1/131,070 of its
    largest score), and nowhere a score where bm25s has none."""
    import numpy as np

    save_sparse(retriever, tmp_path / "bm25")
    assert not (tmp_path / "bm25" / "data.csc.index.npy").exists()  # the float32 scores are not kept beside
    mine = load_sparse(tmp_path / "bm25")
    theirs = retriever
    vocab = sorted(t for t in retriever.vocab_dict if t)  # bm25s itself refuses its padding token ""
    queries = [vocab[:1], vocab[3:9], [vocab[5], vocab[5], vocab[7]], vocab]
    queries += [tokenize(q) for q in ("区监委留置了多少人？", "2024年末本区地方政府债务限额是多少？")]
    for tokens in queries:
        known = [t for t in tokens if t in theirs.vocab_dict]
        assert known
        got = mine.get_scores(tokens + ["没有这个词"])
        want = theirs.get_scores(known)
        assert got.dtype == want.dtype == np.float32
        bound = sum(float(mine.scales[mine.vocab_dict[t]]) for t in known) * 0.5 + 1e-5 * float(want.max())
        assert float(np.abs(got - want).max()) <= bound
        assert ((got > 0) == (want > 0)).all()
        assert 0 < bound < 1e-3 * float(want.max())  # a bound that means something
    assert mine.num_docs == len(SENTENCES)
    assert not mine.get_scores(["没有这个词"]).any()


def test_damaged_bm25_files_are_one_error_line(retriever: bm25s.BM25, tmp_path: Path) -> None:
    save_sparse(retriever, tmp_path / "bm25")
    indptr = tmp_path / "bm25" / "indptr.csc.index.npy"
    indptr.write_bytes(indptr.read_bytes()[:-8])
    with pytest.raises(BqaError, match="unreadable.*rebuild"):
        load_sparse(tmp_path / "bm25")


def test_bm25_files_of_the_right_size_but_wrong_contents_are_refused(retriever: bm25s.BM25, tmp_path: Path) -> None:
    """The manifest checks sizes only: a passage index past the last passage must not reach a question."""
    import numpy as np

    save_sparse(retriever, tmp_path / "bm25")
    path = tmp_path / "bm25" / "indices.csc.index.npy"
    indices = np.load(path)
    size = path.stat().st_size
    np.save(path, np.full_like(indices, len(SENTENCES) + 5))
    assert path.stat().st_size == size
    with pytest.raises(BqaError, match="unreadable.*rebuild"):
        load_sparse(tmp_path / "bm25")


def test_bm25_corpus_may_hold_an_empty_passage() -> None:
    corpus = bm25_tokenize([LIUZHI, "？？", DEBT_2024])
    assert corpus.ids[1] == []
    model = build_sparse([LIUZHI, "？？", DEBT_2024])
    assert _top(model, "债务限额") == [2]


def test_bm25_query_without_known_tokens(retriever: bm25s.BM25) -> None:
    assert tokenize("？") == []
    assert search_sparse(retriever, "？", 2) == []
    assert search_sparse(retriever, "qwerty", 2) == []


# --- jieba instance ----------------------------------------------------------------------


def test_private_jieba_instance() -> None:
    tokenize("预热")
    segmenter = terms._segmenter()
    assert segmenter is not jieba.dt
    assert "零星旧改" in segmenter.FREQ
    assert "零星旧改" not in jieba.dt.FREQ


def test_lazy_init_is_thread_safe_and_leaves_jieba_logging_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    builds = []
    real_build = terms._build_segmenter

    def counting_build():
        builds.append(threading.get_ident())
        time.sleep(0.05)  # widen the race window
        return real_build()

    jieba_logger = logging.getLogger("jieba")
    level, filters = jieba_logger.level, list(jieba_logger.filters)
    monkeypatch.setattr(terms, "_jieba", None)
    monkeypatch.setattr(terms, "_LIGHT_CALLS", 0)  # the whole dictionary, as a long-running process loads it
    monkeypatch.setattr(terms, "_build_segmenter", counting_build)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(tokenize(LIUZHI))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert (jieba_logger.level, jieba_logger.filters) == (level, filters)


def test_concurrent_processes_share_a_cold_cache_quietly(tmp_path: Path) -> None:
    script = (
        "import jieba; from qa.terms import tokenize; "
        "print(tokenize('留置37人，债务限额494.9亿元')); print(jieba.dt.initialized)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    for out, err in outputs:
        assert err == ""  # no "Building prefix dict ..." chatter
        assert out == outputs[0][0]
        assert out.splitlines()[1] == "False"  # the global jieba tokenizer was never built
    assert "'37人'" in outputs[0][0]
    assert list(tmp_path.glob("bqa-jieba-*.cache"))


def test_whole_bulletin_tokenizes_in_well_under_a_second(corpus_text: str) -> None:
    tokenize("预热")
    start = time.perf_counter()
    tokens = tokenize(corpus_text)
    elapsed = time.perf_counter() - start
    assert len(tokens) > 20000
    assert elapsed < 1.0, f"{elapsed:.2f} s"


# --- the light table: a cold process cuts its question without loading jieba's whole dictionary ---------------


def _han_runs(text: str):
    return [m.group() for m in terms._TOKEN_RE.finditer(terms.normalize(text)) if m.lastgroup == "han"]


def _gold_questions() -> list[str]:
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "eval"
    out = []
    for f in sorted(root.rglob("*.jsonl")):
        out += [json.loads(line)["question"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def test_light_table_cuts_exactly_as_the_whole_dictionary(seed_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # a machine with no table yet: looked up before it exists
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(terms, "_light", [])
    monkeypatch.setattr(terms, "_jieba", None)
    # caches of an older jieba or word list: the one unread for a month goes when the new table is written
    stale, used, other = (tmp_path / f"bqa-{k}-{os.getuid()}-{n}" for k, n in
                          (("jieba", "old.cache"), ("jieba", "old.light.npy"), ("cedict", "old.json")))
    for f in (stale, used, other):
        f.write_bytes(b"x")
    for f in (stale, other):
        os.utime(f, (time.time() - 30 * 86400,) * 2)
    assert terms._light_table() is None
    full = terms._segmenter()  # writes the light table
    assert terms._light_table() is not None
    assert not stale.exists() and used.exists() and other.exists()  # the dictionary's caches are not jieba's
    light, cache = Path(terms._light_path()), tmp_path / full.cache_file
    assert light.exists() and cache.exists()
    for f in (light, cache):  # a process that reads only the light table marks both as in use
        os.utime(f, (time.time() - 3 * 86400,) * 2)
    monkeypatch.setattr(terms, "_light", [])
    assert terms._light_table() is not None
    assert all(time.time() - f.stat().st_mtime < 60 for f in (light, cache))
    texts = _gold_questions() + [p.read_text(encoding="utf-8") for p in sorted(seed_corpus.glob("*.txt"))]
    runs = {run for text in texts for run in _han_runs(text)}
    assert len(runs) > 1000
    differ = [r for r in runs if list(terms._han_terms(terms._light_tokenizer(r), r)) != list(terms._han_terms(full, r))]
    assert differ == []


def test_a_cold_process_tokenizes_a_question_without_the_whole_dictionary():
    import subprocess
    import sys

    terms._segmenter()  # the table exists
    code = ("from qa import terms; t = terms.tokenize('2025年本区地方政府债务限额是多少？'); "
            "print(terms._jieba is None, '债务限额' in t or '债务' in t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_light_table_of_another_user_is_ignored(monkeypatch, tmp_path):
    import os

    if os.getuid() != 0:
        pytest.skip("needs root to give a file to another user")
    fake = tmp_path / "light.npy"
    terms._segmenter()  # the real table exists: only its owner differs
    fake.write_bytes(Path(terms._light_path()).read_bytes())
    os.chown(fake, 12345, 12345)
    monkeypatch.setattr(terms, "_light_path", lambda segmenter_key=None: str(fake))
    monkeypatch.setattr(terms, "_light", [])
    assert terms._light_table() is None


def test_jieba_is_imported_without_pkg_resources(tmp_path) -> None:
    """jieba's _compat imports pkg_resources (≈ 90 ms) only to find its own files; qa.terms imports jieba
    without it, and jieba still reads its files. A stand-in pkg_resources makes the test fail on the plain
    `import jieba` where setuptools is missing."""
    (tmp_path / "pkg_resources.py").write_text("def resource_stream(*a):\n    raise OSError('used')\n")
    code = ("import sys, qa.terms, jieba\n"
            "print('pkg_resources' in sys.modules, jieba._compat.get_module_res('dict.txt').read(4))\n"
            "print(qa.terms.tokenize('区监委留置了多少人'))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    first, second = run.stdout.splitlines()
    assert first.startswith("False b'")
    assert "留置" in second


def test_jiebas_hmm_tables_load_only_when_the_hmm_is_used():
    """Importing qa.terms imports jieba without its HMM tables (jieba.finalseg is deferred: we cut with the HMM
    off); a cut with the HMM on loads them on first use, and cuts as jieba imported the usual way does, from
    several threads at once."""
    sentences = ["他来到了网易杭研大厦", "区监委留置37人，小明硕士毕业于中国科学院计算所"]
    probe = (
        "import sys, json, threading\n"
        "import qa.terms\n"
        "import jieba\n"
        "before = 'jieba.finalseg.prob_emit' in sys.modules\n"
        "plain = [list(jieba.cut(s, HMM=False)) for s in S]\n"
        "out = {}\n"
        "def cut(i): out[i] = [list(jieba.cut(s, HMM=True)) for s in S]\n"
        "ts = [threading.Thread(target=cut, args=(i,)) for i in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "real = sys.modules['jieba.finalseg']\n"
        "swapped = type(real).__name__ == 'module' and jieba.finalseg is real and hasattr(real, 'cut')\n"
        "print(json.dumps([before, 'jieba.finalseg.prob_emit' in sys.modules, plain, out[0],"
        " all(out[i] == out[0] for i in out) and swapped], ensure_ascii=False))\n"
    )
    reference = (
        "import json, jieba\n"
        "print(json.dumps([list(jieba.cut(s, HMM=True)) for s in S], ensure_ascii=False))\n"
    )

    def run(code: str):
        done = subprocess.run([sys.executable, "-c", f"S = {sentences!r}\n" + code], capture_output=True, text=True,
                              encoding="utf-8", timeout=120, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    before, after, plain, hmm, same = run(probe)
    assert not before and after and same
    assert hmm == run(reference)
    assert "杭研" in hmm[0] and "杭研" not in plain[0]  # the HMM was used


def test_han_counts_chinese_characters_only():
    from qa.han import han_count, is_han

    assert is_han("中") and is_han("\u9fff") and not is_han("a") and not is_han("，") and not is_han("〇")
    assert han_count("2025年GDP增长5.4%，") == 3
    assert han_count("区监委留置37人") == 6
