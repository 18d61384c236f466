"""The engine a server answers with, and the builds that replace it: the page opens before the index exists.

``EngineSlot`` holds the current ``BulletinQA`` (None until the first build is done) and at most one
background build at a time. A build reports its stage and fraction; when it finishes, the new engine
replaces the old one in one assignment (a question in flight keeps the engine it started with), and
``version`` goes up so the page can refresh its report list. After a refit (`bqa eval --fit`) the engine's
fitted models are read again at the next question (``current``), the index and its tables shared. Uploaded
files are checked and written into the corpus folder here — never anywhere the server could serve them back
from.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.api import BulletinQA
from qa.errors import BqaError
from qa.ingest.formats import SHEET_SUFFIXES
from qa.linear import packaged_stamp

log = logging.getLogger(__name__)

UPLOAD_FOLDER = "uploads"  # inside the corpus folder
MAX_UPLOAD_BYTES = 50 * 2**20
UPLOAD_SUFFIXES = (".pdf", ".ofd", ".docx", ".doc", ".wps", ".txt", ".md", ".html", ".htm", *SHEET_SUFFIXES)


@dataclass(frozen=True)
class BuildState:
    """What the page shows about the index: ready, or building (stage, fraction), or failed (message)."""

    ready: bool
    building: bool
    stage: str = ""
    fraction: float = 0.0
    message: str = ""  # why the last build failed
    version: int = 0
    skipped: str = ""  # the files the last finished build could not read, and why
    started: float = 0.0


class EngineSlot:
    def __init__(self, index_dir: Path | None, corpus_dir: Path | None, engine: BulletinQA | None = None,
                 embedder: str | None = None, open_kwargs: dict | None = None,
                 say: Callable[[str], None] | None = None):
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.corpus_dir = Path(corpus_dir) if corpus_dir is not None else None
        self.engine = engine
        self.embedder = embedder
        self.open_kwargs = open_kwargs or {}
        self._lock = threading.Lock()
        self._swap = threading.Lock()  # one engine replaces another at a time (a build, or the models read again)
        self._unreadable: tuple | None = None  # the stamp of model files that could not be read
        self.say = say or log.warning
        self._thread: threading.Thread | None = None
        self._again = False  # files arrived while a build ran: build once more after it
        self._state = BuildState(ready=engine is not None, building=False, version=int(engine is not None))

    @property
    def can_build(self) -> bool:
        """A slot made around an engine alone (tests, the API) has no folders to build in."""
        return self.index_dir is not None and self.corpus_dir is not None

    @property
    def state(self) -> BuildState:
        return self._state

    def _set(self, **changes) -> None:
        self._state = BuildState(**{**self._state.__dict__, **changes})

    def current(self) -> BulletinQA | None:
        """The engine to answer with (None until the first build is done), its fitted models read again first
        when a refit (`bqa eval --fit`) has replaced the files it read; a question in flight keeps the engine it
        started with. Files that cannot be read (another version's features, a half-written file) leave the
        engine as it is, and are tried again only once they change again."""
        engine = self.engine
        if engine is None or not engine.models_changed():
            return engine
        with self._swap:
            engine = self.engine  # a build may have swapped in its engine meanwhile: check that one
            if engine is None:
                return engine
            stamp = packaged_stamp(engine._models_read)  # the files now: unchanged, or known to be unreadable
            if stamp in (engine._models_stamp, self._unreadable):
                return engine
            try:
                self.engine = engine = engine.with_current_models()
            except Exception as err:  # noqa: BLE001 — the page keeps answering with the models it has
                self._unreadable = stamp
                self._say(f"bqa: the fitted models changed but cannot be read ({type(err).__name__}: "
                          f"{str(err)[:200]}); the page keeps the ones it loaded and `bqa ask` answers in its own "
                          "process")
            else:
                self._say("bqa: the fitted models changed (bqa eval --fit): read them again")
            return engine

    def _say(self, message: str) -> None:
        try:
            self.say(message)
        except Exception:  # noqa: BLE001 — a closed log stream never fails a question
            log.exception("could not report: %s", message)

    def build(self, wait: bool = False) -> None:
        """Build (or refresh) the index in the background, then swap in the new engine."""
        if not self.can_build:
            raise BqaError("this engine was opened without its corpus and index folders; nothing to build")
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
            else:
                self._set(building=True, stage="scan", fraction=0.0, message="", started=time.monotonic())
                self._thread = threading.Thread(target=self._run, name="bqa-build", daemon=True)
                self._thread.start()
            thread = self._thread
        if wait:
            thread.join()

    def _run(self) -> None:
        from qa.index.store import build_index

        while True:
            try:
                report = build_index(self.corpus_dir, self.index_dir, self.embedder or _embedder_of(self),
                                     progress=lambda stage, fraction: self._set(stage=stage, fraction=fraction))
                self._set(stage="load", fraction=1.0)
                engine = BulletinQA.open(self.index_dir, self.corpus_dir, build_if_missing=False, **self.open_kwargs)
                engine.warm_up()
                with self._swap:
                    self.engine = engine
                note = "; ".join(w.removeprefix("skipped ") for w in report.warnings[:3])
                self._set(ready=True, message="", skipped=note, version=self._state.version + 1)
            except BqaError as err:
                self._set(message=str(err))
            except Exception as err:  # noqa: BLE001 — the server stays up with its previous engine
                log.exception("index build failed")
                self._set(message=f"internal error ({type(err).__name__}); see the server log")
            with self._lock:
                if not self._again:
                    self._set(building=False)
                    return
                self._again = False

    # --- uploads ------------------------------------------------------------------------------------------

    def add_file(self, data_path: Path, name: str) -> Path:
        """Copy one uploaded file into the corpus's uploads folder after checking it; returns where it went."""
        if self.corpus_dir is None:
            raise BqaError("no corpus folder to add files to")
        return store_upload(self.corpus_dir, Path(data_path), name)


def _embedder_of(slot: EngineSlot) -> str:
    from qa.embedders import DEFAULT_EMBEDDER

    return slot.engine.index.manifest.embedder.name if slot.engine is not None else DEFAULT_EMBEDDER


_UNSAFE = re.compile(r"[^\w.\-（）()【】 ]+")


def safe_name(name: str) -> str:
    """A plain file name from whatever the browser sent: no folders, no control characters, no leading dot."""
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    stem = _UNSAFE.sub("_", stem if dot else base).strip(" ._")[:80] or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem}.{suffix}" if dot and suffix else stem


