"""report.md (tables with the systems side by side) and chart.png (grouped bars) from an EvalRun."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .gold import QUESTION_TYPES
from .metrics import EXTRA_CHARS, Outcome

if TYPE_CHECKING:
    from .runner import EvalRun

WORST_MISSES = 15

HEADLINE = (  # (key, column title, kind)
    ("hit@1", "hit@1", "share"), ("hit@3", "hit@3", "share"), ("hit@5", "hit@5", "share"),
    ("hit@10", "hit@10", "share"), ("mrr", "MRR@10", "share"), ("answer_accuracy", "answer acc.", "share"),
    ("abstention_precision", "abst. P", "share"), ("abstention_recall", "abst. R", "share"),
    ("false_abstention_rate", "false abst.", "share"), ("trap_accuracy", "trap acc.", "share"),
    ("median_passage_chars", "median passage chars", "int"),
    ("latency_p50_ms", "p50 ms", "ms"), ("latency_p95_ms", "p95 ms", "ms"),
)
PER_GROUP = (("hit@1", "hit@1"), ("hit@5", "hit@5"), ("mrr", "MRR@10"), ("answer_accuracy", "answer accuracy"),
             ("false_abstention_rate", "false-abstention rate"))
SEVERITY = {"trap": 0, "answered_unanswerable": 1, "extra_figure": 2, "missing": 2, "too_long": 3, "abstained": 4}
VERDICTS = ("correct", "trap", "answered_unanswerable", "missing", "extra_figure", "too_long", "abstained")


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


def headline_table(run: EvalRun, split: str) -> str:
    rows = []
    for name in run.systems:
        figures = run.metrics[name][split]["overall"]
        rows.append([f"**{name}**" if name == "full" else name] + [fmt(figures[k], kind) for k, _, kind in HEADLINE])
    return table(["system"] + [title for _, title, _ in HEADLINE], rows)


def headline_text(run: EvalRun) -> str:
    """A compact plain-text headline for the terminal."""
    cols = (("hit@1", "hit@1"), ("hit@5", "hit@5"), ("mrr", "MRR"), ("answer_accuracy", "acc"),
            ("abstention_recall", "abstR"), ("false_abstention_rate", "falseAbst"),
            ("median_passage_chars", "medChars"), ("latency_p50_ms", "p50ms"), ("latency_p95_ms", "p95ms"))
    out = []
    for split in run.splits:
        n = run.metrics[run.systems[0]][split]["overall"]["n"]
        out.append(f"{split} (n={n})")
        out.append(f"  {'system':<8}" + "".join(f"{title:>10}" for _, title in cols))
        for name in run.systems:
            f = run.metrics[name][split]["overall"]
            kinds = ["int" if "chars" in k else "ms" if "latency" in k else "share" for k, _ in cols]
            out.append(f"  {name:<8}" + "".join(f"{fmt(f[k], kind):>10}" for (k, _), kind in zip(cols, kinds, strict=True)))
    return "\n".join(out)


def group_table(run: EvalRun, split: str, group: str, key: str, order: tuple[str, ...] = ()) -> str:
    first = run.metrics[run.systems[0]][split][group]
    values = [v for v in order if v in first] + sorted(v for v in first if v not in order)
    rows = []
    for v in values:
        figures = [run.metrics[name][split][group].get(v, {}) for name in run.systems]
        if all(f.get(key) is None for f in figures):
            continue
        rows.append([v, str(first[v]["n"])] + [fmt(f.get(key)) for f in figures])
    return table([group.removeprefix("by_"), "n"] + list(run.systems), rows)


def verdict_table(run: EvalRun, split: str) -> str:
    counts = {name: Counter(o.verdict.reason for o in run.outcomes[name][split]) for name in run.systems}
    rows = [[v] + [str(counts[name][v]) for name in run.systems] for v in VERDICTS
            if any(counts[name][v] for name in run.systems)]
    return table(["verdict"] + list(run.systems), rows)


def worst_misses(outcomes: list[Outcome], n: int = WORST_MISSES) -> list[Outcome]:
    """Wrong outcomes, worst first: a trap figure, an answer to the unanswerable, another wrong figure,
    an over-long span, then abstentions (evidence not retrieved before retrieved); confident ones first."""
    wrong = [o for o in outcomes if not o.verdict.correct]
    return sorted(wrong, key=lambda o: (SEVERITY.get(o.verdict.reason, 5), o.hit_rank is not None,
                                        -(o.confidence or 0.0), o.item.id))[:n]


def misses_table(outcomes: list[Outcome]) -> str:
    rows = []
    for o in worst_misses(outcomes):
        gold = o.item.answer if o.item.answerable else "(unanswerable)"
        got = "(abstained)" if o.answer_text is None else o.answer_text
        conf = "" if o.confidence is None else f"{o.confidence:.2f}"
        rows.append([o.item.id, o.item.type, o.item.question, gold, got, o.verdict.reason,
                     str(o.hit_rank or "–"), conf])
    return table(["id", "type", "question", "gold answer", "returned", "verdict", "hit rank", "conf."], rows)


DEFINITIONS = f"""\
- **Passage hit**: a returned passage hits when it is in the same source as the gold answer and its
  `[start, end)` offsets cover the answer's span completely. The answer's span is the answer's occurrence
  inside the gold evidence, and every occurrence of the evidence in the corpus counts (evidence is
  matched ignoring whitespace). **hit@k** = share of answerable questions with a hit among the first k
  passages; **MRR@10** = mean of 1/rank of the first hit (0 when none in the first 10). Passages are
  scored in the order `BulletinQA.ask` returns them — the fused retrieval ranking with the passage the
  answer was read from moved to rank 1 — so hit@1 credits the extractor's choice of passage too. Each
  question is asked once with top-k 10; the answer does not depend on top-k, and the first 5 passages
  are exactly what `bqa ask` prints.
