"""What stands between the network and the Gradio page: an environment check, an ASGI guard, a drain.

Gradio reads settings from ``GRADIO_*`` environment variables (``GRADIO_ALLOWED_PATHS``, ``GRADIO_TEMP_DIR``,
``GRADIO_VIBE_MODE``, ``GRADIO_LOCAL_DEV_MODE``, ``GRADIO_MCP_SERVER``…) and opens many routes the page never
uses: file serving, uploads, a direct-call route that skips the queue, run history, monitoring, vibe editing.
So ``bqa serve`` refuses to start while such a variable is set (``check_environment``), and the app runs
behind ``Guard``, which

- answers only the routes the page and the public ``/ask`` API use (everything else is 404, unread);
- on loopback, answers only requests addressed to localhost (a DNS-rebinding page gets 400);
- refuses bodies over ``MAX_BODY`` with 413, counting chunked bodies too, before Gradio reads them;
- lets a call through only when its function, route and every argument fit the page's components, so
  bad arguments get one clean 422 instead of a traceback in Gradio's log;
- adds anti-framing and no-sniff headers to every response;
- counts requests in flight, so ``Served.drain`` can finish them on SIGTERM before the server stops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from qa.errors import BqaError

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Check = Callable[[object], bool]

MAX_BODY = 64 * 1024  # the page's largest call (a question plus its trimmed history) stays far below this
UPLOAD_PATH, UPLOAD_PROGRESS = "/gradio_api/upload", "/gradio_api/upload_progress"
_FILE_KEYS = frozenset({"path", "url", "size", "orig_name", "mime_type", "is_stream", "meta"})
DRAIN_SECONDS = 10.0
SAFE_GRADIO_ENV = frozenset({"GRADIO_ANALYTICS_ENABLED"})  # only switches Gradio's telemetry, never what is served
SECURITY_HEADERS = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'"),
                    (b"x-content-type-options", b"nosniff")]
_OWN_HEADERS = {name for name, _ in SECURITY_HEADERS}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

# The routes the page and the public API use, found by recording a browser session and gradio_client calls.
PAGE_PATHS = frozenset({"/", "/config", "/config/", "/theme.css", "/favicon.ico", "/gradio_api/info",
                        "/gradio_api/info/", "/gradio_api/queue/data"})
PAGE_PREFIXES = ("/assets/", "/static/", "/gradio_api/heartbeat/")
Route = Literal["queue", "run", "api"]
CALL_PATHS: dict[str, Route] = {"/gradio_api/queue/join": "queue", "/gradio_api/run/predict": "run"}
API_PREFIX = "/gradio_api/call/"  # POST /gradio_api/call/<name>, then GET /gradio_api/call/<name>/<event_id>
CALL_KEYS = frozenset({"data", "fn_index", "session_hash", "event_data", "trigger_id"})
_SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse to serve while a GRADIO_* variable is set that could change what is served (set even if empty:
    Gradio tests some of them for presence). Unknown ones are refused too: a new Gradio may read them."""
    found = sorted(name for name in environ if name.startswith("GRADIO_") and name not in SAFE_GRADIO_ENV)
    if found:
        raise BqaError(f"refusing to serve while {', '.join(found)} {'is' if len(found) == 1 else 'are'} set: "
                       "Gradio's environment settings could widen what the page serves; unset "
                       f"{'it' if len(found) == 1 else 'them'} (bqa serve sets everything it needs itself)")


# --- what a call may carry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One function of the page: the route that may reach it, its API name, one check per input."""

    route: Route
    api_name: str | None
    inputs: tuple[Check, ...]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v


def _is_text_message(m: object) -> bool:
    """A chat message as the page sends it back: text parts only (a file part would make Gradio open a path)."""
    return (isinstance(m, dict) and m.keys() <= {"role", "metadata", "content", "options"}
            and m.get("role") in ("user", "assistant") and m.get("metadata") is None and m.get("options") is None
            and isinstance(m.get("content"), list)
            and all(isinstance(p, dict) and p.keys() == {"type", "text"} and p["type"] == "text"
                    and isinstance(p["text"], str) for p in m["content"]))


def _input_check(block: object) -> Check | None:
    """What Gradio's preprocessing of ``block`` accepts without raising; None for a component this page does
    not use (its functions then cannot be called at all)."""
    import gradio as gr
    from gradio.components.api_component import Api

    if isinstance(block, Api):
        return lambda v: True  # gr.api: the function checks its own arguments
    if isinstance(block, gr.Textbox):
        limit = block.max_length
        return lambda v: isinstance(v, str) and (limit is None or len(v) <= limit)
    if isinstance(block, gr.Slider):
        low, high = block.minimum, block.maximum
        return lambda v: _is_number(v) and low <= v <= high
    if isinstance(block, gr.Dropdown):
        if block.allow_custom_value:  # choices that grow after start-up (uploads): any short ids; the handler checks
            if block.multiselect:
                return lambda v: isinstance(v, list) and len(v) <= 10_000 and all(
                    isinstance(x, str) and len(x) <= 1_000 for x in v)
            return lambda v: isinstance(v, str) and len(v) <= 1_000
        values = {value for _, value in block.choices}
        if block.multiselect:
            return lambda v: isinstance(v, list) and all(isinstance(x, str) and x in values for x in v)
        return lambda v: isinstance(v, str) and v in values
    if isinstance(block, gr.Chatbot):
        return lambda v: isinstance(v, list) and all(_is_text_message(m) for m in v)
    if isinstance(block, gr.Dataset):
        n = len(block.samples)
        return lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n
    if isinstance(block, gr.Radio):
        options = {value for _, value in block.choices}
        return lambda v: isinstance(v, str) and v in options
    if isinstance(block, gr.State):
        return lambda v: v is None  # a session's state stays on the server; the page sends null for it
    if isinstance(block, gr.File):  # files already uploaded (Gradio opens only paths in its own upload folder)
        return lambda v: v is None or (isinstance(v, list) and len(v) <= 20 and all(_is_file_data(f) for f in v))
    return None


