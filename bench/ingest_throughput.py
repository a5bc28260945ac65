"""Ingest throughput on ../shared/eval/papers: pages/s and chunks/s, split by stage.

    python bench/ingest_throughput.py

A fresh data dir each run; a second pass shows what the incremental skip costs.
"""

from __future__ import annotations

import shutil
import time

from _common import EVAL, machine, scratch_settings, table


def main() -> None:
    settings = scratch_settings()
    papers = EVAL / "papers"
    from docq.library import Library

    with Library(settings=settings) as docs:
        docs.embedder.embed(["warm up"])  # model loading is not billed to the first file
        first = docs.ingest([papers])
        started = time.perf_counter()
        second = docs.ingest([papers])
        skip_seconds = time.perf_counter() - started
    stages = first.stage_seconds
    print(f"machine: {machine()}")
    print(f"{first.added} files, {first.pages} pages, {first.chunks} chunks in {first.seconds:.1f}s")
    print(
        table(
            ["stage", "seconds", "share"],
            [[name, f"{sec:.1f}", f"{sec / first.seconds:.0%}"] for name, sec in stages.items()]
            + [["other (walk, hash, BM25)", f"{first.seconds - sum(stages.values()):.1f}", ""]],
        )
    )
    print(f"throughput: {first.pages / first.seconds:.2f} pages/s, {first.chunks / first.seconds:.1f} chunks/s")
    print(f"embedding alone: {first.chunks / stages['embed']:.1f} chunks/s")
    print(
        f"second run: {second.skipped} skipped in {skip_seconds:.2f}s = {skip_seconds / first.seconds:.3f} of the first run"
    )
    shutil.rmtree(settings.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
