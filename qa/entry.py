"""The `bqa` program: a terminal-safe standard output, and a warm `bqa ask` that skips loading the CLI.

A plain `bqa ask "…"` whose index is held warm by `bqa serve`/`bqa daemon` is answered over a socket
before click (≈ 25 ms of imports) is loaded; anything else — other commands, other options, errors,
no running engine — goes to the click program in `qa.cli`, which parses and reports as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The options a warm `bqa ask` understands: exactly the names `qa.cli.ask` declares (tests check it).
_VALUED = {"--index": "index", "--corpus": "corpus", "--top-k": "top_k", "--doc": "doc_ids",
           "--source": "sources", "--year": "years"}
_FLAGS = {"--json": "json"}
_MULTIPLE = {"doc_ids", "sources", "years"}


def parse_warm_ask(args: list[str]) -> dict | None:
    """The parsed arguments of a plain `bqa ask`, or None when click should handle them."""
    out: dict = {"question": None, "top_k": 5, "json": False, "doc_ids": [], "sources": [], "years": []}
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
            if key in ("top_k", "years"):
                if not value.strip().isdigit():
                    return None
                value = int(value)
            if key in _MULTIPLE:
                out[key].append(value)
            else:
                out[key] = value
        elif arg in _FLAGS:
            out[_FLAGS[arg]] = True
        elif arg.startswith("-") or out["question"] is not None:
            return None  # help, --jsonl, --no-warm, unknown options: click's job
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


def _warm_ask(args: list[str]) -> str | None:
    parsed = parse_warm_ask(args)
    if parsed is None:
        return None
    from qa.daemon import ask_running
    from qa.paths import default_corpus, default_index

    request = {"question": parsed["question"], "top_k": parsed["top_k"],
               "doc_ids": parsed["doc_ids"] or None, "sources": parsed["sources"] or None,
               "years": parsed["years"] or None, "format": "json" if parsed["json"] else "text",
               "color": sys.stdout.isatty(), "ascii": not utf8_stdout()}
    index = Path(parsed["index"]) if parsed.get("index") else default_index()
    corpus = Path(parsed["corpus"]) if parsed.get("corpus") else default_corpus()
    return ask_running(index, corpus, request)


def main() -> int | None:
    _terminal_safe_streams()
    if sys.argv[1:2] == ["ask"]:
        from qa.errors import BqaError

        try:
            out = _warm_ask(sys.argv[2:])
        except BqaError as err:  # the engine's own one-line error (an unknown --doc, an empty question…)
            sys.stderr.write(f"bqa: error: {err}\n")
            return 1
        except Exception:  # noqa: BLE001 — the warm path is an optimisation; click reports any real error
            out = None
        if out is not None:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
            return 0
    from qa.cli import main as cli_main

    return cli_main()
