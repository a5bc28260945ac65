"""How many passages to add for names the retrieved passages lack (tuning.retrieval.max_supplements),
without a model: for each answerable question of a half, the top-k passages (compressed,
as rag reads them) plus up to N supplements (`answering.gather`), and whether the gold
answer is in what the model would read, with the prompt tokens it costs.

    python bench/supplements.py [SET_DIR ...] [--split tune|test] [--n 0 1 2 3] [--sample 100]

Uses the index `docq eval` keeps for each set (ingested on first use).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import EVAL, ingest, machine, scratch_settings, table
from docq.evaluation import runner
from docq.evaluation.metrics import answer_in_text, wilson_interval
from docq.indexers.tokens import count_tokens
from docq.library.index import DocumentIndex
from docq.pipeline.answering import gather
from docq.pipeline.compression import compress
from docq.pipeline.question import Question


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", type=Path, nargs="*", default=[EVAL / "hotpot-200", EVAL / "papers-2"])
    parser.add_argument("--split", default="tune")
    parser.add_argument("--n", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--sample", type=int, default=None)
    args = parser.parse_args()
    print(f"machine: {machine()}; split {args.split}; k = {args.k}")
    rows = []
    for set_dir in args.sets:
        settings = runner.scratch_settings(set_dir, scratch_settings())
        ingest([set_dir / "docs"], settings)
        chosen = runner.choose(runner.load_set(set_dir), None, args.sample, 1, args.split)
        items = [i for i in chosen if i.answerable]
        with DocumentIndex(settings) as index:
            base = {}
            for item in items:
                question = Question.read(item.question)
                chunks = [h.chunk for h in index.search(item.question, args.k)]
                base[item.id] = (question, [p for c in chunks for p in compress(c, question)])
            for n in args.n:
                kept = tokens = added = 0
                for item in items:
                    question, passages = base[item.id]
                    read, _ = gather(index, question, passages, n)
                    kept += answer_in_text(item.answers, [p.text for p in read])
                    tokens += sum(count_tokens(p.text) for p in read)
                    added += len(read) > len(passages)
                low, high = wilson_interval(kept, len(items))
                rows.append(
                    [
                        set_dir.name,
                        n,
                        len(items),
                        f"{kept / len(items):.3f} ({low:.2f}-{high:.2f})",
                        added,
                        f"{tokens / len(items):.0f}",
                    ]
                )
    print(table(["set", "supplements", "answerable", "gold read", "questions supplemented", "tokens"], rows))


if __name__ == "__main__":
    main()
