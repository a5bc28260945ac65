"""Ctrl-C that stops docq within a second, even inside llama.cpp.

The handler is installed first thing by the console script (docq.entry), so there is no
window in which Python's own handler, which records nothing, is in charge. Two things
kept a Ctrl-C from working. A KeyboardInterrupt raised while llama.cpp is
calling back into Python (its log callback fires throughout model loading) is swallowed
by ctypes, so `docq ask` interrupted while loading went on to answer. And a prefill is
one long C call, so the interrupt waited for it to end (up to ~15 s on 2 cores). So
docq's handler only records a Ctrl-C while C code runs (`native()`), llama.cpp's abort
callback polls that record between graph nodes (the decode stops within milliseconds),
and the KeyboardInterrupt is raised as soon as control is back in Python.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_state = {"requested": False, "native": 0}


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    # Recorded even when raised: a KeyboardInterrupt raised inside a ctypes callback is
    # swallowed by ctypes, and the record is what the next check or decode acts on.
    _state["requested"] = True
    if not _state["native"]:
        raise KeyboardInterrupt


def install() -> None:
    """Take over Ctrl-C from Python's default handler (only that one: a handler the
    program set, or an inherited SIG_IGN, is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)


def requested() -> bool:
    """Has Ctrl-C been pressed (and not yet raised)? llama.cpp's abort callback asks this."""
    return bool(_state["requested"])


def reset() -> None:
    """Forget a Ctrl-C that has been handled (chat goes on to the next question)."""
    _state["requested"] = False


def check() -> None:
    """Raise the KeyboardInterrupt a Ctrl-C inside C code left pending."""
    if _state["requested"]:
        _state["requested"] = False
        raise KeyboardInterrupt


@contextmanager
def native() -> Iterator[None]:
    """Run C code that may call back into Python; a Ctrl-C meanwhile is raised after it,
    also when it made the C code fail (llama.cpp reports an aborted decode as an error)."""
    _state["native"] += 1
    failure: Exception | None = None
    try:
        yield
    except Exception as exc:
        failure = exc
    finally:
        _state["native"] -= 1
    if not _state["native"]:
        check()
    if failure is not None:
        raise failure
