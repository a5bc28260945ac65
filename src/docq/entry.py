"""The `docq` console script: Ctrl-C is docq's from the first instant.

docq's Ctrl-C handler is installed before anything heavy is imported, so a Ctrl-C during
start-up, while a model loads or during a prefill ends docq with exit 130 and one line,
never a traceback or an answer that goes on (interrupts.py has the mechanics)."""

from __future__ import annotations

import sys


def main() -> None:
    from docq import interrupts

    interrupts.install()
    try:
        from docq.cli import run
    except KeyboardInterrupt:
        print("docq: interrupted", file=sys.stderr)
        sys.exit(130)
    run()
