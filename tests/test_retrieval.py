"""Retrieval over a corpus of several places and of copies: the named place's passages are searched, and one
text held by two sources is shown once."""

from __future__ import annotations

import shutil

import pytest

from qa.api import BulletinQA, place_map
from qa.embedders import make_embedder
from qa.index.store import build_index, load_index
from qa.query import Query, analyze
from qa.retrieval import Retriever

_REPORT = """{place}{year}年预算执行情况的报告

{place}财政局

一、{year}年预算执行情况

全市一般公共预算收入{income}亿元，为预算的99.7%，同比增长3.1%。
全市一般公共预算支出{spending}亿元，增长4.3%。
市本级一般公共预算收入{own}亿元，为预算的95.9%。
"""

_FIGURES = {
    "石嘴山市": ("29.23", "129.07", "13.58"),
    "济南市": ("1093.35", "1301.22", "334.37"),
    "阜新市": ("53.68", "230.44", "10.93"),
}


@pytest.fixture(scope="module")
def places_corpus(tmp_path_factory):
    """Three cities' reports worded alike (the common case among budget reports), and one of them twice: as
    its text and as a copy under another name (a report's PDF beside its text version)."""
    corpus = tmp_path_factory.mktemp("places")
    for k, (place, (income, spending, own)) in enumerate(_FIGURES.items()):
        text = _REPORT.format(place=place, year=2025, income=income, spending=spending, own=own)
        (corpus / f"report-{k}.txt").write_text(text, encoding="utf-8")
    shutil.copy(corpus / "report-0.txt", corpus / "report-0-copy.txt")
    folder = tmp_path_factory.mktemp("places-index")
    build_index(corpus, folder, "fake")
    return folder


def _retriever(folder) -> Retriever:
    return BulletinQA(load_index(folder), make_embedder("fake"), packaged_models=False).retriever


def _query(retriever: Retriever, question: str) -> Query:
    return analyze(question, names=place_map(retriever.index))


def _places_of(retriever: Retriever, question: str) -> set[str]:
    pool = retriever.pool(_query(retriever, question))
    return {retriever.index.sources[retriever.index.chunks[int(i)].source].place for i in pool.ids}


def test_a_question_naming_a_place_is_answered_from_that_place_only(places_corpus):
    retriever = _retriever(places_corpus)
    assert _places_of(retriever, "2025年济南全市一般公共预算收入完成了多少？") == {"济南市"}
    assert _places_of(retriever, "济南和阜新2025年全市一般公共预算收入各是多少？") == {"济南市", "阜新市"}
    # no place named, or one that is no place of this corpus (厦门): every source may answer
    assert _places_of(retriever, "2025年全市一般公共预算收入完成了多少？") == set(_FIGURES)
    assert _places_of(retriever, "2025年厦门全市一般公共预算收入完成了多少？") == set(_FIGURES)


def test_a_text_two_sources_hold_is_one_passage_with_its_copy(places_corpus):
    retriever = _retriever(places_corpus)
    passages = retriever.search(_query(retriever, "2025年石嘴山全市一般公共预算收入完成了多少？"), top_k=10)
    texts = ["".join(p.chunk.text.split()) for p in passages]
    assert len(texts) == len(set(texts))  # each text once
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    copied = [p for p in passages if p.copies]
    assert copied  # the two files' passages were found …
    for p in copied:  # … and each shown once, the other file's place kept as its copy
        assert {p.chunk.source, *(c.source for c in p.copies)} == {"report-0.txt", "report-0-copy.txt"}
        assert all("".join(c.text.split()) == "".join(p.chunk.text.split()) for c in p.copies)


