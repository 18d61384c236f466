"""report.md (held-out figures first, then cross-validated, per language, type and document) and chart.png
(precision–coverage curves; matplotlib, imported only here)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .fit import TARGET_PRECISION

if TYPE_CHECKING:
    from .runner import EvalRun

WORST_MISSES = 20
HEADLINE = (
    ("n", "questions", "int"), ("hit@1", "hit@1", "share"), ("hit@5", "hit@5", "share"),
    ("answer_accuracy", "answer acc.", "share"), ("precision", "precision of shown", "share"),
    ("coverage", "coverage", "share"), ("abstention_recall", "abst. recall", "share"),
    ("false_abstention_rate", "false abst.", "share"), ("latency_p50_ms", "p50 ms", "ms"),
)
SPLIT_TITLES = {
    "held-out": "Held-out documents and questions (never fitted or tuned on)",
    "seed-blind": "Seed holdout, the 50 questions written blind (h036–h085)",
    "fit": "Fit documents, leave-one-document-out cross-validation",
}


def fmt(value, kind: str = "share") -> str:
    if value is None:
        return "–"
    if kind == "int":
        return f"{value:.0f}"
    if kind == "ms":
        return f"{value:.1f}"
    return f"{value:.3f}"


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\t", " ")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _rows(groups: dict[str, dict]) -> list[list[str]]:
    return [[name] + [fmt(f.get(k), kind) for k, _, kind in HEADLINE] for name, f in groups.items()]


def split_tables(run: EvalRun, split: str) -> str:
    m = run.metrics[split]
    parts = [table(["", *[t for _, t, _ in HEADLINE]], _rows({"all": m["overall"], **{
        f"lang {k}": v for k, v in m["by_lang"].items()}, **{f"suite {k}": v for k, v in m.get("by_suite", {}).items()
                                                             if v.get("n")}}))]
    if "by_group" in m:
        parts.append("Per document:\n\n" + table(["document", *[t for _, t, _ in HEADLINE]], _rows(m["by_group"])))
    parts.append("Per question type:\n\n" + table(["type", *[t for _, t, _ in HEADLINE]], _rows(m["by_type"])))
    return "\n\n".join(parts)


def headline_text(run: EvalRun) -> str:
    lines = []
    for split in ("held-out", "seed-blind", "fit"):
        if split not in run.metrics:
            continue
        f = run.metrics[split]["overall"]
        lines.append(f"{split:10} n={f['n']:<4} hit@1 {fmt(f['hit@1'])}  hit@5 {fmt(f['hit@5'])}  "
                     f"answer acc. {fmt(f['answer_accuracy'])}  precision {fmt(f['precision'])}  "
                     f"coverage {fmt(f['coverage'])}  abst. recall {fmt(f['abstention_recall'])}")
    return "\n".join(lines)


def _curve_rows(points: list[dict]) -> list[list[str]]:
    keep = [p for p in points if p.get("fitted") or round(p["threshold"] * 10, 3) == int(round(p["threshold"] * 10, 3))]
    return [[f"{p['threshold']:.3f} (fitted)" if p.get("fitted") else f"{p['threshold']:.1f}", fmt(p["coverage"]),
             fmt(p["precision"]), str(p["shown"])] for p in keep]


def misses(run: EvalRun, split: str = "fit") -> str:
    rows = []
    for o in run.outcomes.get(split, []):
        if o.verdict.correct:
            continue
        rows.append((o.item.group, o.item.id, o.item.type, o.item.question, o.item.answer or "(unanswerable)",
                     o.prediction.text or "(abstained)", o.verdict.reason, o.hit_rank or "–"))
    by_doc = Counter(r[0] for r in rows)
    rows.sort(key=lambda r: (-by_doc[r[0]], r[0], r[6] != "answered_unanswerable", r[1]))
    out = []
    for doc in by_doc:
        shown = [r for r in rows if r[0] == doc][:5]
        out.append(f"**{doc}** ({by_doc[doc]} wrong)\n\n" + table(
            ["id", "type", "question", "gold", "system", "why", "hit rank"], [list(map(str, r[1:])) for r in shown]))
    return "\n\n".join(out)


def render_report(run: EvalRun, chart: str | None = "chart.png") -> str:
    meta = run.meta
    parts = [
        "# Evaluation report",
        f"Generated {meta.get('generated')} by `bqa eval{' --fit' if run.models.get('refitted') else ''}"
        f"{' --ci' if meta.get('ci_subset') else ''}` with the {meta.get('embedder')} embedder on {meta.get('cpus')} "
        f"CPUs in {meta.get('wall_seconds')} s. Suites: " + "; ".join(
            f"{k} ({v['corpus']}, {v['n_chunks']} chunks)" for k, v in meta.get("suites", {}).items()) + ".",
        "How to read it: **held-out** questions are about documents (and the seed holdout) that nothing was fitted or "
        "tuned on — they say what a new reader will see. **Precision of shown** is the share of bold answers that are "
        "right (a bold answer to an unanswerable question counts as wrong); **coverage** is the share of answerable "
        "questions that got a bold answer; below the threshold the reader gets passages only. hit@k is raw retrieval "
        "order (before the answer's passage is moved first). The fit split is "
        + ("cross-validated: each document's figures come from models fitted without it."
           if run.models.get("refitted") else "scored with the shipped models, which were fitted on it (in-sample)."),
    ]
    for split in ("held-out", "seed-blind", "fit"):
        if split in run.metrics:
            parts += [f"## {SPLIT_TITLES[split]}", split_tables(run, split)]
    if run.ablation:
        parts.append("## Retrieval ablation (hit@k, raw order)")
        rows = []
        for split, modes in run.ablation.items():
            for mode, f in modes.items():
                rows.append([split, mode, fmt(f.get("hit@1")), fmt(f.get("hit@5")), fmt(f.get("hit@10")),
                             fmt(f.get("hit@5 zh")), fmt(f.get("hit@5 en"))])
        parts.append(table(["split", "retrieval", "hit@1", "hit@5", "hit@10", "hit@5 zh", "hit@5 en"], rows))
        parts.append("fitted = the logistic ranker over all retrievers' features; rrf = reciprocal rank fusion of "
                     "dense and BM25 (k=60); bm25 / dense = one retriever alone.")
    parts.append("## Precision–coverage (threshold on the best single reading's probability)\n\nDerived answers "
                 "(comparisons, differences, sums, shares) keep their own fitted threshold at every point, and a "
                 "question that combines figures is never answered by a single reading; the row marked fitted is "
                 "the shipped answer threshold: exactly what is shown.")
    for split, points in run.curves.items():
        parts.append(f"{split}:\n\n" + table(["threshold", "coverage", "precision", "shown"], _curve_rows(points)))
    if chart:
        parts.append(f"![precision–coverage]({chart})")
    t = run.models.get("threshold_choice") or {}
    parts.append("## Models\n\n" + table(["", "value"], [
        ["answer threshold", fmt(run.models.get("threshold"))],
        ["threshold chosen for", f"precision ≥ {t.get('target')} of cross-validated answers, read as "
                                 f"{t.get('rule', 'pooled')} (reached: {t.get('reached')}, precision there "
                                 f"{fmt(t.get('precision'))}"
                                 + (f", observed {fmt(t['observed_precision'])}" if "observed_precision" in t else "")
                                 + f", {t.get('shown')} shown)" if t else "–"],
        ["the rule on documents it did not see", _nested(t.get("nested"))],
        ["derived answers' threshold", _derived(run.models)],
        ["its rule on documents it did not see", _nested((run.models.get("derived_threshold_choice") or {}).get("nested"))],
        ["ranker", str((run.models.get("ranker") or {}).get("fitted_at", "not fitted (RRF fallback)"))],
        ["answer model", str((run.models.get("answer_model") or {}).get("fitted_at", "not fitted"))],
    ]))
    if "fit" in run.metrics:
        parts += ["## Misses on the fit documents, by document (held-out misses are not listed: nobody reads them)",
                  misses(run, "fit")]
    return "\n\n".join(parts) + "\n"


def _derived(models: dict) -> str:
    """The derived answers' own threshold and how it was chosen, in one cell."""
    d = models.get("derived_threshold_choice") or {}
    if models.get("derived_threshold") is None:
        return f"none fitted ({d.get('why', 'no model')}): a derived answer needs the answer threshold" if d else "–"
    return (f"{fmt(models['derived_threshold'])}, chosen for observed precision ≥ {d.get('target')} on "
            f"{d.get('rows')} cross-validated derived answers ({d.get('right')} right) from {d.get('min_shown', 10)} "
            f"shown on, at every stricter threshold (reached: {d.get('reached')}, precision there "
            f"{fmt(d.get('precision'))}, {d.get('shown')} shown)")


def _nested(check: dict | None) -> str:
    """``nested_threshold_check`` in one cell: shown, precision and the spread of the documents' thresholds."""
    if not check or not check.get("per_document"):
        return "–"
    ts = [d["threshold"] for d in check["per_document"].values()]
    met = check["precision"] is not None and check["precision"] >= TARGET_PRECISION
    return (f"{check['shown']} shown, {check['right']} right (precision {fmt(check['precision'])}; the target on "
            f"documents never seen is {TARGET_PRECISION}: {'met' if met else 'missed'}) with each "
            f"document's threshold chosen on the others ({min(ts):.3f}–{max(ts):.3f})")


def render_chart(run: EvalRun, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for split, points in run.curves.items():
        pts = [(p["coverage"], p["precision"]) for p in points if p["precision"] is not None]
        if pts:
            ax.plot([c for c, _ in pts], [p for _, p in pts], marker=".", label=split)
    ax.axhline(TARGET_PRECISION, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("coverage (answerable questions with a shown answer)")
    ax.set_ylabel("precision of shown answers")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Precision–coverage as the answer threshold moves")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