def _is_file_data(f: object) -> bool:
    return (isinstance(f, dict) and f.keys() <= _FILE_KEYS and isinstance(f.get("path"), str)
            and f.get("meta") == {"_type": "gradio.FileData"} and not f.get("is_stream"))


def has_upload(blocks: gr.Blocks) -> bool:
    """Whether the page has a file-upload control (then, and only then, the upload route is open)."""
    import gradio as gr

    return any(isinstance(b, gr.File) and b.visible is not False for b in blocks.blocks.values())


def calls_of(blocks: gr.Blocks) -> dict[int, Call]:
    """The page's functions by fn_index: queued ones only through the queue, the others only through
    /run/predict (the route the page uses for them), and only the public named API through /call/<name>."""
    calls = {}
    for index, fn in blocks.fns.items():
        checks = [_input_check(block) for block in fn.inputs]
        if any(c is None for c in checks):
            continue
        public = fn.api_name if fn.api_visibility == "public" else None
        calls[index] = Call("queue" if fn.queue else "run", public, tuple(checks))  # type: ignore[arg-type]
    return calls


def check_call(calls: Mapping[int, Call], route: Route, body: bytes, api_name: str | None = None) -> str | None:
    """Why this call body is refused, or None when every field fits the function it names (by fn_index, or
    by ``api_name`` on the /call route)."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        return "the body is not JSON"
    if not isinstance(request, dict) or not request.keys() <= CALL_KEYS:
        return f"the body must be an object with only {', '.join(sorted(CALL_KEYS))}"
    if route == "api":
        call = next((c for c in calls.values() if c.api_name == api_name and c.route == "queue"), None)
    else:
        index = request.get("fn_index")
        call = calls.get(index) if isinstance(index, int) and not isinstance(index, bool) else None
        if call is None or call.route != route:
            return "no such function"
    if call is None:
        return "no such function"
    session = request.get("session_hash")
    if (session is None and route == "queue") or (session is not None and not (
            isinstance(session, str) and _SESSION.fullmatch(session))):
        return "session_hash must be 1-64 letters, digits, '-' or '_'"
    if request.get("event_data") is not None or not (request.get("trigger_id") is None
                                                     or _is_number(request["trigger_id"])):
        return "event_data must be null and trigger_id a number"
    data = request.get("data")
    if not isinstance(data, list) or len(data) != len(call.inputs):
        return f"data must be a list of {len(call.inputs)} values"
    bad = [n for n, (check, value) in enumerate(zip(call.inputs, data, strict=True), start=1) if not check(value)]
    return f"argument {bad[0]} is not valid for this function" if bad else None


# --- the middleware ------------------------------------------------------------------------------------------


async def _respond(send: Send, status: int, error: str, close: bool = False) -> None:
    body = json.dumps({"error": error}, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
               *SECURITY_HEADERS]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values a loopback server answers: the loopback names and the bound address, with the
    port (and bare when the port is 80)."""
    names = {*LOOPBACK_NAMES, f"[{host}]" if ":" in host else host.lower()}
    return frozenset({f"{n}:{port}" for n in names} | (names if port == 80 else set()))