def test_equal_texts_of_one_source_stay_apart(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    line = "全市一般公共预算收入29.23亿元，为预算的99.7%，同比增长3.1%。"
    (corpus / "a.txt").write_text(f"石嘴山市2025年预算执行情况的报告\n\n一、收入\n\n{line}\n\n二、再述\n\n{line}\n",
                                  encoding="utf-8")
    build_index(corpus, tmp_path / "i", "fake")
    retriever = _retriever(tmp_path / "i")
    passages = retriever.search(analyze("全市一般公共预算收入是多少？"), top_k=10)
    same = [p for p in passages if "29.23" in p.chunk.text and "二、" not in p.chunk.text]
    assert len(same) == 2 and not any(p.copies for p in same)


def test_copies_are_in_the_json_the_text_and_the_page(places_corpus):
    from qa.app import _passage_html
    from qa.render import render_text

    engine = BulletinQA(load_index(places_corpus), make_embedder("fake"), packaged_models=False)
    result = engine.ask("2025年石嘴山全市一般公共预算收入完成了多少？", top_k=5)
    rows = result.to_dict()["passages"]
    assert all(isinstance(r["copies"], list) for r in rows)
    copied = [r for r in rows if r["copies"]]
    assert copied
    for r in copied:
        for k in r["copies"]:  # a copy is cited like a passage: its offsets slice its own source
            assert "".join(engine.index.texts[k["source"]][k["start"]:k["end"]].split()) == "".join(r["text"].split())
    text = render_text(result)
    assert text.count("同文见 report-0") == len(copied)  # in the question's language
    p = next(p for p in result.passages if p.copies)
    assert f"同文见 {p.copies[0].source}" in _passage_html(engine, result, p)  # the page speaks the question's language


def test_the_best_contexts_are_taken_among_those_a_filter_lets_through(places_corpus, monkeypatch):
    import qa.retrieval.features as features

    monkeypatch.setattr(features, "CONTEXT_N", 1)
    retriever = _retriever(places_corpus)
    query = _query(retriever, "一般公共预算收支情况")
    chunks = retriever.index.chunks

    def by_context(pool) -> set[str]:
        return {chunks[int(i)].source for i, r in zip(pool.ids, pool.ranks, strict=True) if "context" in r}

    best = by_context(retriever.pool(query))
    assert len(best) >= 1
    other = next(s for s in ("report-1.txt", "report-2.txt", "report-0.txt") if s not in best)
    assert by_context(retriever.pool(query, sources=[other])) == {other}  # not nothing: the best context it allows


def test_a_table_cells_answer_carries_its_tables_unit_in_the_json():
    from qa.api import answer_dict
    from qa.types import Answer, Operand

    cell = Answer(text="1,013,500", source="a.txt", start=0, end=9, passage_rank=1, kind="table_cell", probability=0.9,
                  unit="万元")
    assert answer_dict(cell)["unit"] == "万元"
    figure = Answer(text="101.35亿元", source="a.txt", start=0, end=8, passage_rank=1, kind="number", probability=0.9)
    assert "unit" not in answer_dict(figure) and "operands" not in answer_dict(cell)
    operand = Operand(text="62.60亿元", source="a.txt", start=0, end=7, value=62.6, unit="亿元", passage_rank=1)
    derived = Answer(text="46.91亿元", source="a.txt", start=0, end=7, passage_rank=1, kind="derived", probability=0.9,
                     operands=(operand, operand), value=46.91, unit="亿元")
    out = answer_dict(derived)  # a derived answer keeps its operands beside its value and unit
    assert (out["value"], out["unit"], [o["text"] for o in out["operands"]]) == (46.91, "亿元", ["62.60亿元"] * 2)


def test_a_chosen_source_about_another_place_is_still_searched(places_corpus):
    retriever = _retriever(places_corpus)
    query = _query(retriever, "2025年石嘴山全市一般公共预算收入完成了多少？")
    pool = retriever.pool(query, sources=["report-1.txt"])  # 济南's report, chosen by name
    assert len(pool.ids) and {retriever.index.chunks[int(i)].source for i in pool.ids} == {"report-1.txt"}


def test_a_place_inside_another_word_is_not_named(places_corpus):
    retriever = _retriever(places_corpus)
    assert "济南" in _query(retriever, "2025年区域经济南北的一般公共预算收入差多少？").places  # a substring …
    assert _places_of(retriever, "2025年区域经济南北的一般公共预算收入差多少？") == set(_FIGURES)  # … not a word
    assert _places_of(retriever, "2025年济南市一般公共预算收入是多少？") == {"济南市"}


def test_copies_join_the_first_passage_of_their_text_without_one_from_their_source(places_corpus):
    from dataclasses import replace
    from types import SimpleNamespace

    import numpy as np

    from qa.retrieval import distinct_passages

    base = load_index(places_corpus).chunks[0]
    chunks = [replace(base, chunk_id=f"c{i}", source=src, start=i * 10, end=i * 10 + 5)
              for i, src in enumerate(["a.txt", "a.pdf", "a.txt", "a.pdf", "b.txt"])]
    index = SimpleNamespace(chunks=chunks)
    pool = SimpleNamespace(ids=np.arange(5), ranks=[{} for _ in range(5)])
    order, scores = np.arange(5), np.linspace(1, 0, 5)
    shown = distinct_passages(index, ["same"] * 4 + ["other"], pool, order, scores, top_k=10)
    assert [(p.chunk.chunk_id, [c.chunk_id for c in p.copies]) for p in shown] == [
        ("c0", ["c1"]), ("c2", ["c3"]), ("c4", [])]  # a.txt's text twice: each once, each with its PDF copy
    assert [p.rank for p in shown] == [1, 2, 3]


def test_labels_read_copies_in_other_sources_only(tmp_path):
    from types import SimpleNamespace

    import numpy as np

    from qa.answer import Candidate
    from qa.evaluation.gold import Span
    from qa.evaluation.runner import _candidate_places, _pool_labels
    from qa.types import Passage

    corpus = tmp_path / "c"
    corpus.mkdir()
    line = "全市一般公共预算收入29.23亿元，为预算的99.7%，同比增长3.1%。"
    text = f"石嘴山市2025年预算执行情况的报告\n\n一、收入\n\n{line}\n\n二、再述\n\n{line}\n"
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    (corpus / "b.txt").write_text(text.replace("收入", "收  入"), encoding="utf-8")  # the same up to whitespace
    build_index(corpus, tmp_path / "i", "fake")
    engine = BulletinQA(load_index(tmp_path / "i"), make_embedder("fake"), packaged_models=False)
    chunks = engine.index.chunks
    rows = [i for i, c in enumerate(chunks) if "29.23" in c.text]
    first = min((i for i in rows if chunks[i].source == "a.txt"), key=lambda i: chunks[i].start)
    at = engine.index.texts["a.txt"].index("29.23")
    pool = SimpleNamespace(ids=np.array(rows))
    labels = dict(zip(rows, _pool_labels(pool, engine, [Span("a.txt", at, at + 7)]), strict=True))
    assert labels[first]  # the covering row …
    assert all(labels[i] for i in rows if chunks[i].source == "b.txt")  # … and its copies in b.txt
    assert not any(labels[i] for i in rows if chunks[i].source == "a.txt" and i != first)  # not a.txt's repeat

    copy = next(c for c in chunks if c.source == "b.txt" and "29.23" in c.text)
    raw = engine.index.texts["b.txt"][copy.start:copy.end]
    assert "".join(raw.split()) == "".join(chunks[first].text.split()) != raw  # a copy, spaced out in its source
    passage = Passage(chunks[first], 1.0, 1, copies=(copy,))
    start = engine.index.texts["a.txt"].index("为预算的99.7%", chunks[first].start)
    cand = Candidate("为预算的99.7%", "为预算的99.7%", "a.txt", start, start + 9, "number", "%", 1,
                     chunks[first].chunk_id, np.zeros(1))
    places = _candidate_places(cand, [passage], engine.index.texts)
    src, s, e = places[1]
    assert src == "b.txt" and "".join(engine.index.texts["b.txt"][s:e].split()) == "为预算的99.7%"


def test_passages_that_are_not_table_rows_have_their_own_bm25_list(tmp_path, monkeypatch):
    import qa.retrieval.features as features

    corpus = tmp_path / "c"
    corpus.mkdir()
    rows = "\n".join(f"第{i}项收入\t{100 + i}\t{90 + i}" for i in range(30))
    (corpus / "a.txt").write_text(
        "石嘴山市2025年预算执行情况的报告\n\n一、收入情况\n\n全市一般公共预算收入29.23亿元，为预算的99.7%。\n\n"
        f"表一 2025年全市一般公共预算收入情况表\n项目\t预算数\t完成数\n{rows}\n", encoding="utf-8")
    build_index(corpus, tmp_path / "i", "fake")
    retriever = _retriever(tmp_path / "i")
    chunks = retriever.index.chunks
    assert sum(c.kind == "table_row" for c in chunks) >= 20
    monkeypatch.setattr(features, "BM25_N", 3)  # the corpus-wide list holds table rows only …
    pool = retriever.pool(_query(retriever, "2025年全市一般公共预算收入是多少？"))
    by_list = {name: {chunks[int(i)].kind for i, r in zip(pool.ids, pool.ranks, strict=True) if name in r}
               for name in ("bm25", "prose")}
    assert by_list["bm25"] == {"table_row"}
    assert by_list["prose"] and "table_row" not in by_list["prose"]  # … the prose list has the passage
    prose = next(k for k, i in enumerate(pool.ids) if "29.23" in chunks[int(i)].text)
    assert pool.ranks[prose].get("prose") == 1 and pool.features[prose][features.FEATURES.index("prose_rr")] == 1.0


def _investor_pool(tmp_path, text: str):
    """A one-file corpus of ``text`` and the pool of an English question whose word "investor" the dictionary
    gives as 投资者 or 投资人 (``Query.senses``)."""
    import dataclasses

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "i", "fake")
    retriever = _retriever(tmp_path / "i")
    query = dataclasses.replace(analyze("How many investor accounts were there?"), terms=("投资者", "投资人", "账户"),
                                senses=(("投资者", "投资人"),), search_text="investor accounts 投资者 投资人 账户")
    return retriever, retriever.pool(query)


