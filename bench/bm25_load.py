"""BM25 on disk: the pickle of releases 1-3 against today's checked NumPy arrays, at 100k chunks.

Both hold the same BM25Okapi model over the same corpus (../shared/eval/haystack cut into
~150-word chunks, repeated with a per-copy marker word until there are N chunks). Prints
load time, file size and query time, each as a ratio measured in this one run.

    python bench/bm25_load.py [--chunks 100000]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from pathlib import Path

from rank_bm25 import BM25Okapi

from docq.indexers.bm25 import BM25Index
from docq.text import analyze

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import EVAL, machine, median

QUERIES = [
    "how do startups raise money from investors",
    "what makes a good essay",
    "why is programming in Lisp different",
    "the founders of Y Combinator",
    "how to get startup ideas",
]


def corpus(n: int) -> list[tuple[str, str]]:
    words = " ".join(p.read_text() for p in sorted((EVAL / "haystack").glob("*.txt"))).split()
    pieces = [" ".join(words[i : i + 150]) for i in range(0, len(words), 150)]
    return [(f"c{i}", f"{pieces[i % len(pieces)]} copy{i // len(pieces)}") for i in range(n)]


def timed(fn, repeat: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    n = parser.parse_args().chunks
    docs = corpus(n)
    folder = Path(tempfile.mkdtemp(prefix="docq-bm25-"))
    print(f"{machine()}; {n:,} chunks")

    started = time.perf_counter()
    old = BM25Okapi([analyze(t) for _, t in docs])
    old_build = time.perf_counter() - started
    old_path = folder / "bm25.pkl"
    with old_path.open("wb") as f:  # the format releases 1-3 wrote (FORMAT 1)
        pickle.dump((1, 1, [i for i, _ in docs], old), f, protocol=pickle.HIGHEST_PROTOCOL)

    started = time.perf_counter()
    new = BM25Index.build(docs, generation=1)
    new_build = time.perf_counter() - started
    new_path = folder / "bm25.npz"
    new.save(new_path)

    def load_old() -> object:
        with old_path.open("rb") as f:
            return pickle.load(f)

    old_load, _ = timed(load_old)
    new_load, loaded = timed(lambda: BM25Index.load(new_path))
    assert isinstance(loaded, BM25Index) and len(loaded) == n

    terms = [analyze(q) for q in QUERIES]
    old_query, _ = timed(lambda: [old.get_scores(t) for t in terms])
    new_query, _ = timed(lambda: [loaded.scores(t) for t in terms])

    print(f"{'':24}{'pickle (before)':>18}{'npz (now)':>14}{'ratio':>10}")
    rows = [
        ("build", old_build, new_build),
        ("load from disk", old_load, new_load),
        ("query (mean of 5)", old_query / len(QUERIES), new_query / len(QUERIES)),
    ]
    for label, before, after in rows:
        print(f"{label:<24}{before * 1000:>16.0f}ms{after * 1000:>12.0f}ms{before / after:>9.1f}x")
    mb_old, mb_new = old_path.stat().st_size / 2**20, new_path.stat().st_size / 2**20
    print(f"{'file size':<24}{mb_old:>16.0f}MB{mb_new:>12.0f}MB{mb_old / mb_new:>9.1f}x")


if __name__ == "__main__":
    main()