- **Answer accuracy** (answerable questions): both texts are normalised (NFKC, whitespace removed,
  lower-cased). The answer is correct when it was given (no abstention), contains the gold answer or one
  of its variants, and what is left around that match contradicts nothing: it does not contain the
  question's trap figure, contains no other digit (no second figure), and is at most
  max({EXTRA_CHARS}, length of the gold answer) characters long (an exact span, not a passage).
  Verdicts: `trap` (the trap figure came back), `missing` (neither gold nor variant in the answer),
  `extra_figure`, `too_long`, `abstained`; for unanswerable questions `answered_unanswerable`.
- **Abstention**: precision = share of abstentions that were on unanswerable questions; recall =
  share of unanswerable questions abstained on; **false abstention** = share of answerable questions
  abstained on.
- **Trap accuracy**: accuracy on the questions that carry a confusable wrong figure (`trap`);
  an unanswerable trap question is right when abstained on.
- **Median passage chars**: median source span (`end - start`) of the passages shown (top 5).
- **Latency**: `latency_ms` of each `ask` (query embedding, retrieval, answer extraction), warm (two
  untimed questions first), one question at a time on this machine; p50/p95 over the split's questions.
"""


def render_report(run: EvalRun, chart: str | None = "chart.png") -> str:
    meta = run.meta
    parts = [
        "# Bulletin QA — evaluation report",
        "",
        "```",
        meta.get("command", "bqa eval"),
        "```",
        "",
        f"Generated {meta.get('generated', '')} · corpus `{', '.join(meta.get('sources', []))}` · "
        f"embedder `{meta.get('embedder', '')}` · gold files {', '.join(f'`{f}`' for f in meta.get('gold_files', []))} "
        f"({', '.join(f'{s}: {n}' for s, n in meta.get('n_items', {}).items())} questions) · "
        f"wall time {meta.get('wall_seconds', 0):.0f} s · {meta.get('cpus', '?')} CPUs, 1-min load average "
        f"{meta.get('load_avg_1m_at_start', '?')} at start (latencies are only comparable on a quiet machine)",
        "",
        "Systems (all run the same answer extractor on their own ranking):",
        "",
    ]
    for name in run.systems:
        s = meta.get("systems", {}).get(name, {})
        parts.append(f"- `{name}` — {s.get('description', '')} ({s.get('n_chunks', '?')} chunks)")
    parts.append("")
    for split in run.splits:
        n = run.metrics[run.systems[0]][split]["overall"]
        parts += [f"## Headline — {split} ({n['n']} questions: {n['n_answerable']} answerable, "
                  f"{n['n_unanswerable']} unanswerable, {n['n_trap']} with a trap)", "", headline_table(run, split), ""]
    if chart:
        parts += [f"![hit@1, hit@5 and answer accuracy per system]({chart})", ""]
    else:
        parts += ["The chart (`chart.png`) and per-question predictions are in `eval/out/` after a run.", ""]
    parts += ["## Definitions", "", DEFINITIONS]
    for split in run.splits:
        parts += [f"## Per question type — {split}", ""]
        for key, title in PER_GROUP:
            parts += [f"### {title}", "", group_table(run, split, "by_type", key, QUESTION_TYPES), ""]
        parts += ["### hit@5 by language", "", group_table(run, split, "by_lang", "hit@5"), "",
                  "### answer accuracy by language", "", group_table(run, split, "by_lang", "answer_accuracy"), ""]
        parts += ["### verdicts (counts)", "", verdict_table(run, split), ""]
    if "full" in run.systems:
        split = "gold" if "gold" in run.splits else run.splits[0]
        parts += [f"## The {WORST_MISSES} worst misses of `full` ({split} split)", "",
                  "Worst first: a trap figure returned, an answer to an unanswerable question, another wrong "
                  "figure, an over-long span, then abstentions (evidence not retrieved first); confident ones first.",
                  "", misses_table(run.outcomes["full"][split]), ""]
    return "\n".join(parts)


def render_chart(run: EvalRun, path: Path) -> None:
    """Grouped bars of hit@1, hit@5 and answer accuracy per system, one panel per split (Agg, no pyplot state)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars = (("hit@1", "hit@1"), ("hit@5", "hit@5"), ("answer_accuracy", "answer accuracy"))
    fig = Figure(figsize=(4.5 * len(run.splits) + 1, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(run.splits), squeeze=False)[0]
    x = np.arange(len(run.systems))
    width = 0.8 / len(bars)
    for ax, split in zip(axes, run.splits, strict=True):
        for i, (key, label) in enumerate(bars):
            values = [run.metrics[s][split]["overall"][key] or 0.0 for s in run.systems]
            drawn = ax.bar(x + (i - (len(bars) - 1) / 2) * width, values, width, label=label)
            ax.bar_label(drawn, fmt="%.2f", fontsize=7)
        ax.set_xticks(x, run.systems)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{split} (n={run.metrics[run.systems[0]][split]['overall']['n']})")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("share of answerable questions")
    axes[-1].legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=120)
