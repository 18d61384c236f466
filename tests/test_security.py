"""The served page under hostile use: Gradio's environment variables, uploads, oversized and chunked bodies,
internal endpoints called directly or with bad arguments, DNS rebinding, framing, SIGTERM mid-answer, and
memory over thousands of new sessions. Everything runs on the fake embedder; servers listen on loopback only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from support import free_port, rss_mb

import qa.app
from qa import guard
from qa.api import BulletinQA
from qa.app import build_app, launch
from qa.cli import main

pytestmark = [  # noise from Gradio's queue internals on pandas 3, not from this code
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
QUESTION = "区监委留置了多少人？"
HEADERS = {"x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'",
           "x-content-type-options": "nosniff"}
WIDENING_ENV = {  # each of these makes Gradio serve more, or differently, than the page needs
    "GRADIO_ALLOWED_PATHS": "/etc", "GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SHARE": "True",
    "GRADIO_VIBE_MODE": "1", "GRADIO_MCP_SERVER": "True", "GRADIO_ROOT_PATH": "/x", "GRADIO_TEMP_DIR": "/etc",
    "GRADIO_LOCAL_DEV_MODE": "", "GRADIO_NUM_WORKERS": "2", "GRADIO_WATCH_DIRS": "/tmp", "GRADIO_SSR_MODE": "True",
    "GRADIO_DEFAULT_CONCURRENCY_LIMIT": "None", "GRADIO_EXAMPLES_CACHE": "/etc",
}


@pytest.fixture(scope="module")
def engine(fake_index) -> BulletinQA:
    return BulletinQA.open(fake_index, CORPUS, build_if_missing=False)


@pytest.fixture(scope="module")
def page(engine):
    return build_app(engine)


@pytest.fixture(scope="module")
def served(page):
    server = launch(page, "127.0.0.1", free_port(), block=False)
    yield server
    server.close()


@pytest.fixture
def http(served):
    with httpx.Client(base_url=served.url, timeout=30) as client:
        yield client


def call(http: httpx.Client, data: list, fn_index: int | None = None, path: str = "/gradio_api/queue/join",
         session: str | None = None) -> httpx.Response:
    body = {"data": data, "session_hash": session or uuid.uuid4().hex[:11]}
    if fn_index is not None:
        body["fn_index"] = fn_index
    return http.post(path, json=body)


def result(http: httpx.Client, session: str) -> dict:
    """The process_completed message of a session's queued call."""
    with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and (msg := json.loads(line[5:]))["msg"] == "process_completed":
                return msg
    raise AssertionError("the stream closed without a result")


def page_fn(page, name: str) -> int:
    """The fn_index the browser uses for the page function ``name``."""
    return next(i for i, fn in page.fns.items() if fn.name == name)


def ask_fn(url: str) -> int:
    """The fn_index of /ask, from a running server's config (as gradio_client finds it)."""
    deps = httpx.get(url + "/config", timeout=10).json()["dependencies"]
    return next(d["id"] for d in deps if d.get("api_name") == "ask")


# --- 1. Gradio's environment variables ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), sorted(WIDENING_ENV.items()))
def test_serve_refuses_gradio_env_that_could_widen_exposure(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    monkeypatch.setattr(qa.app.BulletinQA, "open", classmethod(lambda cls, *a, **k: pytest.fail("loaded")))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("bqa: error: refusing to serve while ") and name in line


def test_env_check_names_every_variable_and_allows_the_telemetry_switch():
    guard.check_environment({"GRADIO_ANALYTICS_ENABLED": "False", "HOME": "/root"})
    with pytest.raises(guard.BqaError, match="GRADIO_ALLOWED_PATHS, GRADIO_SHARE are set"):
        guard.check_environment({"GRADIO_SHARE": "True", "GRADIO_ALLOWED_PATHS": "/etc"})


def test_bqa_serve_with_allowed_paths_etc_exits_with_one_line(fake_index):
    env = {**os.environ, "GRADIO_ALLOWED_PATHS": "/etc"}
    out = subprocess.run([sys.executable, "-m", "qa.cli", "serve", "--index", str(fake_index), "--corpus",
                          str(CORPUS), "--port", str(free_port())], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 1, out.stderr
    assert out.stderr.strip().count("\n") == 0 and "GRADIO_ALLOWED_PATHS" in out.stderr
    assert "Traceback" not in out.stderr


def test_passwd_is_not_served_even_when_the_env_check_is_bypassed(engine, monkeypatch):
    """Defence in depth: with the refusal switched off, Gradio's own settings still cannot open files."""
    monkeypatch.setattr(guard, "check_environment", lambda environ: None)
    for name in ("GRADIO_ALLOWED_PATHS", "GRADIO_MCP_SERVER", "GRADIO_VIBE_MODE", "GRADIO_ROOT_PATH"):
        monkeypatch.setenv(name, WIDENING_ENV[name])
    server = launch(build_app(engine), "127.0.0.1", free_port(), block=False)
    try:
        for path in ("/gradio_api/file=/etc/passwd", "/file=/etc/passwd", "/x/gradio_api/file=/etc/passwd",
                     "/gradio_api/file=%2Fetc%2Fpasswd", "/gradio_api/mcp/sse", "/gradio_api/mcp/schema",
                     "/gradio_api/vibe-code"):
            resp = httpx.get(server.url + path, timeout=10)
            assert resp.status_code == 404, path
            assert "root:" not in resp.text
        assert httpx.get(server.url + "/", timeout=10).status_code == 200
    finally:
        server.close()


# --- 2. uploads ------------------------------------------------------------------------------------------------


def _upload_dirs() -> list[Path]:
    from gradio.utils import get_upload_folder

    return [Path(get_upload_folder())]


def _files(dirs: list[Path]) -> set[Path]:
    return {p for d in dirs if d.exists() for p in d.rglob("*")}


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/upload/", "/gradio_api/upload?upload_id=x1",
                                  "/upload", "/gradio_api/process_recording", "/gradio_api/component_server",
                                  "/gradio_api/stream/x", "/gradio_api/run-history/connect"])
