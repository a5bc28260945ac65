"""Passage KV reuse, with and without boundary recompute, against in-order prefill of the
same prompts, on questions pooled from several sets' test halves, in one run.

For each set: the same questions asked with `kv_reuse=off` (whole passages read in order:
the same prompt as reuse builds, since reuse keeps whole chunks), then with `passages`
from an empty passage cache (cold: states are computed as passages are first read),
then once per `--recompute` value with every state saved (warm). Prints, per
configuration, pooled over the sets: right (an abstention on an unanswerable question
counts), its 95% interval, mean F1, the answers that differ from in-order prefill, the
median time to first token and its ratio to in-order, the share of prompt tokens loaded
from states; then the disk the states take per token.

    python bench/passage_reuse.py [--sets papers-2:20 squad-dev:20 hotpot-200:24]
                                  [--recompute 0 8 16 32] [--model qwen2.5-coder-0.5b]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import EVAL, machine, scratch_settings
from docq.evaluation.metrics import is_right, score_question, wilson_interval
from docq.evaluation.runner import choose, load_set
from docq.evaluation.runner import scratch_settings as eval_scratch
from docq.library import Library


def run(settings, items, label):  # type: ignore[no-untyped-def]
    rows = []
    with Library(settings=settings) as docs:
        docs.ask("warm up: what is this about?")  # models loaded before the clock starts
        for item in items:
            started = time.perf_counter()
            answer = docs.ask(item.question)
            total = time.perf_counter() - started
            score = score_question(answer.text, answer.abstained, item.answers, item.answerable)
            right = is_right(answer.text, answer.abstained, item.answers, item.all_of, item.answerable)
            rows.append(
                {
                    "ttft": (answer.timings_ms.retrieve + answer.timings_ms.prefill) / 1000,
                    "total": total,
                    "prompt": answer.tokens.prompt,
                    "cached": answer.tokens.cached,
                    "right": right,
                    "f1": score.f1,
                    "answer": answer.text,
                }
            )
            print(
                f"  {label:<16} {item.id} ttft {rows[-1]['ttft']:5.1f}s cached {answer.tokens.cached:>4}/"
                f"{answer.tokens.prompt:<4} {'right' if right else 'wrong'}",
                flush=True,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", nargs="+", default=["papers-2:20", "squad-dev:20", "hotpot-200:24"])
    parser.add_argument("--recompute", type=int, nargs="+", default=[0, 8, 16, 32])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    base = scratch_settings(model=args.model, compress=False)  # reuse keeps whole chunks: so does in-order
    # A KV cache of its own (it lives beside the models dir), so the user's stays as it is.
    own = base.data_dir.parent / f"{base.data_dir.name}-cache"
    own.mkdir()
    (own / "models").symlink_to(base.models_dir, target_is_directory=True)
    labels = ["in order", "reuse, cold", *[f"reuse k={k}" for k in args.recompute]]
    pooled: dict[str, list[dict]] = {label: [] for label in labels}
    counts = []
    for spec in args.sets:
        name, _, n = spec.partition(":")
        items = choose(load_set(EVAL / name), limit=None, sample=int(n or 20), seed=1, split="test", split_seed="")
        counts.append(f"{name} {len(items)}")
        settings = dataclasses.replace(
            base, models_dir=own / "models", data_dir=eval_scratch(EVAL / name, base).data_dir
        )
        with Library(settings=settings) as docs:
            docs.ingest([EVAL / name / "docs"])
        pooled["in order"] += run(dataclasses.replace(settings, kv_reuse="off"), items, f"{name} in order")
        on = dataclasses.replace(settings, kv_reuse="passages", kv_recompute=args.recompute[0])
        pooled["reuse, cold"] += run(on, items, f"{name} cold")
        for k in args.recompute:
            pooled[f"reuse k={k}"] += run(dataclasses.replace(on, kv_recompute=k), items, f"{name} k={k}")
    reference = pooled["in order"]
    ttft0 = statistics.median(r["ttft"] for r in reference)
    n = len(reference)
    print(f"\n{machine()}; model {args.model}; questions: {', '.join(counts)} (test halves, seed 1)")
    print(f"{'':16}{'right':>9}{'95% interval':>15}{'F1':>7}{'changed':>9}{'TTFT p50':>10}{'ratio':>7}{'cached':>8}")
    for label, rows in pooled.items():
        right = sum(r["right"] for r in rows)
        lo, hi = wilson_interval(right, n)
        changed = sum(a["answer"] != b["answer"] for a, b in zip(reference, rows))
        ttft = statistics.median(r["ttft"] for r in rows)
        shared = sum(r["cached"] for r in rows) / max(1, sum(r["prompt"] for r in rows))
        f1 = sum(r["f1"] for r in rows) / n
        print(
            f"{label:<16}{right:>5}/{n:<3}{f'{lo:.2f}-{hi:.2f}':>15}{f1:>7.3f}{changed:>9}{ttft:>9.1f}s"
            f"{ttft0 / ttft:>6.1f}x{shared:>8.0%}"
        )
    states = list((own / "kv-cache").glob("*.kv"))
    if states:
        size = sum(p.stat().st_size for p in states)
        print(f"saved states: {len(states)} files, {size / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
