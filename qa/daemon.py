"""A warm `bqa ask`: a running `bqa serve` (or `bqa daemon`) answers the command line over a Unix socket.

A cold `bqa ask` loads the index, the model and jieba's dictionary (≈ 0.8 s); a process that already holds
them answers in milliseconds. The socket lives in a folder only this user can open
(``$XDG_RUNTIME_DIR/bqa`` or ``/tmp/bqa-UID``, mode 0700), named after the index folder, so a client only
ever reaches an engine of the same user and the same index. The protocol is one JSON line each way.

The client side imports nothing heavy and gives up quietly (the caller then answers cold) when no
engine is listening, when the engine serves another corpus, when the corpus changed since the engine
loaded its index (a warm answer never cites an older version of a file), or when a refit (`bqa eval --fit`)
replaced the fitted models it loaded (a warm answer is the answer a cold one would give). `bqa serve` and `bqa
daemon` give ``start`` their slot's ``current``, which reads the new models first; an engine given as such
(or a slot whose new files cannot be read) keeps its models, says so once, and passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import socketserver
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from qa.tmpcache import private_dir

# 2 since 7 December 2026: replies carry an abstention's `reason`, and the corpus is read with .doc and .ofd files;
# an engine of protocol 1, started before an upgrade, would answer without them, so its replies are not used
PROTOCOL = 2
MODELS_CHANGED = "the fitted models changed since this engine loaded them"
MAX_REQUEST = 64 * 1024  # bytes of one request line; a question is at most 1,000 characters
CONNECT_TIMEOUT = 0.2  # seconds: a listening engine accepts at once
ANSWER_TIMEOUT = 60.0
CONCURRENCY = 2  # questions answered at once; more wait their turn


def socket_dir(runtime: str | None = None) -> Path:
    """``$XDG_RUNTIME_DIR/bqa`` (or ``runtime``/bqa), else ``/tmp/bqa-UID``."""
    runtime = runtime or os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "bqa" if runtime and Path(runtime).is_dir() else Path(tempfile.gettempdir()) / f"bqa-{os.getuid()}"


def socket_path(index_dir: Path, runtime: str | None = None) -> Path:
    """The socket of the engine serving ``index_dir`` (short: Unix socket paths are limited to ~100 bytes)."""
    key = hashlib.sha256(str(Path(index_dir).expanduser().resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return socket_dir(runtime) / f"{key[:20]}.sock"


# --- client ---------------------------------------------------------------------------------------------------


def ask_running(index_dir: Path, corpus_dir: Path, request: dict) -> str | None:
    """The output of a running engine for ``request`` (its printed text), or None to answer cold."""
    path = socket_path(index_dir)
    if not private_dir(path.parent, create=False):
        return None
    request = {"v": PROTOCOL, "corpus": str(Path(corpus_dir).expanduser().resolve()), **request}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_TIMEOUT)
            conn.connect(str(path))
            conn.settimeout(ANSWER_TIMEOUT)
            conn.sendall(json.dumps(request, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
            reply = conn.makefile("rb").readline()
    except OSError:
        return None
    try:
        reply = json.loads(reply)
    except ValueError:
        return None
    if not isinstance(reply, dict) or reply.get("v") != PROTOCOL:
        return None
    if "error" in reply:
        from qa.errors import BqaError

        raise BqaError(str(reply["error"]))
    out = reply.get("out")
    return out if isinstance(out, str) else None


# --- server ---------------------------------------------------------------------------------------------------


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False


def _answer(engine, corpus_dir: Path, request: dict, render: Callable) -> dict:
    from qa.errors import BqaError
    from qa.index.store import index_is_stale

    source = engine
    engine = source() if callable(source) else source  # a server's slot: None while its first build runs
    if engine is None:
        return {"v": PROTOCOL, "pass": "the index is still being built"}
    if request.get("v") != PROTOCOL or request.get("corpus") != str(corpus_dir):
        return {"v": PROTOCOL, "pass": "another corpus or protocol"}
    if index_is_stale(engine.index, corpus_dir):
        return {"v": PROTOCOL, "pass": "the corpus changed since this engine loaded its index"}
    if engine.models_changed() and callable(source):
        engine = source()  # a refit landed between the slot's check and this one: the slot reads them now
    if engine is None or engine.models_changed():  # new models this engine does not answer with: the asking
        return {"v": PROTOCOL, "pass": MODELS_CHANGED}  # process answers with them (a slot's may be unreadable)
    try:
        result = engine.ask(request.get("question"), top_k=request.get("top_k", 5),
                            doc_ids=request.get("doc_ids"), sources=request.get("sources"), years=request.get("years"))
    except BqaError as err:
        return {"v": PROTOCOL, "error": str(err)}
    return {"v": PROTOCOL, "out": render(result, request)}


def start(engine, index_dir: Path, corpus_dir: Path, render: Callable,
          log: Callable[[str], None] = lambda m: None) -> Callable[[], None] | None:
    """Listen for `bqa ask` on this index's socket in a background thread; returns a stop() function.

    ``engine`` is a ``BulletinQA`` or a function returning the current one (or None while none is ready).

    Returns None (and says why) when another engine already listens there or the socket folder is not private.
    """
    path = socket_path(index_dir)
    if not private_dir(path.parent, create=True):
        log(f"bqa: note: {path.parent} is not a private folder; `bqa ask` will not reuse this process")
        return None
    if path.exists() or path.is_symlink():
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(CONNECT_TIMEOUT)
                probe.connect(str(path))
            log("bqa: note: another engine already answers `bqa ask` for this index; this one serves the page only")
            return None
        except OSError:
            path.unlink(missing_ok=True)  # left by a process that died
    corpus_dir = Path(corpus_dir).expanduser().resolve()
    gate = threading.BoundedSemaphore(CONCURRENCY)
    told = threading.Event()  # the models changed: said once

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline(MAX_REQUEST + 1)
            try:
                if len(line) > MAX_REQUEST:
                    raise ValueError("request too long")
                request = json.loads(line.decode("utf-8", "surrogatepass"))
                if not isinstance(request, dict):
                    raise ValueError("not an object")
                with gate:
                    reply = _answer(engine, corpus_dir, request, render)
            except Exception as err:  # noqa: BLE001 — a bad request never stops the server
                reply = {"v": PROTOCOL, "pass": f"bad request ({type(err).__name__})"}
            if reply.get("pass") == MODELS_CHANGED and not told.is_set():
                told.set()
                log("bqa: the fitted models changed (bqa eval --fit) since this engine loaded them: `bqa ask` "
                    "answers in its own process")
            data = json.dumps(reply, ensure_ascii=False).encode("utf-8", "surrogatepass")
            self.wfile.write(data + b"\n")

    old = os.umask(0o177)
    try:
        server = _Server(str(path), Handler)
    except OSError as err:
        log(f"bqa: note: cannot listen on {path} ({err.strerror}); `bqa ask` will not reuse this process")
        return None
    finally:
        os.umask(old)
    inode = path.stat().st_ino
    thread = threading.Thread(target=server.serve_forever, name="bqa-daemon", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        try:
            if path.stat().st_ino == inode:  # never remove a newer engine's socket
                path.unlink()
        except OSError:
            pass

    return stop


def render_request(result, request: dict) -> str:
    """What `bqa ask` prints for ``result``: qa.render.render_request, imported here only when a question is
    answered, so that a client asking a running engine never imports the engine's modules."""
    from qa.render import render_request as render

    return render(result, request)


def serve_forever(engine, index_dir: Path, corpus_dir: Path) -> None:
    """`bqa daemon`: keep one engine warm for `bqa ask` until interrupted."""
    stop = start(engine, index_dir, corpus_dir, render_request, log=lambda m: print(m, file=sys.stderr))
    if stop is None:
        from qa.errors import BqaError

        raise BqaError("not started: see the note above")
    print(f"bqa: answering `bqa ask` for {index_dir} on {socket_path(index_dir)} (Ctrl-C stops it)", file=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a service manager's stop: remove the socket, exit 0
    try:
        threading.Event().wait()
    finally:
        stop()