def test_anonymous_upload_is_refused_and_nothing_is_written(http, path):
    before = _files(_upload_dirs())
    resp = http.post(path, files={"files": ("planted.txt", b"planted by a test\n" * 1000, "text/plain")})
    assert resp.status_code in (403, 404)
    assert _files(_upload_dirs()) == before


def test_a_large_upload_is_refused_without_being_read(served):
    status, sent = _raw_post(served, "/gradio_api/upload", 50 * 2**20, content_type="multipart/form-data; boundary=x")
    assert status in (403, 404)
    assert sent < 25 * 2**20  # answered while most of the body was still unsent


# --- 3. request bodies -------------------------------------------------------------------------------------


def _raw_post(served, path: str, size: int, chunked: bool = False,
              content_type: str = "application/json") -> tuple[int, int]:
    """POST ``size`` bytes over a raw socket, stopping as soon as a response arrives: (status, bytes sent)."""
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    chunk = b"x" * 65536
    piece = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") if chunked else chunk
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        while sent < size and not select.select([sock], [], [], 0.02)[0]:  # stop at the first byte of an answer
            try:
                sock.sendall(piece)
            except OSError:
                break
            sent += len(chunk)
        response = sock.recv(4096)
    return int(response.split(b" ", 2)[1]), sent


def test_50mb_body_with_content_length_is_refused_before_it_is_read(served):
    status, sent = _raw_post(served, "/gradio_api/queue/join", 50 * 2**20)
    assert status == 413
    assert sent < 25 * 2**20  # answered while most of the body was still unsent


def test_50mb_chunked_body_is_counted_and_refused(served):
    status, sent = _raw_post(served, "/gradio_api/queue/join", 50 * 2**20, chunked=True)
    assert status == 413
    assert sent < 25 * 2**20


def test_body_of_the_limit_is_read_and_judged_on_its_content(http):
    body = json.dumps({"data": ["x" * (guard.MAX_BODY - 200), 5], "fn_index": 0, "session_hash": "s"})
    assert len(body) <= guard.MAX_BODY
    assert http.post("/gradio_api/queue/join", content=body).status_code == 422  # not 413
    assert http.post("/gradio_api/queue/join", content=body + " " * 300).status_code == 413


def test_a_long_chat_keeps_every_request_under_the_limit(engine):
    chat, _ = qa.app.make_handlers(engine)
    history: list[dict] = []
    for n in range(120):
        _, history, _, _ = chat(f"第{n}个问题：2025年本区地方政府债务限额是多少？" * 20, history, 10, [])
        parts = [{"role": m["role"], "metadata": None, "options": None,
                  "content": [{"type": "text", "text": m["content"]}]} for m in history]
        body = json.dumps({"data": ["问" * qa.app.BOX_CHARS, parts, 10, [], "zh"], "fn_index": 1, "trigger_id": 6,
                           "session_hash": "abcdefghijk"}, ensure_ascii=False).encode()
        assert len(body) < guard.MAX_BODY, n
    assert 10 < len(history) < 240  # older messages were dropped, the newest kept


