"""A warm `bqa ask`: a running engine answers over a private Unix socket, the same answer as a cold one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from support import replace_model

from qa import daemon
from qa.api import BulletinQA
from qa.entry import parse_plain_ask
from qa.render import render_text

QUESTION = "2025年本区地方政府债务限额是多少？"
BQA = [sys.executable, "-c", "import sys; from qa.entry import main; sys.exit(main())"]


@pytest.fixture
def private_runtime(tmp_path, monkeypatch):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return runtime


@pytest.fixture
def corpus_copy(tmp_path, seed_corpus):
    folder = tmp_path / "corpus"
    shutil.copytree(seed_corpus, folder)
    return folder


def _started(index_dir, corpus_dir):
    engine = BulletinQA.open(index_dir, corpus_dir)
    stop = daemon.start(engine, index_dir, corpus_dir, daemon.render_request)
    assert stop is not None
    return engine, stop


def _without_latency(d: dict) -> dict:
    d = dict(d)
    d.pop("latency_ms", None)
    return d


def test_an_engine_of_an_older_protocol_is_not_used(fake_index, seed_corpus, private_runtime):
    """An engine started by older code (protocol 1: no `reason`, no .doc or .ofd) answers in its own words; the
    client takes no reply of another protocol and answers cold."""
    import socket
    import threading

    path = daemon.socket_path(fake_index)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    seen = []

    def old_engine():
        conn, _ = server.accept()
        with conn:
            seen.append(json.loads(conn.makefile("rb").readline()))
            conn.sendall(json.dumps({"v": daemon.PROTOCOL - 1, "out": "an old engine's answer"}).encode() + b"\n")

    thread = threading.Thread(target=old_engine, daemon=True)
    thread.start()
    try:
        assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is None
        thread.join(5)
        assert seen and seen[0]["v"] == daemon.PROTOCOL >= 2
    finally:
        server.close()
        path.unlink(missing_ok=True)


def test_warm_answer_is_the_cold_answer(fake_index, seed_corpus, private_runtime):
    engine, stop = _started(fake_index, seed_corpus)
    try:
        out = daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION, "top_k": 3, "format": "json"})
        assert out is not None
        assert _without_latency(json.loads(out)) == _without_latency(engine.ask(QUESTION, top_k=3).to_dict())
        text = daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION, "format": "text"})
        assert text == render_text(engine.ask(QUESTION)).rsplit("\n", 1)[0] + "\n" + text.rsplit("\n", 1)[1]
        assert "个段落" in text.rsplit("\n", 1)[1] and "\033[" not in text  # the cold text, bar its latency
    finally:
        stop()
    assert not daemon.socket_path(fake_index).exists()
    assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is None  # nobody listening


def test_engine_errors_come_back_as_errors(fake_index, seed_corpus, private_runtime):
    from qa.errors import BqaError

    _, stop = _started(fake_index, seed_corpus)
    try:
        with pytest.raises(BqaError, match="unknown document id"):
            daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION, "doc_ids": ["nope"]})
    finally:
        stop()


def test_changed_corpus_or_another_corpus_is_answered_cold(fake_index, seed_corpus, corpus_copy, tmp_path,
                                                          private_runtime):
    index = tmp_path / "index"
    shutil.copytree(fake_index, index)
    _, stop = _started(index, corpus_copy)
    try:
        assert daemon.ask_running(index, corpus_copy, {"question": QUESTION}) is not None
        assert daemon.ask_running(index, seed_corpus, {"question": QUESTION}) is None  # another corpus
        f = next(corpus_copy.glob("*.txt"))
        f.write_text(f.read_text(encoding="utf-8") + "\n新增一段。\n", encoding="utf-8")
        assert daemon.ask_running(index, corpus_copy, {"question": QUESTION}) is None  # stale: never cite old offsets
    finally:
        stop()


def test_a_slot_answers_warm_with_the_models_of_a_refit(fake_index, seed_corpus, data_copy, private_runtime):
    from qa.slot import EngineSlot

    logged = []
    slot = EngineSlot(None, None, engine=BulletinQA.open(fake_index, seed_corpus), say=logged.append)
    stop = daemon.start(slot.current, fake_index, seed_corpus, daemon.render_request, log=logged.append)
    try:
        replace_model(data_copy / "answer_confidence.json", lambda raw: {**raw, "threshold": 0.0})
        out = daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION, "format": "json"})
        assert out is not None  # warm …
        cold = BulletinQA.open(fake_index, seed_corpus).ask(QUESTION).to_dict()  # … and what a cold answer says
        assert _without_latency(json.loads(out)) == _without_latency(cold)
        assert cold["answer"] is not None  # at threshold 0 the best reading is shown: the new file was read
        assert logged == ["bqa: the fitted models changed (bqa eval --fit): read them again"]  # no pass
    finally:
        stop()


def test_a_refit_since_the_engine_loaded_is_answered_cold(fake_index, seed_corpus, data_copy, private_runtime):
    logged = []
    engine = BulletinQA.open(fake_index, seed_corpus)
    stop = daemon.start(engine, fake_index, seed_corpus, daemon.render_request, log=logged.append)
    request = {"v": daemon.PROTOCOL, "corpus": str(seed_corpus.resolve()), "question": QUESTION}
    try:
        assert not engine.models_changed()
        assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is not None
        replace_model(data_copy / "answer_confidence.json", lambda raw: {**raw, "threshold": 0.5})
        assert engine.models_changed()
        assert daemon._answer(engine, seed_corpus.resolve(), request, daemon.render_request) == {
            "v": daemon.PROTOCOL, "pass": daemon.MODELS_CHANGED}
        for _ in range(2):
            assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is None  # answered cold
        assert len([m for m in logged if "fitted models changed" in m]) == 1  # said once
        fresh = BulletinQA.open(fake_index, seed_corpus)  # a new engine reads the new files
        assert not fresh.models_changed()
        replace_model(data_copy / "ranker.json", keep_times=True)  # the same bytes and mtime, moved over it
        assert fresh.models_changed()
        fresh = BulletinQA.open(fake_index, seed_corpus)
        (data_copy / "derived_confidence.json").unlink()
        assert fresh.models_changed()
    finally:
        stop()


def test_an_engine_with_its_own_models_never_reads_the_package_files(fake_index, seed_corpus, data_copy):
    from qa.linear import LinearModel

    mine = BulletinQA.open(fake_index, seed_corpus, packaged_models=False)
    own_ranker = BulletinQA.open(fake_index, seed_corpus, ranker=LinearModel.packaged("ranker"))
    (data_copy / "ranker.json").unlink()
    assert not mine.models_changed() and not own_ranker.models_changed()
    (data_copy / "answer_model.json").unlink()
    assert own_ranker.models_changed()  # it read the packaged answer model


def test_socket_folder_open_to_others_is_not_used(fake_index, seed_corpus, private_runtime):
    folder = daemon.socket_path(fake_index).parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o777)
    engine = BulletinQA.open(fake_index, seed_corpus)
    notes: list[str] = []
    assert daemon.start(engine, fake_index, seed_corpus, daemon.render_request, log=notes.append) is None
    assert notes and "not a private folder" in notes[0]
    assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is None


def test_a_second_engine_does_not_take_the_socket(fake_index, seed_corpus, private_runtime):
    engine, stop = _started(fake_index, seed_corpus)
    try:
        notes: list[str] = []
        assert daemon.start(engine, fake_index, seed_corpus, daemon.render_request, log=notes.append) is None
        assert "already answers" in notes[0]
        assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is not None
    finally:
        stop()


def test_bad_requests_do_not_stop_the_server(fake_index, seed_corpus, private_runtime):
    import socket

    _, stop = _started(fake_index, seed_corpus)
    try:
        for payload in (b"not json\n", b"[1,2]\n", b"{" * 100_000 + b"\n", b"x" * 70_000 + b"\n"):
            with socket.socket(socket.AF_UNIX) as conn:
                conn.connect(str(daemon.socket_path(fake_index)))
                conn.sendall(payload)
                reply = json.loads(conn.makefile("rb").readline())
                assert "pass" in reply
        assert daemon.ask_running(fake_index, seed_corpus, {"question": QUESTION}) is not None
    finally:
        stop()


def test_plain_parser_knows_only_options_the_cli_declares():
    from qa.cli import ask
    from qa.entry import _FLAGS, _VALUED

    declared = {opt for p in ask.params for opt in getattr(p, "opts", [])}
    assert set(_VALUED) | set(_FLAGS) <= declared


@pytest.mark.parametrize("argv", [
    ["区监委留置了多少人？"], ["q", "--json"], ["--top-k", "3", "q"], ["q", "--top-k=7", "--doc", "a#01", "--doc=b#02"],
    ["q", "--year", "2025", "--source", "s.txt", "--index", "/x", "--corpus", "/y"], ["--", "-q-"],
    ["q", "--no-warm"], ["--threshold", "0.5", "q"], ["q", "--threshold=1"],
])
def test_plain_parser_agrees_with_click(argv):
    from qa.cli import ask

    ctx = ask.make_context("ask", list(argv))
    p = ctx.params
    plain = parse_plain_ask(list(argv))
    assert plain is not None
    assert plain["question"] == p["question"] and plain["top_k"] == p["top_k"] and plain["json"] == p["as_json"]
    assert plain["doc_ids"] == list(p["doc_ids"]) and plain["sources"] == list(p["sources"])
    assert plain["years"] == list(p["years"])
    assert plain["no_warm"] == p["no_warm"] and plain["threshold"] == p["threshold"]
    assert (plain.get("index"), plain.get("corpus")) == (
        str(p["index_dir"]) if p["index_dir"] else None, str(p["corpus_dir"]) if p["corpus_dir"] else None)


@pytest.mark.parametrize("argv", [[], ["--help"], ["q", "--jsonl"], ["q", "r"], ["--top-k", "x", "q"],
                                  ["--top-k", "0", "q"], ["q", "--bogus"], ["--doc"], ["q", "--threshold", "2"],
                                  ["q", "--threshold", "x"], ["q", "--threshold", "nan"], ["q", "--top-k", "\u00b2"],
                                  ["q", "--year", "\u2460"], ["q", "--index="], ["q", "--corpus", ""]])
def test_plain_parser_leaves_everything_else_to_click(argv):
    assert parse_plain_ask(argv) is None


def test_cli_daemon_answers_bqa_ask_and_stops_cleanly(fake_index, seed_corpus, private_runtime):
    env = {**os.environ, "XDG_RUNTIME_DIR": str(private_runtime)}
    args = ["--index", str(fake_index), "--corpus", str(seed_corpus)]
    proc = subprocess.Popen([*BQA, "daemon", *args], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not daemon.socket_path(fake_index).exists() and time.time() < deadline:
            time.sleep(0.2)
        warm = subprocess.run([*BQA, "ask", QUESTION, "--json", *args], env=env, capture_output=True, text=True,
                              timeout=60)
        cold = subprocess.run([*BQA, "ask", QUESTION, "--json", "--no-warm", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert warm.returncode == 0 and cold.returncode == 0, warm.stderr + cold.stderr
        assert _without_latency(json.loads(warm.stdout)) == _without_latency(json.loads(cold.stdout))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not daemon.socket_path(fake_index).exists()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "gbk"])
def test_non_utf8_stdout_is_never_a_traceback(fake_index, seed_corpus, encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    args = ["--index", str(fake_index), "--corpus", str(seed_corpus)]
    for cmd in (["corpus", "list", "--corpus", str(seed_corpus)], ["ask", QUESTION, "--no-warm", *args]):
        run = subprocess.run([*BQA, *cmd], env=env, capture_output=True, timeout=120)
        assert run.returncode == 0 and b"Traceback" not in run.stderr, run.stderr[-500:]
    as_json = subprocess.run([*BQA, "ask", QUESTION, "--json", "--no-warm", *args], env=env, capture_output=True,
                             timeout=120)
    assert json.loads(as_json.stdout.decode(encoding))["question"] == QUESTION.replace("？", "?")


def test_a_cold_ask_loads_and_answers_without_cycle_collection_and_restores_it(fake_index, seed_corpus, monkeypatch):
    """ask_here turns the cyclic collector off while it loads and answers (it found next to nothing there), and
    back on after, also when answering fails; the answer is the engine's own."""
    import gc

    from qa.entry import ask_here, request_for

    seen = []
    real_open = BulletinQA.open

    def open_(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_open(*args, **kwargs)

    monkeypatch.setattr(BulletinQA, "open", staticmethod(open_))
    parsed = {"question": QUESTION, "top_k": 3, "json": True, "doc_ids": [], "sources": [], "years": []}
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    out = ask_here(fake_index, seed_corpus, request_for(parsed))
    assert seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() > frozen  # what loading allocated is left out of later collections
    gc.unfreeze()  # this test process goes on
    assert _without_latency(json.loads(out)) == _without_latency(real_open(fake_index, seed_corpus).ask(
        QUESTION, top_k=3).to_dict())

    for error in (RuntimeError, KeyboardInterrupt):
        def broken(*args, error=error, **kwargs):
            raise error("no index")

        monkeypatch.setattr(BulletinQA, "open", staticmethod(broken))
        with pytest.raises(error):
            ask_here(fake_index, seed_corpus, request_for(parsed))
        assert gc.isenabled()
    gc.unfreeze()
