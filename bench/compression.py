"""Passage compression without a model: how many prompt tokens it saves and how often the
gold answer survives it, for k retrieved passages, on the tuning half of each set.

    python bench/compression.py [SET_DIR ...] [--k 4 6 8] [--split tune|test]

"kept" is the share of answerable questions whose gold answer is inside the passages
the model would read (whole, or compressed); tokens are cl100k per question. The answer
model's accuracy and time with compression on and off come from `docq eval`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import EVAL, ingest, machine, scratch_settings, table
from docq.evaluation import runner
from docq.evaluation.metrics import answer_in_text
from docq.indexers.tokens import count_tokens
from docq.library.index import DocumentIndex
from docq.pipeline.compression import compress
from docq.pipeline.question import Question


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "sets", type=Path, nargs="*", default=[EVAL / "squad-normans", EVAL / "hotpot-50", EVAL / "papers"]
    )
    parser.add_argument("--k", type=int, nargs="+", default=[4, 6, 8])
    parser.add_argument("--split", default="tune")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rows = []
    for set_dir in args.sets:
        settings = runner.scratch_settings(set_dir, scratch_settings())
        ingest([set_dir / "docs"], settings)
        items = [i for i in runner.choose(runner.load_set(set_dir), None, None, 0, args.split) if i.answerable]
        with DocumentIndex(settings) as index:
            for k in args.k:
                whole_kept = short_kept = 0
                whole_tokens = short_tokens = 0
                for item in items:
                    question = Question.read(item.question)
                    chunks = [h.chunk for h in index.search(item.question, k)]
                    pieces = [p for c in chunks for p in compress(c, question)]
                    whole_kept += answer_in_text(item.answers, [c.text for c in chunks])
                    short_kept += answer_in_text(item.answers, [p.text for p in pieces])
                    whole_tokens += sum(count_tokens(c.text) for c in chunks)
                    short_tokens += sum(count_tokens(p.text) for p in pieces)
                n = len(items)
                rows.append(
                    [
                        set_dir.name,
                        k,
                        n,
                        f"{whole_kept / n:.3f}",
                        f"{short_kept / n:.3f}",
                        f"{whole_tokens / n:.0f}",
                        f"{short_tokens / n:.0f}",
                        f"{short_tokens / whole_tokens:.2f}",
                    ]
                )
    print(
        table(
            ["set", "k", "questions", "kept whole", "kept compressed", "tokens whole", "tokens compressed", "ratio"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