# --- 4. only /ask and the page's own calls -------------------------------------------------------------------


def test_chat_cannot_be_called_around_the_queue(http, page):
    chat = page_fn(page, "chat")
    args = [QUESTION, [], 5, [], "zh"]
    assert http.post("/gradio_api/run/predict", json={"data": args, "fn_index": chat}).status_code in (404, 422)
    for path in ("/gradio_api/run/chat", "/gradio_api/api/chat", "/gradio_api/run/ask", "/gradio_api/call/chat",
                 "/gradio_api/call/v2/ask", "/gradio_api/call/chat_1"):
        assert http.post(path, json={"data": args}).status_code in (404, 422), path


def test_page_calls_and_the_api_still_work(http, page):
    session = uuid.uuid4().hex[:11]
    assert call(http, [QUESTION, [], 5, [], "zh"], page_fn(page, "chat"), session=session).status_code == 200
    out = result(http, session)
    assert out["success"] and out["output"]["data"][1][-1]["role"] == "assistant"
    assert http.post("/gradio_api/run/predict", json={"data": [1], "fn_index": page_fn(page, "load_example"),
                                                      "session_hash": session}).status_code == 200
    resp = http.post("/gradio_api/call/ask", json={"data": [QUESTION, 3]})
    assert resp.status_code == 200
    text = http.get(f"/gradio_api/call/ask/{resp.json()['event_id']}").text
    assert '"passages"' in text


BAD_CALLS = [  # (route, body): every one reaches Gradio's preprocessing on an unguarded server
    ("/gradio_api/queue/join", {"data": [], "fn_index": "chat"}),
    ("/gradio_api/queue/join", {"data": [123, "not a list", "abc", "x"], "fn_index": "chat"}),
    ("/gradio_api/queue/join", {"data": [None, [{"bad": 1}], None, None], "fn_index": "chat"}),
    ("/gradio_api/queue/join", {"data": ["q", [{"role": "user", "content": [{"type": "file", "file": {
        "path": "/etc/passwd"}}]}], 5, []], "fn_index": "chat"}),
    ("/gradio_api/queue/join", {"data": ["q", [], 5, ["no-such-doc"]], "fn_index": "chat"}),
    ("/gradio_api/queue/join", {"data": ["q", [], 1e9, []], "fn_index": "chat"}),
    ("/gradio_api/queue/join", {"data": [], "fn_index": "ask"}),
    ("/gradio_api/queue/join", {"data": ["q", 5], "fn_index": 99}),
    ("/gradio_api/queue/join", {"data": ["q", 5], "fn_index": "ask", "batched": True}),
    ("/gradio_api/run/predict", {"data": ["str"], "fn_index": "load_example"}),
    ("/gradio_api/run/predict", {"data": [999], "fn_index": "load_example"}),
    ("/gradio_api/run/predict", {"data": [], "fn_index": "load_example"}),
    ("/gradio_api/call/ask", {"data": []}),
    ("/gradio_api/call/ask", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" * 1000),
]


def test_internal_endpoints_with_bad_arguments_give_clean_errors_and_no_traceback(http, page, capfd):
    capfd.readouterr()
    for path, body in BAD_CALLS:
        if isinstance(body, dict):
            if isinstance(body.get("fn_index"), str):
                body = {**body, "fn_index": page_fn(page, body["fn_index"])}
            body.setdefault("session_hash", uuid.uuid4().hex[:11])
            resp = http.post(path, json=body)
            if resp.status_code == 200 and path.endswith("join"):  # an unguarded server queues it: let it fail
                result(http, body["session_hash"])
        else:
            resp = http.post(path, content=body)
        assert 400 <= resp.status_code < 500, (path, body, resp.text)
        assert set(resp.json()) == {"error"} and "Traceback" not in resp.text
    with pytest.raises(httpx.HTTPError):  # an unknown session's stream is cut, quietly
        http.get("/gradio_api/queue/data", params={"session_hash": "no-such-session"}).raise_for_status()
    time.sleep(0.5)
    err = capfd.readouterr().err
    assert "Traceback" not in err, err[-3000:]


# --- 5. Host header and response headers --------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.nip.io:{port}",
                                  "localhost:1", "localhost.:{port}", "", "127.0.0.1:{port}@evil.example"])
