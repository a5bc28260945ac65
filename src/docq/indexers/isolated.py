"""Read each file in a worker process with a time and a memory budget, so that no file can
stop an ingest: a reader that raises, hangs, exhausts memory or crashes inside a C library
(PDFium, libxml2) costs that file only, as a one-line failure, and the next file goes on.

The worker is a plain `python -m docq.indexers.isolated`, started on the first file that
needs reading and kept for the rest of the ingest (its start, ~0.5 s, is paid once). It
answers one JSON line per request on a pipe: the pages and title, or the reason the file
could not be read. Nothing it sends is code (JSON, not pickle). A worker past its time is
killed and a new one started for the next file; its address space is capped
(RLIMIT_AS), so a file that needs more fails with MemoryError instead of swapping the
machine. Ctrl-C goes to the ingest, not the worker, which is killed with it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from docq.errors import ReadError
from docq.tuning import Parsing
from docq.types import DocKind, DocumentText, Page

_MB = 2**20


class IsolatedReader:
    """Reads files in a worker process; `read` raises ReadError with the reason."""

    def __init__(self, seconds: float, memory_mb: int) -> None:
        self.seconds = seconds
        self.memory_mb = memory_mb
        self._worker: subprocess.Popen[bytes] | None = None

    def read(self, path: Path, kind: DocKind, parsing: Parsing = Parsing()) -> DocumentText:
        worker = self._start()
        assert worker.stdin is not None and worker.stdout is not None
        request = {"path": str(path), "kind": kind.value, "parsing": dataclasses.asdict(parsing)}
        try:
            worker.stdin.write(json.dumps(request).encode() + b"\n")
            worker.stdin.flush()
        except OSError:
            self.close()
            raise ReadError(self._death_reason(worker)) from None
        line = _read_line(worker.stdout, self.seconds)
        if line is None:  # past its time: the worker is stuck in this file
            self.close()
            raise ReadError(f"reading took longer than {self.seconds:g} s (--parse-timeout); the file was skipped")
        if not line:
            self.close()
            raise ReadError(self._death_reason(worker))
        try:
            reply = json.loads(line)
            if "error" in reply:
                raise ReadError(str(reply["error"]))
            pages = [Page(number=p["number"], text=p["text"], extractor=p["extractor"]) for p in reply["pages"]]
            printed = tuple(str(line) for line in reply.get("printed", ()))[:6]
            return DocumentText(pages=pages, title=str(reply["title"]), printed=printed)
        except (ValueError, KeyError, TypeError):
            self.close()
            raise ReadError("the reader's reply was malformed") from None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._worker is not None and self._worker.poll() is None:
            return self._worker
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "docq.indexers.isolated", str(self.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        return self._worker

    def _death_reason(self, worker: subprocess.Popen[bytes]) -> str:
        try:
            code = worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        self._worker = None
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            how = f"was killed by {name}"
        else:
            how = f"exited with status {code}"
        return (
            f"the reader {how} while reading it (a damaged file, or one that needs more than "
            f"{self.memory_mb:,} MB: --parse-max-mb)"
        )

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        for stream in (worker.stdin, worker.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_line(stream: IO[bytes], seconds: float) -> bytes | None:
    """One line from the worker: b"" when it died, None when `seconds` passed first."""
    deadline = time.monotonic() + seconds
    fd = stream.fileno()
    parts: list[bytes] = []
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not selector.select(min(left, 0.5)):
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                return b""
            end = data.find(b"\n")
            if end >= 0:
                parts.append(data[:end])
                return b"".join(parts)
            parts.append(data)


# -- the worker ------------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ReadError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "needs more memory to read than --parse-max-mb allows"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    message = " ".join(str(exc).split())[:160]
    return f"could not be read ({type(exc).__name__}{': ' + message if message else ''})"


def _serve(memory_mb: int) -> None:
    """Answer requests on stdin until it closes; protocol lines go to a private copy of
    stdout, and whatever libraries print goes nowhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the ingest handles Ctrl-C and kills us
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        import resource

        limit = memory_mb * _MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - no rlimits (Windows) or a lower hard cap
        pass
    from docq.indexers.readers import read_document

    for line in sys.stdin.buffer:
        reply: dict[str, Any]
        try:
            request = json.loads(line)
            document = read_document(Path(request["path"]), DocKind(request["kind"]), Parsing(**request["parsing"]))
            reply = {
                "pages": [{"number": p.number, "text": p.text, "extractor": p.extractor} for p in document.pages],
                "title": document.title,
                "printed": list(document.printed),
            }
        except BaseException as exc:  # every failure is the file's, never the worker's
            reply = {"error": _reason(exc)}
        try:
            data = json.dumps(reply).encode("ascii")  # \u escapes carry any text, lone surrogates too
        except MemoryError:
            data = json.dumps({"error": _reason(MemoryError())}).encode()
        out.write(data + b"\n")
        out.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