def test_a_passage_saying_another_dictionary_word_of_the_same_english_word_is_covered(tmp_path):
    """"investor": 投资者 or 投资人 (``Query.senses``); a passage saying either holds the whole question."""
    import qa.retrieval.features as features

    retriever, pool = _investor_pool(tmp_path, "福州市2025年统计公报\n\n一、证券\n\n年末全市投资人账户642.29万户。\n\n"
                                               "二、其他\n\n年末全市投资者账户12.5万户。\n\n三、天气\n\n全年晴天210天。\n")
    chunks = retriever.index.chunks
    for name in ("coverage", "coverage_ctx"):
        column = features.FEATURES.index(name)
        coverage = {chunks[int(i)].text[4:7]: f[column] for i, f in zip(pool.ids, pool.features, strict=True)}
        assert coverage["投资人"] == coverage["投资者"] == pytest.approx(1.0), name


def test_a_row_labelled_with_another_dictionary_word_of_the_same_english_word_is_a_label_hit(tmp_path):
    import qa.retrieval.features as features

    retriever, pool = _investor_pool(tmp_path, "福州市2025年统计公报\n\n一、证券\n\n表一 2025年证券情况表\n项目\t数量\n"
                                               "投资人\t642.29\n投资者\t12.5\n基金\t8\n")
    chunks = retriever.index.chunks
    column = features.FEATURES.index("label_hit")
    hit = {label: f[column] for i, f in zip(pool.ids, pool.features, strict=True)
           for label in retriever.scorer.labels[int(i)] if chunks[int(i)].kind == "table_row"}
    assert hit["投资人"] == hit["投资者"] == 1.0
    assert hit.get("基金", 0.0) == 0.0