def test_foreign_host_header_is_refused_on_loopback(served, host):
    port = served.url.rsplit(":", 1)[1]
    resp = httpx.get(served.url + "/", headers={"Host": host.format(port=port)}, timeout=10)
    assert resp.status_code in (400, 403)
    assert "<html" not in resp.text


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST:{port}"])
def test_loopback_host_header_is_answered(served, host):
    port = served.url.rsplit(":", 1)[1]
    assert httpx.get(served.url + "/", headers={"Host": host.format(port=port)}, timeout=10).status_code == 200


def test_public_server_answers_any_host(engine):
    server = launch(build_app(engine), "127.0.0.1", free_port(), block=False, public=True)
    try:
        assert httpx.get(server.url + "/", headers={"Host": "bulletins.example.org"}, timeout=10).status_code == 200
    finally:
        server.close()


def test_every_response_carries_the_anti_framing_headers(http, page):
    home = http.get("/")
    asset = re.search(r"(/assets/[^\"']+\.js)", home.text)
    responses = [home, http.head("/"), http.get("/theme.css"), http.get("/gradio_api/info"),
                 http.get(asset.group(1) if asset else "/theme.css"), http.get("/no-such-route"),
                 http.post("/gradio_api/upload"), http.post("/gradio_api/queue/join", content=b"{"),
                 http.get("/", headers={"Host": "evil.example"}),
                 http.post("/gradio_api/queue/join", content=b"x" * (guard.MAX_BODY + 1))]
    session = uuid.uuid4().hex[:11]
    call(http, [QUESTION, 5], page_fn(page, "ask"), session=session)
    with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        responses.append(stream)
    for resp in responses:
        for name, value in HEADERS.items():
            assert resp.headers.get(name) == value, (resp.request.url, name)
        assert resp.headers.get_list("x-frame-options") == ["DENY"]


# --- 6. SIGTERM -----------------------------------------------------------------------------------------------

SLOW_SERVE = """
import sys, time
import qa.api
ask = qa.api.BulletinQA.ask
def slow(self, *args, **kwargs):
    time.sleep(float(sys.argv[1]))
    return ask(self, *args, **kwargs)
qa.api.BulletinQA.ask = slow
from qa.cli import main
main(sys.argv[2:], prog_name="bqa")
"""


def _start_slow_server(fake_index, tmp_path, seconds: float) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = tmp_path / "server.log"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SERVE, str(seconds), "serve", "--index", str(fake_index),
                             "--corpus", str(CORPUS), "--port", str(port)],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return proc, url, log
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"server not up:\n{log.read_text()}")


def test_sigterm_mid_answer_drains_it_then_exits_0(fake_index, tmp_path):
    proc, url, log = _start_slow_server(fake_index, tmp_path, 3.0)
    answers: list = []

    def ask() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            session = uuid.uuid4().hex[:11]
            client.post("/gradio_api/queue/join", json={"data": [QUESTION, 3], "fn_index": ask_fn(url),
                                                        "session_hash": session}).raise_for_status()
            answers.append(result(client, session))

    try:
        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(1.5)  # the answer is being computed (it takes 3 s)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        late = httpx.post(url + "/gradio_api/queue/join", json={"data": [QUESTION, 3], "fn_index": 0,
                                                                 "session_hash": "late"}, timeout=10)
        assert late.status_code == 503  # no new work while draining
        assert proc.wait(timeout=15) == 0
        elapsed = time.monotonic() - t0
        asker.join(timeout=10)
    finally:
        proc.kill()
    assert answers and answers[0]["success"], answers
    assert "passages" in answers[0]["output"]["data"][0]
    assert elapsed < guard.DRAIN_SECONDS + 2
    text = log.read_text()
    assert "Traceback" not in text and "stopped" in text


def _read_until_cut(http: httpx.Client, session: str) -> None:
    with contextlib.suppress(httpx.HTTPError, AssertionError):
        result(http, session)


def test_drain_is_bounded(engine, monkeypatch, capfd, caplog):
    release, ask = threading.Event(), engine.ask
    monkeypatch.setattr(engine, "ask", lambda *a, **k: (release.wait(30), ask(*a, **k))[1])
    app = build_app(engine)
    server = launch(app, "127.0.0.1", free_port(), block=False)
    http = httpx.Client(base_url=server.url, timeout=30)
    try:
        call(http, [QUESTION, 3], page_fn(app, "ask"), session="stuck").raise_for_status()
        threading.Thread(target=_read_until_cut, args=(http, "stuck"), daemon=True).start()
        time.sleep(0.5)  # the answer is stuck, its result stream open
        t0 = time.monotonic()
        left = server.drain(seconds=1.0)
        elapsed = time.monotonic() - t0
    finally:
        release.set()
        http.close()
    assert left == 1
    assert elapsed < 4
    time.sleep(1.5)  # the stuck stream is cut a second after the drain: one line, no traceback
    assert "Traceback" not in capfd.readouterr().err
    assert "cut off: the server stopped" in caplog.text


