"""Where a question is lost: retrieval (the answer is not in the passages the model reads)
or reading (it is, and the answer is still wrong), per question kind.

    python bench/paraphrase_loss.py ../shared/eval/hard --split test [--kinds paraphrase yesno] [--run RUN.json]

Retrieval is replayed without generating: the question read, searched and cut into the
passages rag would read (the answer model is loaded only for its tokenizer's budget). With
`--run` (a `docq eval --json` of the same questions) each question that the passages hold
is split by whether the answer was right.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docq.config import load_settings
from docq.evaluation.metrics import answer_in_text
from docq.evaluation.runner import choose, load_set
from docq.evaluation.runner import scratch_settings as eval_scratch
from docq.library import Library
from docq.pipeline.question import Question
from docq.pipeline.routes import RouteContext, order_passages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--kinds", nargs="*", default=[])
    parser.add_argument("--run", type=Path)
    args = parser.parse_args()
    items = choose(load_set(args.set_dir), None, None, 0, split=args.split)
    items = [i for i in items if i.answerable and (not args.kinds or i.kind in args.kinds)]
    right = {}
    if args.run:
        right = {r["id"]: bool(r["right"]) for r in json.loads(args.run.read_text())["rows"]}
    settings = eval_scratch(args.set_dir, load_settings({}))
    counts: dict[str, dict[str, int]] = {}
    with Library(settings=settings) as docs:
        docs.ingest([args.set_dir / "docs"])
        ctx = RouteContext(docs.index, docs.llm, settings)
        for item in items:
            question = Question.read(item.question)
            hits = docs.index.search(question.text, settings.top_k * settings.tuning.retrieval.search_pool)
            read = order_passages(ctx, question, hits)
            held = answer_in_text(item.answers, [p.text for p in read])
            searched = answer_in_text(item.answers, [h.chunk.text for h in hits])
            row = counts.setdefault(item.kind or "all", {"questions": 0, "in pool": 0, "read": 0, "read, right": 0})
            row["questions"] += 1
            row["in pool"] += searched
            row["read"] += held
            row["read, right"] += held and right.get(item.id, False)
            print(
                f"{item.id} {item.kind:<11} pool {'+' if searched else '-'} read {'+' if held else '-'} "
                f"{'right' if right.get(item.id) else ''}  {item.question[:70]}"
            )
    print(f"\n{'kind':<12}{'questions':>10}{'in pool':>9}{'read':>6}{'read, right':>13}")
    for kind, row in counts.items():
        print(f"{kind:<12}{row['questions']:>10}{row['in pool']:>9}{row['read']:>6}{row['read, right']:>13}")


if __name__ == "__main__":
    main()
