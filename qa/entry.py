"""The `bqa` program: a terminal-safe standard output, and a plain `bqa ask` that skips loading the CLI.

A plain `bqa ask "…"` is answered before click (≈ 20 ms of imports) is loaded: over a socket when
`bqa serve`/`bqa daemon` holds its index warm, else in this process. Anything else — other commands, other
options, malformed ones, --help — goes to the click program in `qa.cli`, which parses and reports as usual.
"""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from pathlib import Path

# The options a plain `bqa ask` understands: exactly the names `qa.cli.ask` declares (tests check it).
_VALUED = {"--index": "index", "--corpus": "corpus", "--top-k": "top_k", "--doc": "doc_ids",
           "--source": "sources", "--year": "years", "--threshold": "threshold"}
_FLAGS = {"--json": "json", "--no-warm": "no_warm"}
_MULTIPLE = {"doc_ids", "sources", "years"}


def parse_plain_ask(args: list[str]) -> dict | None:
    """The parsed arguments of a plain `bqa ask`, or None when click should handle them."""
    out: dict = {"question": None, "top_k": 5, "json": False, "no_warm": False, "threshold": None, "doc_ids": [],
                 "sources": [], "years": []}
    it = iter(args)
    for arg in it:
        name, eq, inline = arg.partition("=")
        if arg == "--":
            rest = list(it)
            if len(rest) != 1 or out["question"] is not None:
                return None
            out["question"] = rest[0]
        elif name in _VALUED:
            value = inline if eq else next(it, None)
            if value is None:
                return None
            key = _VALUED[name]
            if key in ("index", "corpus") and not value:
                return None  # click reads an empty folder name as "."
            if key in ("top_k", "years"):
                if not value.strip().isdigit():
                    return None
                try:
                    value = int(value)
                except ValueError:  # digits int() does not read (², ①): click's message
                    return None
            elif key == "threshold":
                try:
                    value = float(value)
                except ValueError:
                    return None
                if not 0.0 <= value <= 1.0:
                    return None
            if key in _MULTIPLE:
                out[key].append(value)
            else:
                out[key] = value
        elif arg in _FLAGS:
            out[_FLAGS[arg]] = True
        elif arg.startswith("-") or out["question"] is not None:
            return None  # help, --jsonl, unknown options: click's job
        else:
            out["question"] = arg
    if out["question"] is None or not 1 <= out["top_k"] <= 50:
        return None
    return out


def _is_utf8(stream) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("_", "-") in ("utf-8", "utf8")


def _terminal_safe_streams() -> None:
    """Never a UnicodeEncodeError traceback on a non-UTF-8 terminal or pipe: unprintable text is escaped."""
    for stream in (sys.stdout, sys.stderr):
        if not _is_utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def utf8_stdout() -> bool:
    return _is_utf8(sys.stdout)


def request_for(parsed: dict) -> dict:
    """The request a running engine answers (and `ask_here` too): the question, its options, the output's form."""
    return {"question": parsed["question"], "top_k": parsed["top_k"], "doc_ids": parsed["doc_ids"] or None,
            "sources": parsed["sources"] or None, "years": parsed["years"] or None,
            "format": "json" if parsed["json"] else "text", "color": sys.stdout.isatty(), "ascii": not utf8_stdout()}


def _places(parsed: dict) -> tuple[Path, Path]:
    from qa.paths import default_corpus, default_index

    index = Path(parsed["index"]) if parsed.get("index") else default_index()
    corpus = Path(parsed["corpus"]) if parsed.get("corpus") else default_corpus()
    return index, corpus


def _warm_ask(parsed: dict) -> str | None:
    """The running engine's output for a plain `bqa ask`, or None (no engine, or one that cannot answer it)."""
    if parsed["no_warm"] or parsed["threshold"] is not None:
        return None
    from qa.daemon import ask_running

    return ask_running(*_places(parsed), request_for(parsed))


def ask_here(index_dir: Path | None, corpus_dir: Path | None, request: dict, threshold: float | None = None) -> str:
    """What `bqa ask` prints, answered in this process (building a missing index first, with a message)."""
    from qa.questions import clean_question

    clean_question(request["question"])  # reject bad input before loading anything (qa.api is ≈ 0.1 s of imports)
    with _no_cycle_collection():
        from qa.api import BulletinQA
        from qa.render import render_request

        engine = BulletinQA.open(index_dir, corpus_dir, show_progress=True, answer_threshold=threshold,
                                 notify=lambda m: print(m, file=sys.stderr, flush=True))
        result = engine.ask(request["question"], top_k=request["top_k"], doc_ids=request["doc_ids"],
                            sources=request["sources"], years=request["years"])
        return render_request(result, request)


@contextmanager
def _no_cycle_collection():
    """The cyclic garbage collector off while one question is loaded for and answered, as it was before after.

    Loading allocates hundreds of thousands of long-lived objects (modules, word lists, the dictionary, the
    index), so the collector ran some 70 times in a cold `bqa ask` and found about 500 objects: 7-11 ms of its
    ≈ 0.28 s. Objects are still freed when their last reference goes; only reference cycles wait. What was
    allocated meanwhile is frozen (``gc.freeze``: left out of later collections) before the collector is back
    on, or its first run would pass over all of it again (≈ 6 ms); this is a one-shot process."""
    was = gc.isenabled()
    try:
        gc.disable()
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()


def _plain_ask(args: list[str]) -> str | None:
    parsed = parse_plain_ask(args)
    if parsed is None:
        return None
    from qa.errors import BqaError

    try:
        out = _warm_ask(parsed)
    except BqaError:
        raise  # the engine's own one-line error (an unknown --doc, an empty question…)
    except Exception:  # noqa: BLE001 — the warm path is an optimisation; answered here instead
        out = None
    return out if out is not None else ask_here(*_places(parsed), request_for(parsed), parsed["threshold"])


def write_out(text: str) -> int:
    """Print ``text`` and a newline; a reader that went away (`bqa ask … | head -1`) ends it quietly, exit 1."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return 0
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python exits
        return 1


def main() -> int | None:
    _terminal_safe_streams()
    if sys.argv[1:2] == ["ask"]:
        from qa.errors import BqaError

        try:
            out = _plain_ask(sys.argv[2:])
        except BqaError as err:
            sys.stderr.write(f"bqa: error: {err}\n")
            return 1
        except KeyboardInterrupt:
            sys.stderr.write("bqa: interrupted\n")
            return 130
        if out is not None:
            return write_out(out)
    from qa.cli import main as cli_main

    return cli_main()
