"""Ingest time of a 1 MB text file written as one line against the same 1 MB as paragraphs:
linear in size either way? (The bundled Normans sample repeated to 1 MB.)

    python bench/long_lines.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, ingest, machine, scratch_settings


def main() -> None:
    text = (ROOT / "samples" / "normans.txt").read_text()
    body = (text * (1_000_000 // len(text) + 1))[:1_000_000]
    folder = Path(tempfile.mkdtemp(prefix="docq-lines-"))
    files = {"paragraphs": body, "one line": " ".join(body.split())}
    print(machine())
    times = {}
    for name, content in files.items():
        docs = folder / name.replace(" ", "-")
        docs.mkdir()
        (docs / "doc.txt").write_text(content)
        started = time.perf_counter()
        report = ingest([docs], scratch_settings())
        times[name] = time.perf_counter() - started
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in report.stage_seconds.items())
        print(f"{name:<11} {len(content) / 1e6:.2f} MB: {report.chunks:,} chunks in {times[name]:.1f}s ({stages})")
    print(f"one line / paragraphs: {times['one line'] / times['paragraphs']:.2f}x the time")


if __name__ == "__main__":
    main()