# --- 7. memory over many new sessions -------------------------------------------------------------------------

LOAD_REQUESTS = 2000
WARM_UP = 300  # more than qa.app.SESSIONS, so Gradio's per-session state is at its cap before the count


def test_memory_stays_flat_over_2000_new_sessions(fake_index, tmp_path):
    """One new Gradio session per /ask call (the costly case: Gradio keeps state per session) on a real
    `bqa serve`; the server's RSS after warm-up and after 2,000 more calls."""
    port = free_port()
    log = tmp_path / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--index", str(fake_index), "--corpus",
                             str(CORPUS), "--port", str(port)], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    questions = [QUESTION, "What is the district's 2025 local government debt limit?", "上半年新增了多少各类人才？"]
    errors: list[str] = []
    local = threading.local()

    def one(n: int) -> None:
        client = getattr(local, "client", None) or httpx.Client(base_url=url, timeout=60)
        local.client = client
        session = uuid.uuid4().hex[:11]
        resp = client.post("/gradio_api/queue/join", json={"data": [questions[n % len(questions)], 5],
                                                           "fn_index": fn, "session_hash": session})
        if resp.status_code != 200:
            errors.append(resp.text)
            return
        out = result(client, session)
        if not out["success"] or "passages" not in out["output"]["data"][0]:
            errors.append(str(out)[:200])

    from concurrent.futures import ThreadPoolExecutor

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        fn = ask_fn(url)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(WARM_UP)))
            before = rss_mb(proc.pid)
            t0 = time.perf_counter()
            list(pool.map(one, range(WARM_UP, WARM_UP + LOAD_REQUESTS)))
            seconds = time.perf_counter() - t0
        after = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"\n{LOAD_REQUESTS} /ask calls, one new session each, 4 at a time: {seconds:.1f} s "
          f"({LOAD_REQUESTS / seconds:.0f}/s); server RSS {before:.1f} MB after {WARM_UP} → {after:.1f} MB "
          f"(+{after - before:.1f})")
    assert errors == []
    assert after - before < 25, f"RSS grew {after - before:.1f} MB over {LOAD_REQUESTS} new sessions"
    assert proc.returncode == 0


# --- the page's own upload control: open only when the page has one, same origin, size-limited -------------------


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory, fake_index, seed_corpus):
    import shutil

    from qa.slot import EngineSlot

    root = tmp_path_factory.mktemp("uploads")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(seed_corpus, corpus)
    shutil.copytree(fake_index, index)
    slot = EngineSlot(index, corpus, engine=BulletinQA.open(index, corpus, build_if_missing=False), embedder="fake")
    server = launch(build_app(slot, allow_upload=True), "127.0.0.1", free_port(), block=False)
    server.corpus = corpus
    yield server
    server.close()


def _post_upload(server, data: bytes, origin: str | None = None) -> httpx.Response:
    headers = {"origin": origin} if origin else {}
    with httpx.Client(base_url=server.url, timeout=60) as client:
        return client.post("/gradio_api/upload", files={"files": ("a.txt", data, "text/plain")}, headers=headers)


def test_upload_route_is_closed_when_the_page_has_no_upload(served):
    assert _post_upload(served, b"hello").status_code == 404


def test_upload_route_takes_same_origin_files_and_never_serves_them_back(upload_server):
    host = upload_server.url.removeprefix("http://")
    ok = _post_upload(upload_server, "一般公共预算收入8.76亿元".encode(), origin=f"http://{host}")
    assert ok.status_code == 200, ok.text
    stored = ok.json()[0]
    with httpx.Client(base_url=upload_server.url, timeout=30) as client:
        for path in (f"/gradio_api/file={stored}", f"/file={stored}", f"/gradio_api/file/{stored}"):
            assert client.get(path).status_code == 404, path
    assert _post_upload(upload_server, b"x", origin="http://evil.example").status_code == 403
    assert not (upload_server.corpus / "uploads").exists()  # only the page's handler writes into the corpus


def test_oversized_upload_is_refused_before_it_is_stored(upload_server):
    from qa.slot import MAX_UPLOAD_BYTES

    big = b"x" * (MAX_UPLOAD_BYTES + 2 * 2**20)
    try:
        resp = _post_upload(upload_server, big)
        assert resp.status_code == 413
    except httpx.HTTPError:
        pass  # the connection was closed while the body was still being sent: refused all the same
