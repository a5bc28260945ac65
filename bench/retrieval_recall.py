"""Retrieval recall@k of BM25 alone, dense alone and the two fused, on an eval set: the
share of answerable questions with a gold answer inside one of the top k chunks.

    python bench/retrieval_recall.py [SET_DIR ...] [--k 1 3 4 5 10]

SET_DIR defaults to ../shared/eval/squad-normans and ../shared/eval/hotpot-50. The set's
docs are ingested into the same scratch index `docq eval` uses (incremental: a second run
skips them), so the figures describe exactly what `docq eval` retrieves.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import EVAL, ingest, machine, scratch_settings, table
from docq.evaluation import runner
from docq.evaluation.metrics import answer_in_text
from docq.library.index import DocumentIndex

RETRIEVERS = {"bm25": {"dense": False}, "dense": {"lexical": False}, "fused": {}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", type=Path, nargs="*", default=[EVAL / "squad-normans", EVAL / "hotpot-50"])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 3, 4, 5, 10])
    args = parser.parse_args()
    rows = []
    for set_dir in args.sets:
        settings = runner.scratch_settings(set_dir, scratch_settings())
        ingest([set_dir / "docs"], settings)
        answerable = [item for item in runner.load_set(set_dir) if item.answerable]
        with DocumentIndex(settings) as index:
            for name, only in RETRIEVERS.items():
                started = time.perf_counter()
                hits = [index.search(item.question, max(args.k), **only) for item in answerable]
                ms = (time.perf_counter() - started) * 1000 / len(answerable)
                recalls = [
                    sum(
                        answer_in_text(item.answers, [h.chunk.text for h in found[:k]])
                        for item, found in zip(answerable, hits)
                    )
                    / len(answerable)
                    for k in args.k
                ]
                rows.append([set_dir.name, len(answerable), name, *(f"{r:.3f}" for r in recalls), f"{ms:.1f}"])
    print(f"machine: {machine()}; recall = gold answer inside a retrieved chunk (answerable questions)")
    print(table(["set", "questions", "retriever", *(f"recall@{k}" for k in args.k), "ms/query"], rows))


if __name__ == "__main__":
    main()
