"""Passage KV reuse against reading passages in order, on one index, in one run.

Asks the shared papers questions in order three ways with the same model: `kv_reuse=off`
(today's prefill), `passages` starting with an empty passage cache (a user's first
session: later questions reuse the passages earlier ones read) and `passages` again with
every state saved (warm). Prints the median time to first token and total per question,
their ratios to `off`, the share of prompt tokens served from saved states, the disk per
cached passage token, and the answers that changed (quality: right and grounded, as
`docq eval` scores papers).

    python bench/passage_reuse.py [--questions 15] [--model qwen2.5-coder-1.5b]
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
from docq.evaluation.metrics import is_right
from docq.evaluation.runner import load_set
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
            cited = {Path(c.source).name for c in answer.citations}
            right = is_right(answer.text, answer.abstained, item.answers, item.all_of, item.answerable)
            rows.append(
                {
                    "ttft": (answer.timings_ms.retrieve + answer.timings_ms.prefill) / 1000,
                    "total": total,
                    "prompt": answer.tokens.prompt,
                    "cached": answer.tokens.cached,
                    "right": right,
                    "grounded": right and (not item.answerable or item.source in cited),
                    "answer": answer.text,
                }
            )
            print(
                f"  {label:<14} {item.id} ttft {rows[-1]['ttft']:5.1f}s cached {answer.tokens.cached:>4}/"
                f"{answer.tokens.prompt:<4} {'right' if right else 'wrong'}",
                flush=True,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=15)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    args = parser.parse_args()
    items = load_set(EVAL / "papers")[: args.questions]
    base = scratch_settings(model=args.model)
    # The index `docq eval` keeps for the set (ingested once); a KV cache of its own (it
    # lives beside the models dir), so the user's stays as it is.
    data_dir = eval_scratch(EVAL / "papers", base).data_dir
    own = base.data_dir.parent / f"{base.data_dir.name}-cache"
    own.mkdir()
    (own / "models").symlink_to(base.models_dir, target_is_directory=True)
    base = dataclasses.replace(base, models_dir=own / "models", data_dir=data_dir)
    with Library(settings=base) as docs:
        docs.ingest([EVAL / "papers" / "docs"])
    off = dataclasses.replace(base, kv_reuse="off")
    on = dataclasses.replace(base, kv_reuse="passages")
    print(f"{machine()}; {len(items)} papers questions; model {args.model}")
    results = {
        "off": run(off, items, "off"),
        "passages, cold": run(on, items, "passages cold"),
        "passages, warm": run(on, items, "passages warm"),
    }
    reference = results["off"]
    print(
        f"\n{'':18}{'median TTFT':>12}{'ratio':>7}{'median total':>14}{'ratio':>7}{'cached':>8}{'right':>7}{'grounded':>9}"
    )
    for label, rows in results.items():
        ttft, total = statistics.median(r["ttft"] for r in rows), statistics.median(r["total"] for r in rows)
        shared = sum(r["cached"] for r in rows) / max(1, sum(r["prompt"] for r in rows))
        print(
            f"{label:<18}{ttft:>11.1f}s{statistics.median(reference_r['ttft'] for reference_r in reference) / ttft:>6.1f}x"
            f"{total:>13.1f}s{statistics.median(r['total'] for r in reference) / total:>6.1f}x{shared:>8.0%}"
            f"{sum(r['right'] for r in rows):>5}/{len(rows)}{sum(r['grounded'] for r in rows):>6}/{len(rows)}"
        )
    changed = [
        (i.id, a["answer"], b["answer"])
        for i, a, b in zip(items, reference, results["passages, warm"])
        if a["answer"] != b["answer"]
    ]
    print(f"answers that changed with passage reuse: {len(changed)} of {len(items)}")
    for qid, before, after in changed:
        print(f"  {qid}: {before[:60]!r} -> {after[:60]!r}")
    states = list(on.kv_cache_dir.glob("*.kv"))
    if states:
        size = sum(p.stat().st_size for p in states)
        print(f"saved states: {len(states)} files, {size / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
