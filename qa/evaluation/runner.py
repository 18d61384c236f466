"""Run the gold set through several systems and write metrics.json, predictions.jsonl, report.md, chart.png.

Systems (every one runs the same answer extractor, so exact-answer accuracy is comparable):

    full    BulletinQA: dense + BM25 fused by RRF, over the structure chunks (the shipped system)
    bm25    BM25 only, structure chunks
    dense   dense only, structure chunks
    window  dense + BM25 + RRF over plain 500-character windows with 50 overlap (the tutorial baseline)

The embedding model is loaded once and shared. The structure index is the main index when that one
matches the corpus, the embedder and the default chunk settings; otherwise it (and the window index) is
built under ``<out>/cache/``, where later runs find it up to date.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from qa.api import BulletinQA
from qa.chunking import ChunkSettings
from qa.corpus import file_hash, load_corpus
from qa.embedders import Embedder, make_embedder
from qa.errors import BqaError
from qa.index.store import DEFAULT_EMBEDDER, LoadedIndex, build_index, load_index, read_manifest
from qa.paths import REPO_ROOT, default_corpus, default_index

from .gold import LocatedItem, check_unique_ids, load_gold, locate_items
from .metrics import DEPTH, Outcome, check_gate, hit_rank, judge_answer, load_gate, summarize, summarize_by

TOP_K = 5  # passages per answer, as `bqa ask` returns by default
WARMUP_QUESTIONS = ("区监委留置了多少人？", "What is the 2025 debt limit?")

Chunking = Literal["structure", "window"]


@dataclass(frozen=True)
class SystemSpec:
    name: str
    chunking: Chunking
    retrievers: tuple[str, ...]
    description: str


SYSTEMS: dict[str, SystemSpec] = {
    "full": SystemSpec("full", "structure", ("dense", "bm25"), "hybrid (dense + BM25, RRF) over structure chunks"),
    "bm25": SystemSpec("bm25", "structure", ("bm25",), "BM25 only over structure chunks"),
    "dense": SystemSpec("dense", "structure", ("dense",), "dense only over structure chunks"),
    "window": SystemSpec("window", "window", ("dense", "bm25"),
                         "hybrid (dense + BM25, RRF) over 500-char windows, 50 overlap"),
}
CHUNK_SETTINGS: dict[Chunking, ChunkSettings] = {
    "structure": ChunkSettings(),
    "window": ChunkSettings(mode="window", window=500, window_overlap=50),
}


def repo_dir(name: str) -> Path:
    """``<repo>/name`` in a source checkout, else ``./name``."""
    return REPO_ROOT / name if (REPO_ROOT / "pyproject.toml").exists() else Path.cwd() / name


def default_gold_files() -> tuple[Path, ...]:
    return repo_dir("eval") / "gold.jsonl", repo_dir("eval") / "holdout.jsonl"


def parse_systems(systems: str | Sequence[str]) -> tuple[str, ...]:
    names = [s.strip() for s in (systems.split(",") if isinstance(systems, str) else systems) if s.strip()]
    bad = [s for s in names if s not in SYSTEMS]
    if bad or not names:
        raise BqaError(f"unknown system(s) {', '.join(bad) or '(none given)'}; choose from {', '.join(SYSTEMS)}")
    return tuple(dict.fromkeys(names))


@dataclass
class EvalRun:
    systems: tuple[str, ...]
    splits: tuple[str, ...]
    outcomes: dict[str, dict[str, list[Outcome]]]  # system -> split -> outcomes
    predictions: list[dict]
    metrics: dict  # system -> split -> {"overall": {...}, "by_type": {...}}
    meta: dict = field(default_factory=dict)


# --- indexes ---------------------------------------------------------------------------------------

def _index_matches(index_dir: Path, hashes: dict[str, str], embedder: Embedder, settings: ChunkSettings) -> bool:
    try:
        manifest = read_manifest(index_dir)
    except BqaError:
        return False
    return (manifest.get("corpus") == hashes and manifest.get("embedder", {}).get("name") == embedder.name
            and manifest.get("chunking") == settings.to_dict())


def prepare_indexes(chunkings: Sequence[Chunking], corpus_dir: Path, index_dir: Path, cache_dir: Path,
                    embedder: Embedder, show_progress: bool = False) -> dict[Chunking, LoadedIndex]:
    """A loaded index per chunking: the main index when it matches, else one built (or reused) in the cache."""
    hashes = {b.bulletin.source: file_hash(b.text) for b in load_corpus(corpus_dir).bulletins}
    out: dict[Chunking, LoadedIndex] = {}
    for chunking in chunkings:
        settings = CHUNK_SETTINGS[chunking]
        if chunking == "structure" and _index_matches(index_dir, hashes, embedder, settings):
            out[chunking] = load_index(index_dir)
            continue
        folder = cache_dir / f"index-{chunking}"
        build_index(corpus_dir, folder, embedder.name, settings=settings, embedder=embedder,
                    show_progress=show_progress)
        out[chunking] = load_index(folder)
    return out


# --- asking ----------------------------------------------------------------------------------------

def ask_one(engine: BulletinQA, located: LocatedItem) -> tuple[Outcome, dict]:
    """Ask one gold question; passages are scored to rank 10 in the order shown (answer's passage first).

    The answer does not depend on top-k (the extractor reads the same passages either way), so one ask at
    depth 10 gives both the hit rank and, cut to the first 5 passages, what `bqa ask` prints.
    """
    item = located.item
    result = engine.ask(item.question, top_k=DEPTH)
    rank = hit_rank([(p.chunk.source, p.chunk.start, p.chunk.end) for p in result.passages], located.answer_spans)
    answer = result.answer
    text = None if result.abstained or answer is None else answer.text
    verdict = judge_answer(item, text)
    shown = result.passages[:TOP_K]
    outcome = Outcome(
        item=item, hit_rank=rank, verdict=verdict, abstained=result.abstained, answer_text=text,
        confidence=None if answer is None else answer.confidence, latency_ms=result.latency_ms,
        passage_chars=tuple(p.chunk.end - p.chunk.start for p in shown),
    )
    contract = result.to_json(item.id)
    contract["passages"] = contract["passages"][:TOP_K]
    return outcome, contract


def evaluate(located: Sequence[LocatedItem], indexes: dict[Chunking, LoadedIndex], embedder: Embedder,
             systems: Sequence[str], show_progress: bool = False) -> EvalRun:
    splits = tuple(dict.fromkeys(x.item.split for x in located))
    outcomes: dict[str, dict[str, list[Outcome]]] = {}
    predictions = []
    with tqdm(total=len(systems) * len(located), disable=not show_progress, unit="q", desc="eval") as bar:
        for name in systems:
            spec = SYSTEMS[name]
            bar.set_description(f"eval {name}")
            engine = BulletinQA(indexes[spec.chunking], embedder, retrievers=spec.retrievers)
            for q in WARMUP_QUESTIONS:  # latency is measured warm
                engine.ask(q, top_k=DEPTH)
            per_split: dict[str, list[Outcome]] = {s: [] for s in splits}
            for x in located:
                outcome, result = ask_one(engine, x)
                per_split[x.item.split].append(outcome)
                gold = dict(x.item.raw or {})
                gold["answer_spans"] = [[s.source, s.start, s.end] for s in x.answer_spans]
                predictions.append({"system": name, "split": x.item.split, "gold": gold, "result": result,
                                    "hit_rank": outcome.hit_rank, "answer_correct": outcome.verdict.correct,
                                    "verdict": outcome.verdict.reason})
                bar.update(1)
            outcomes[name] = per_split
    metrics = {name: {split: {"overall": summarize(outs), "by_type": summarize_by(outs, "type"),
                              "by_lang": summarize_by(outs, "lang")}
                      for split, outs in per_split.items()}
               for name, per_split in outcomes.items()}
    return EvalRun(tuple(systems), splits, outcomes, predictions, metrics)


# --- outputs ---------------------------------------------------------------------------------------

def write_outputs(run: EvalRun, out_dir: Path) -> dict[str, Path]:
    from .report import render_chart, render_report

    out_dir.mkdir(parents=True, exist_ok=True)
    ignore = out_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    paths = {name: out_dir / name for name in ("metrics.json", "predictions.jsonl", "report.md", "chart.png")}
    paths["metrics.json"].write_text(
        json.dumps({"meta": run.meta, "systems": run.metrics}, ensure_ascii=False, indent=2), encoding="utf-8")
    with paths["predictions.jsonl"].open("w", encoding="utf-8") as fh:
        for row in run.predictions:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    render_chart(run, paths["chart.png"])
    paths["report.md"].write_text(render_report(run, chart="chart.png"), encoding="utf-8")
    return paths


def command_line(gold_files, systems, index_dir, corpus_dir, out_dir, embedder, gate_file) -> str:
    parts = ["bqa", "eval"]
    for f in gold_files or ():
        parts += ["--gold", str(f)]
    if systems is not None and parse_systems(systems) != tuple(SYSTEMS):
        parts += ["--systems", ",".join(parse_systems(systems))]
    for opt, value in (("--index", index_dir), ("--corpus", corpus_dir), ("--out", out_dir),
                       ("--embedder", embedder), ("--gate", gate_file)):
        if value is not None:
            parts += [opt, str(value)]
    return shlex.join(parts)


def is_reference_run(gold_files, systems: Sequence[str], corpus_dir, embedder) -> bool:
    """The default gold files, all four systems, the shipped corpus and the index's embedder: the run that
    eval/REPORT.md records (so `bqa eval` alone reproduces it)."""
    default_gold = not gold_files or [Path(f).resolve() for f in gold_files] == [
        f.resolve() for f in default_gold_files()]
    default_corpus_dir = corpus_dir is None or Path(corpus_dir).resolve() == default_corpus().resolve()
    return default_gold and set(systems) == set(SYSTEMS) and default_corpus_dir and embedder is None


def display_path(path: Path) -> str:
    """``path`` relative to the repo when it lies inside it (the report is committed), else as given."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _embedder_name(requested: str | None, index_dir: Path) -> str:
    if requested:
        return requested
    try:
        return read_manifest(index_dir)["embedder"]["name"]
    except (BqaError, KeyError, TypeError):
        return DEFAULT_EMBEDDER


def run_eval(*, gold_files: Sequence[Path] | None = None, systems: str | Sequence[str] = tuple(SYSTEMS),
             index_dir: Path | None = None, corpus_dir: Path | None = None, out_dir: Path | None = None,
             embedder: str | Embedder | None = None, command: str | None = None,
             show_progress: bool = False) -> tuple[EvalRun, dict[str, Path]]:
    """Everything `bqa eval` does except the gate and the copy to eval/REPORT.md."""
    t0 = time.perf_counter()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    names = parse_systems(systems)
    index_dir = Path(index_dir) if index_dir else default_index()
    corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus()
    out_dir = Path(out_dir) if out_dir else repo_dir("eval") / "out"
    files = [Path(f) for f in gold_files] if gold_files else list(default_gold_files())
    if len({f.stem for f in files}) != len(files):
        raise BqaError(f"gold files must have distinct names (the split is the file name): {', '.join(map(str, files))}")

    items = [it for f in files for it in load_gold(f)]
    check_unique_ids(items)
    corpus = load_corpus(corpus_dir)
    located = locate_items(items, corpus.texts)  # fails loudly before any model is loaded

    model = embedder if embedder is not None and not isinstance(embedder, str) else make_embedder(
        _embedder_name(embedder, index_dir))
    chunkings = tuple(dict.fromkeys(SYSTEMS[n].chunking for n in names))
    indexes = prepare_indexes(chunkings, corpus_dir, index_dir, out_dir / "cache", model, show_progress)
    run = evaluate(located, indexes, model, names, show_progress)
    run.meta.update({
        "command": command or command_line(gold_files, names, index_dir, corpus_dir, out_dir, None, None),
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": display_path(corpus_dir), "sources": sorted(corpus.texts),
        "embedder": model.name,
        "gold_files": [display_path(f) for f in files],
        "n_items": {s: sum(1 for x in located if x.item.split == s) for s in run.splits},
        "systems": {n: {"chunking": SYSTEMS[n].chunking, "retrievers": list(SYSTEMS[n].retrievers),
                        "description": SYSTEMS[n].description,
                        "index": display_path(indexes[SYSTEMS[n].chunking].root),
                        "n_chunks": len(indexes[SYSTEMS[n].chunking].chunks)} for n in names},
        "top_k": TOP_K, "depth": DEPTH,
        "cpus": os.cpu_count(), "load_avg_1m_at_start": None if load_before is None else round(load_before, 2),
    })
    run.meta["wall_seconds"] = round(time.perf_counter() - t0, 1)  # before writing: the figure goes in the report
    return run, write_outputs(run, out_dir)


def run_cli(*, gold_files, systems, index_dir, corpus_dir, out_dir, embedder, gate_file) -> None:
    """`bqa eval`: run, write the outputs, refresh eval/REPORT.md on a default full run, apply the gate."""
    command = command_line(gold_files, systems, index_dir, corpus_dir, out_dir, embedder, gate_file)
    gate = load_gate(gate_file) if gate_file else None  # a bad gate file fails before the long run
    t0 = time.perf_counter()
    names = parse_systems(systems or tuple(SYSTEMS))
    run, paths = run_eval(gold_files=gold_files, systems=names, index_dir=index_dir, corpus_dir=corpus_dir,
                          out_dir=out_dir, embedder=embedder, command=command, show_progress=True)

    def echo(message: str) -> None:
        print(message, file=sys.stderr)

    if is_reference_run(gold_files, names, corpus_dir, embedder):
        from .report import render_report

        target = repo_dir("eval") / "REPORT.md"
        target.write_text(render_report(run, chart=None), encoding="utf-8")
        echo(f"wrote {target}")
    from .report import headline_text

    print(headline_text(run))
    echo(f"wrote {', '.join(str(p) for p in paths.values())} in {time.perf_counter() - t0:.0f} s")
    if gate:
        failures = check_gate(gate, run.metrics)
        if failures:
            raise BqaError(f"gate failed ({gate.system} on {gate.split}): {'; '.join(failures)}")
        echo(f"gate passed ({gate.system} on {gate.split})")