class Guard:
    """ASGI middleware in front of the whole app (outside Gradio's own middleware, so its refusals and
    headers cover every response). ``hosts=None`` turns the Host check off (``--public``)."""

    def __init__(self, app: ASGIApp, calls: Mapping[int, Call], hosts: Iterable[str] | None,
                 max_body: int = MAX_BODY, max_upload: int | None = None):
        self.app = app
        self.max_upload = max_upload  # None: the upload route is closed (the page has no upload control)
        self.calls = dict(calls)
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)
        self.max_body = max_body
        self.in_flight = 0  # requests being answered, long-lived heartbeats excepted (read by Served.drain)
        self.draining = False
        self.api_names = frozenset(c.api_name for c in self.calls.values() if c.api_name and c.route == "queue")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":  # the page uses no websockets
            return await send({"type": "websocket.close", "code": 1008})
        path, method = scope["path"], scope["method"]
        if self.hosts is not None and (_header(scope, b"host") or "").lower() not in self.hosts:
            return await _respond(send, 400, "this server answers only requests addressed to localhost; "
                                             "serve with --public to be reached under other names")
        reading = method in ("GET", "HEAD")
        if self.max_upload is not None and path in (UPLOAD_PATH, UPLOAD_PROGRESS):
            return await self._upload(scope, receive, send, path, method)
        route: Route | None = CALL_PATHS.get(path) if method == "POST" else None
        page = reading and (path in PAGE_PATHS or path.startswith(PAGE_PREFIXES))
        name, _, event = path.removeprefix(API_PREFIX).partition("/")
        if path.startswith(API_PREFIX) and name in self.api_names:
            route = "api" if method == "POST" and not event else route
            page = page or (reading and bool(event) and "/" not in event)
        if not (route or page) or "/.." in path or "\\" in path:
            return await _respond(send, 404, "not found")
        if route and self.draining:
            return await _respond(send, 503, "the server is shutting down", close=True)
        if route:
            body = await self._read_body(scope, receive)
            if body is None:
                return await _respond(send, 413, f"the request body is over {self.max_body:,} bytes", close=True)
            if (why := check_call(self.calls, route, body, name)) is not None:
                return await _respond(send, 422, why)
            receive = _replay(body, receive)
        elif _header(scope, b"content-length") not in (None, "0") or _header(scope, b"transfer-encoding"):
            return await _respond(send, 413, "this route takes no request body", close=True)
        counted = 0 if path.startswith("/gradio_api/heartbeat/") else 1
        await self._forward(scope, receive, send, counted)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, counted: int) -> None:
        """Hand an admitted request to the app: counted in flight, the security headers on its response, a
        failure or a cut-off at shutdown one log line (an upload over its limit is left to its caller)."""
        method, path = scope["method"], scope["path"]
        self.in_flight += counted
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*(h for h in message.get("headers", ()) if h[0].lower() not in _OWN_HEADERS),
                                      *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except asyncio.CancelledError:
            if not self.draining:
                raise
            log.warning("%s %s cut off: the server stopped before it finished", method, path)  # not a traceback
        except _TooLarge:
            raise
        except Exception as err:  # e.g. Gradio raising inside a stream for an unknown session: one line, no traceback
            log.warning("%s %s failed: %s: %s", method, path, type(err).__name__, str(err)[:200])
            log.debug("the failure in full", exc_info=True)
            if not started:
                await _respond(send, 500, "internal error; see the server log")
        finally:
            self.in_flight -= counted

    async def _upload(self, scope: Scope, receive: Receive, send: Send, path: str, method: str) -> None:
        """The page's own uploads: same origin only, POST with at most ``max_upload`` bytes (counted as they
        arrive), the progress stream by GET. Gradio keeps the file in its temporary folder until the page's
        handler moves it into the corpus; nothing there is served back (its file route stays closed)."""
        origin, host = _header(scope, b"origin"), _header(scope, b"host")
        if origin is not None and origin.lower() not in (f"http://{host}".lower(), f"https://{host}".lower()):
            return await _respond(send, 403, "uploads are accepted only from this page")
        if path == UPLOAD_PROGRESS:
            if method != "GET":
                return await _respond(send, 404, "not found")
            return await self._forward(scope, receive, send, counted=0)
        if method != "POST" or self.draining:
            return await _respond(send, 404 if method != "POST" else 503, "not found" if method != "POST"
                                  else "the server is shutting down")
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_upload):
            return await _respond(send, 413, f"uploads are limited to {self.max_upload // 2**20} MB", close=True)
        size = 0

        async def counted_receive() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > self.max_upload:
                raise _TooLarge
            return message

        try:
            return await self._forward(scope, counted_receive, send, counted=1)
        except _TooLarge:
            return None  # the body stopped being read: the connection is closed without a response

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is longer than max_body (by its Content-Length or while
        reading a chunked one), so an oversized body is never held in memory."""
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class _TooLarge(Exception):
    """An upload went past the limit while it was being read."""


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands the already-read body to the app, then passes on the connection's own messages
    (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


# --- serving and draining -----------------------------------------------------------------------------------


@dataclass
class Served:
    """A running server (uvicorn in a thread) behind its Guard."""

    url: str
    server: Any  # uvicorn.Server
    thread: threading.Thread
    guard: Guard

    def drain(self, seconds: float = DRAIN_SECONDS, notify: Callable[[str], None] | None = None) -> int:
        """Refuse new calls (503), wait up to ``seconds`` for the requests in flight to finish, then stop.
        Returns how many were still running when the wait ended (0 when all finished)."""
        self.guard.draining = True
        if notify and self.guard.in_flight:
            notify(f"stopping: waiting up to {seconds:.0f} s for {self.guard.in_flight} request(s) in flight")
        deadline, idle_since = time.monotonic() + seconds, None
        while time.monotonic() < deadline:
            if self.guard.in_flight:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= 0.3:  # a client that just joined the queue opens its stream
                break
            time.sleep(0.05)
        left = self.guard.in_flight
        self.close()
        return left

    def close(self) -> None:
        """Stop at once: open connections get a second to finish, then are cancelled."""
        self.guard.draining = True
        self.server.should_exit = True
        self.thread.join(timeout=5)
