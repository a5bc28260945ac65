"""Retrieval latency (BM25, dense, fused) p50/p95 at 1k, 10k and 100k chunks, and the
time to load the BM25 index from disk at each size.

    python bench/retrieval_latency.py [--sizes 1000 10000 100000]

Chunks are sentences windows of ../shared/eval/haystack, repeated with a varying prefix
to reach the size. Embedding 100k chunks would take over an hour on 2 cores, so the
dense vectors of sizes beyond the first are the first size's real vectors plus small
noise: Chroma's HNSW search cost depends on the count and dimension, not on meaning.
"""

from __future__ import annotations

import argparse
import re
import shutil
import time

import numpy as np

from _common import EVAL, machine, percentile, scratch_settings, table
from docq.indexers.bm25 import BM25Index
from docq.indexers.hybrid import reciprocal_rank_fusion
from docq.library.index import DocumentIndex
from docq.types import Chunk

QUERIES = [
    "What did the author learn about startups?",
    "How do you get good ideas?",
    "Why is Lisp different from other languages?",
    "What makes a city attract ambitious people?",
    "How should founders think about fundraising?",
    "What is the role of taste in design?",
    "Why do most startups fail?",
    "What is a hacker?",
]


def synthetic_chunks(n: int) -> list[str]:
    text = " ".join(p.read_text() for p in sorted((EVAL / "haystack").glob("*.txt")))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 30]
    windows = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences) - 6, 3)]
    return [f"[part {i // len(windows)}] {windows[i % len(windows)]}" for i in range(n)]


def timeit(fn, repeat: int = 3) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        for query in QUERIES:
            started = time.perf_counter()
            fn(query)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def latencies(index: DocumentIndex, bm25: BM25Index, k: int) -> dict[str, list[float]]:
    def dense(q: str) -> list[tuple[str, float]]:
        return index.vectors.search(index.embedder.embed([q])[0], k)

    def fused(q: str) -> object:
        return reciprocal_rank_fusion({"bm25": [i for i, _ in bm25.search(q, k)], "dense": [i for i, _ in dense(q)]})

    return {"bm25": timeit(lambda q: bm25.search(q, k)), "dense": timeit(dense), "fused": timeit(fused)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    settings = scratch_settings()
    index = DocumentIndex(settings)
    base_texts = synthetic_chunks(args.sizes[0])
    base_vectors = index.embedder.embed(base_texts)
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        texts = synthetic_chunks(size)
        chunks = [Chunk(f"c{i}", "/bench/haystack.txt", i, t, 0, 0, len(t), None, None) for i, t in enumerate(texts)]
        reps = -(-size // len(base_vectors))
        vectors = np.tile(base_vectors, (reps, 1))[:size] + rng.normal(0, 0.01, (size, base_vectors.shape[1])).astype(
            np.float32
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.vectors.client.delete_collection(index.vectors.collection.name)
        index.__dict__.pop("vectors", None)
        index.vectors.upsert(chunks, vectors)
        bm25 = BM25Index.build(((c.id, c.text) for c in chunks), generation=size)
        bm25.save(settings.bm25_path)
        started = time.perf_counter()
        BM25Index.load(settings.bm25_path)
        load_ms = (time.perf_counter() - started) * 1000
        for name, samples in latencies(index, bm25, k=20).items():
            rows.append(
                [
                    f"{size:,}",
                    name,
                    f"{percentile(samples, 0.5):.1f}",
                    f"{percentile(samples, 0.95):.1f}",
                    f"{load_ms:.0f}" if name == "bm25" else "",
                ]
            )
    print(f"machine: {machine()}; k=20; dense includes embedding the query")
    print(table(["chunks", "retriever", "p50 ms", "p95 ms", "BM25 load ms"], rows))
    index.close()
    shutil.rmtree(settings.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