def test_top_positive_among_given_indices_is_the_top_of_those_alone():
    import numpy as np

    from qa.retrieval.features import top_positive

    rng = np.random.default_rng(7)
    scores = rng.integers(0, 4, 2000).astype(np.float32)  # many ties and zeros
    for among in (np.flatnonzero(scores > 0), np.flatnonzero(scores > 0)[::3], np.zeros(0, dtype=np.int64)):
        masked = np.zeros_like(scores)
        masked[among] = scores[among]
        want = [i for i in np.argsort(-masked, kind="stable") if masked[i] > 0][:25]  # a stable sort of all scores
        assert top_positive(scores, 25, among).tolist() == want


def test_a_filtered_pool_ranks_by_bm25_among_the_chunks_it_lets_through(places_corpus):
    import numpy as np

    retriever = _retriever(places_corpus)
    query = _query(retriever, "一般公共预算支出增长多少")
    chunks = retriever.index.chunks
    allowed = retriever.scorer.allowed(sources=["report-1.txt"])
    pool = retriever.pool(query, sources=["report-1.txt"])
    assert {chunks[int(i)].source for i in pool.ids} == {"report-1.txt"}
    from qa.terms import tokenize

    scores = retriever.scorer.bm25_scores(tokenize(query.search_text))
    kept = [int(i) for i in np.argsort(-np.where(allowed, scores, 0), kind="stable") if allowed[i] and scores[i] > 0]
    got = sorted((r["bm25"], int(i)) for i, r in zip(pool.ids, pool.ranks, strict=True) if "bm25" in r)
    assert [i for _, i in got] == kept[:len(got)] and got
