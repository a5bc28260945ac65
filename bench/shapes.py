"""Shape accuracy of the question reader (pipeline.question.shape_of) on every shared set,
per half: the shape each question asks for (its `kind` on the papers sets, yes/no for a
yes/no gold answer, else a phrase) against the shape read from its wording. No model.

    python bench/shapes.py [--show-misses]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import EVAL
from docq.evaluation.metrics import wilson_interval
from docq.evaluation.runner import load_set, split_half
from docq.pipeline.question import shape_of

SETS = ("papers", "papers-2", "hard", "hotpot-50", "hotpot-200", "squad-normans", "squad-dev")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    print(f"{'set':<15}{'half':<6}{'questions':>10}{'shape right':>13}{'95% interval':>16}")
    for name in SETS:
        items = load_set(EVAL / name)
        for half in ("tune", "test"):
            chosen = [i for i in split_half(items, half) if i.expected_shape]
            right = [i for i in chosen if shape_of(i.question).value == i.expected_shape]
            low, high = wilson_interval(len(right), len(chosen))
            print(f"{name:<15}{half:<6}{len(chosen):>10}{len(right) / len(chosen):>13.3f}{f'{low:.3f}-{high:.3f}':>16}")
            if args.show_misses:
                misses = Counter((i.expected_shape, shape_of(i.question).value) for i in chosen if i not in right)
                print("      ", dict(misses))


if __name__ == "__main__":
    main()