def _looks_like(suffix: str, head: bytes) -> bool:
    if suffix == ".pdf":
        return head.startswith(b"%PDF-")
    if suffix in (".docx", ".ofd"):
        return head.startswith(b"PK\x03\x04")
    if suffix in (".doc", ".wps"):  # Word 97–2003 (WPS Writer's .wps is too), or what sites serve under that name
        # and the corpus reader reads too
        from qa.ingest.formats import doc_kind, doc_refusal

        kind = doc_kind(head)
        if refused := doc_refusal(kind, suffix):
            raise refused
        return kind is not None
    if suffix in SHEET_SUFFIXES:  # either kind of workbook under either name, or a page saved as .xls
        from qa.ingest.sheets import sheet_kind

        kind = sheet_kind(head)
        if kind == "encrypted":
            raise BqaError("the workbook is password-protected; save a copy without a password",
                           zh="工作簿设有密码；请另存一份不带密码的副本")
        return kind in ("xlsx", "xls") or (suffix == ".xls" and kind == "html")
    return b"\x00" not in head.lstrip(b"\xff\xfe\xef\xbb\xbf")[:4096] or head[:2] in (b"\xff\xfe", b"\xfe\xff")


def _same_file(folder: Path, data_path: Path, size: int) -> Path | None:
    """An earlier upload with the same bytes, if any (compared only with files of the same size)."""
    import filecmp

    if not folder.is_dir():
        return None
    for p in sorted(folder.iterdir()):
        if not p.name.startswith(".") and p.is_file() and p.stat().st_size == size \
                and filecmp.cmp(p, data_path, shallow=False):
            return p
    return None


def store_upload(corpus_dir: Path, data_path: Path, name: str) -> Path:
    """Check an upload (type by suffix and content, size) and write it into ``corpus/uploads/`` atomically."""
    clean = safe_name(name)
    suffix = Path(clean).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        from qa.ingest.formats import CONVERT_HINTS, CONVERT_HINTS_ZH

        hint, hint_zh = CONVERT_HINTS.get(suffix), CONVERT_HINTS_ZH.get(suffix)
        raise BqaError(f"{clean}: only PDF, OFD, DOCX, DOC, WPS, XLSX, XLS, ET, TXT, MD and HTML files can be added"
                       + (f"; {hint}" if hint else ""),
                       zh=f"{clean}：只能加入 PDF、OFD、DOCX、DOC、WPS、XLSX、XLS、ET、TXT、MD 或 HTML 文件" + (f"；{hint_zh}" if hint_zh else ""))
    size = data_path.stat().st_size
    if size == 0:
        raise BqaError(f"{clean}: the file is empty", zh=f"{clean}：文件是空的")
    if size > MAX_UPLOAD_BYTES:
        raise BqaError(f"{clean}: {size / 2**20:.1f} MB is over the {MAX_UPLOAD_BYTES // 2**20} MB limit",
                       zh=f"{clean}：{size / 2**20:.1f} MB，超过 {MAX_UPLOAD_BYTES // 2**20} MB 的上限")
    with data_path.open("rb") as f:
        head = f.read(8192)
    try:
        looks = _looks_like(suffix, head)
    except BqaError as err:
        raise BqaError(f"{clean}: {err}", zh=f"{clean}：{err.text('zh')}") from None
    if not looks:
        kind = suffix[1:].upper()
        raise BqaError(f"{clean}: the content is not {'an' if kind[0] in 'AEFHILMNORSX' else 'a'} {kind} file",
                       zh=f"{clean}：内容不是 {kind} 文件")
    folder = Path(corpus_dir) / UPLOAD_FOLDER
    if same := _same_file(folder, data_path, size):  # uploaded twice: one copy, or every answer is said twice
        raise BqaError(f"{clean}: the same file is already in the corpus as {same.name}",
                       zh=f"{clean}：同一文件已在公报库中（{same.name}）")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{uuid.uuid4().hex}.part"  # dot files are never read as corpus files
    try:
        with data_path.open("rb") as src, tmp.open("xb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        for n in range(1, 1000):  # a hard link never replaces an existing file, even one added meanwhile
            target = folder / (clean if n == 1 else f"{Path(clean).stem}-{n}{suffix}")
            try:
                os.link(tmp, target)
                return target
            except FileExistsError:
                continue
        raise BqaError(f"{clean}: too many files of that name in {folder}")
    finally:
        tmp.unlink(missing_ok=True)
