"""Validate the gold / holdout QA sets in eval/ against the bulletin text.

Fast, no model: only JSON + string checks.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BULLETIN = ROOT / "corpus" / "hongkou-2025-03.txt"
GOLD = ROOT / "eval" / "gold.jsonl"
HOLDOUT = ROOT / "eval" / "holdout.jsonl"

TYPES = {"number", "table_cell", "entity", "date", "list", "yes_no", "comparison", "unanswerable"}
REQUIRED = {"id", "question", "answer", "answer_variants", "evidence", "doc_title", "type", "lang"}
ALLOWED = REQUIRED | {"trap", "verdict"}


def ns(s: str) -> str:
    """Remove all whitespace (the bulletin has stray spaces and page-break newlines)."""
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def flat() -> str:
    return ns(BULLETIN.read_text(encoding="utf-8"))


def load(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as e:  # pragma: no cover - reported as failure
            pytest.fail(f"{path.name}:{n}: invalid JSON: {e}")
    return items


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return load(GOLD)


@pytest.fixture(scope="module")
def holdout() -> list[dict]:
    return load(HOLDOUT)


@pytest.fixture(scope="module")
def both(gold, holdout) -> list[dict]:
    return gold + holdout


def test_files_exist():
    assert BULLETIN.exists(), BULLETIN
    assert GOLD.exists() and HOLDOUT.exists()


def test_schema(both):
    bad = []
    for it in both:
        keys = set(it)
        if not keys >= REQUIRED or not keys <= ALLOWED:
            bad.append((it.get("id"), "keys", sorted(keys ^ REQUIRED)))
            continue
        if it["type"] not in TYPES:
            bad.append((it["id"], "type", it["type"]))
        if it["lang"] not in ("zh", "en"):
            bad.append((it["id"], "lang", it["lang"]))
        if not isinstance(it["question"], str) or not it["question"].strip():
            bad.append((it["id"], "question"))
        if not isinstance(it["answer_variants"], list) or not all(
            isinstance(v, str) and v.strip() for v in it["answer_variants"]
        ):
            bad.append((it["id"], "answer_variants"))
        if "trap" in it and not (isinstance(it["trap"], str) and it["trap"].strip()):
            bad.append((it["id"], "trap"))
        if "verdict" in it and (it["type"] != "yes_no" or it["verdict"] not in ("yes", "no")):
            bad.append((it["id"], "verdict"))  # a yes/no item's answer, yes or no (eval/GOLD.md)
    assert not bad, bad


def test_id_format_and_unique(gold, holdout):
    ids = [it["id"] for it in gold + holdout]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert all(re.fullmatch(r"g\d{3}", it["id"]) for it in gold)
    assert all(re.fullmatch(r"h\d{3}", it["id"]) for it in holdout)


def test_questions_unique(both):
    qs = [it["question"] for it in both]
    assert len(qs) == len(set(qs)), "duplicate questions"


def test_unanswerable_items(both):
    bad = []
    for it in both:
        if it["type"] == "unanswerable":
            if it["answer"] is not None or it["evidence"] is not None or it["doc_title"] is not None:
                bad.append(it["id"])
        elif it["answer"] is None or it["evidence"] is None or it["doc_title"] is None:
            bad.append(it["id"])
    assert not bad, bad


def test_evidence_in_bulletin(both, flat):
    bad = []
    for it in both:
        ev = it["evidence"]
        if ev is None:
            continue
        if not 10 <= len(ev) <= 120:
            bad.append((it["id"], "evidence length", len(ev)))
        if ns(ev) not in flat:
            bad.append((it["id"], "evidence not in bulletin", ev))
    assert not bad, bad


def test_answer_in_evidence(both):
    bad = []
    for it in both:
        if it["answer"] is None:
            continue
        ev = ns(it["evidence"])
        if not any(ns(a) and ns(a) in ev for a in [it["answer"], *it["answer_variants"]]):
            bad.append((it["id"], it["answer"]))
        # the canonical answer itself must be a verbatim (whitespace-insensitive) span
        if ns(it["answer"]) not in ev:
            bad.append((it["id"], "answer not verbatim in evidence", it["answer"]))
    assert not bad, bad


def test_doc_title_in_bulletin(both, flat):
    bad = [
        (it["id"], it["doc_title"])
        for it in both
        if it["doc_title"] is not None and ns(it["doc_title"]) not in flat
    ]
    assert not bad, bad


def test_evidence_after_doc_title(both, flat):
    """The evidence must appear somewhere after a body occurrence of its document's title."""
    bad = []
    for it in both:
        if it["evidence"] is None:
            continue
        title, ev = ns(it["doc_title"]), ns(it["evidence"])
        first_title = flat.find(title)
        last_ev = flat.rfind(ev)
        if first_title < 0 or last_ev < first_title:
            bad.append(it["id"])
    assert not bad, bad


def test_traps(both, flat):
    bad = []
    for it in both:
        trap = it.get("trap")
        if trap is None:
            continue
        if ns(trap) not in flat:
            bad.append((it["id"], "trap not in bulletin", trap))
        if it["answer"] is not None and ns(trap) == ns(it["answer"]):
            bad.append((it["id"], "trap equals answer", trap))
    assert not bad, bad


def _share_en(items):
    return sum(it["lang"] == "en" for it in items) / len(items)


def test_gold_counts(gold):
    types = [it["type"] for it in gold]
    assert len(gold) >= 150
    assert types.count("table_cell") >= 25
    assert types.count("unanswerable") >= 15
    assert sum("trap" in it for it in gold) >= 20
    assert 0.10 <= _share_en(gold) <= 0.25
    for t in ("entity", "date", "list", "yes_no", "comparison", "number"):
        assert types.count(t) >= 5, t


def test_holdout_counts(holdout):
    types = [it["type"] for it in holdout]
    assert len(holdout) >= 30
    assert types.count("table_cell") >= 3
    assert types.count("unanswerable") >= 3
    assert sum("trap" in it for it in holdout) >= 5
    assert 0.10 <= _share_en(holdout) <= 0.25


def test_holdout_distinct_from_gold(gold, holdout):
    gq = {ns(it["question"]) for it in gold}
    assert not [it["id"] for it in holdout if ns(it["question"]) in gq]
