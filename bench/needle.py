"""Needle in a haystack: a fact inserted at depths 0-100% of 2k-24k tokens of Paul
Graham's essays (../shared/eval/haystack), asked through each route.

    python bench/needle.py [--lengths 2000 8000 24000] [--depths 0 25 50 75 100] [--routes rag memo full]
                           [--full-max 4000]

Prints a heat table like the NIAH test's: one cell per (depth, length), one mark per
route (+ found, - missed, . not run). The full route gets a budget of the document's
length so it reads the whole haystack; it runs up to --full-max tokens so the bench stays
under 10 minutes on 2 cores (bench/kv_reuse.py times full reads of 16k tokens).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import time

from _common import EVAL, machine, scratch_settings
from docq.indexers.tokens import encoding
from docq.library import Library
from docq.types import Route

NEEDLE = "The secret ingredient of the best pizza in Lisbon is smoked paprika from La Vera."
QUESTION = "What is the secret ingredient of the best pizza in Lisbon?"
EXPECTED = "paprika"


def haystack(tokens: int, depth: float) -> str:
    text = "\n\n".join(p.read_text() for p in sorted((EVAL / "haystack").glob("*.txt")))
    ids = encoding().encode_ordinary(text)[:tokens]
    body = encoding().decode(ids)
    cut = int(len(body) * depth)
    boundary = [m.end() for m in re.finditer(r"[.!?]\s", body)]
    at = min(boundary, key=lambda b: abs(b - cut)) if boundary and 0 < depth < 1 else (0 if depth == 0 else len(body))
    return body[:at] + ("\n\n" if at else "") + NEEDLE + "\n\n" + body[at:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=int, nargs="+", default=[2000, 8000, 24000])
    parser.add_argument("--depths", type=int, nargs="+", default=[0, 25, 50, 75, 100])
    parser.add_argument("--routes", nargs="+", default=["rag", "memo", "full"])
    parser.add_argument(
        "--full-max",
        type=int,
        default=4000,
        help="longest haystack the full route reads (prefill is ~180 tok/s on 2 cores)",
    )
    args = parser.parse_args()
    settings = scratch_settings(n_ctx=max(args.lengths) + 3072)
    docs = settings.data_dir.parent / f"{settings.data_dir.name}-docs"
    docs.mkdir()
    results: dict[tuple[int, int], str] = {}
    seconds: dict[str, float] = {r: 0.0 for r in args.routes}
    for length in args.lengths:
        routed = dataclasses.replace(settings, max_context_tokens=int(length * 1.25) + 512)
        for depth in args.depths:
            (docs / "haystack.txt").write_text(haystack(length, depth / 100))
            marks = ""
            with Library(settings=routed) as asker:
                asker.ingest([docs])
                for route in ("rag", "memo", "full"):
                    if route not in args.routes or (route == "full" and length > args.full_max):
                        marks += "."
                        continue
                    started = time.perf_counter()
                    answer = asker.ask(QUESTION, route=Route(route))
                    seconds[route] += time.perf_counter() - started
                    marks += "+" if EXPECTED in answer.text.lower() else "-"
            results[(depth, length)] = marks
            print(f"  {length:>6} tokens, depth {depth:>3}%: {marks}", flush=True)
    print(f"\nmachine: {machine()}; cells: rag memo full (+ found, - missed)")
    print("depth  " + "  ".join(f"{n:>7,}" for n in args.lengths))
    for depth in args.depths:
        print(f"{depth:>4}%  " + "  ".join(f"{results[(depth, n)]:>7}" for n in args.lengths))
    for route in args.routes:
        marks = [m["rag memo full".split().index(route)] for m in results.values()]
        print(f"{route}: found {marks.count('+')}/{len(marks) - marks.count('.')}, {seconds[route]:.0f}s in all")
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    shutil.rmtree(docs, ignore_errors=True)


if __name__ == "__main__":
    main()
