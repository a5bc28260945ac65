"""The collection memory at 100-1,000 papers: what it costs in tokens, disk and time.

    python bench/collection_scale.py [--sizes 28 100 300 1000] [--model qwen2.5-coder-0.5b]

A synthetic folder: the 28 shared papers' cards (title, authors, year, abstract as docq
reads them) written as one markdown file each, repeated with varied names ("... (volume
k)") up to the size asked. For each size: ingest, then three collection questions asked
twice in one process (cold: the memory's KV state not yet computed; warm: computed) and
once more in a new process (the state loaded from the KV cache on disk). Reports the
memory's size in tokens (all cards, and what `memo.memory_budget` lets a question read),
prompt tokens, time to first token and the disk the saved states take.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import EVAL, ingest, machine, median, scratch_settings, table
from docq.indexers.cards import card_line, make_card
from docq.indexers.readers import read_document
from docq.indexers.tokens import count_tokens
from docq.types import DocKind

QUESTIONS = (
    "Which of my papers are about consensus?",
    "Which papers rely on leases as part of their design?",
    "Which of my papers are about computer security or privacy?",
)


def folder(size: int) -> Path:
    """`size` markdown papers made of the shared papers' cards, with varied names."""
    cards = []
    for pdf in sorted((EVAL / "collection" / "docs").glob("*.pdf")):
        document = read_document(pdf, DocKind.PDF)
        cards.append((pdf.stem, make_card(document.title, document.pages, document.printed)))
    root = Path(tempfile.mkdtemp(prefix="docq-scale-"))
    for i in range(size):
        stem, card = cards[i % len(cards)]
        volume = i // len(cards)
        title = card.title + (f" (volume {volume + 1})" if volume else "")
        year = f"{card.year + volume}" if card.year else ""
        body = f"# {title}\n\n{card.authors}\n\n{year}\n\n## Abstract\n\n{card.abstract}\n"
        (root / f"{stem}-{volume}.md").write_text(body)
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 100, 300, 1000])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    from docq.library import Library

    rows = []
    for size in args.sizes:
        docs = folder(size)
        settings = scratch_settings(model=args.model)
        cache = settings.kv_cache_dir
        shutil.rmtree(cache, ignore_errors=True)  # cold means cold
        started = time.perf_counter()
        ingest([docs], settings)
        ingest_s = time.perf_counter() - started
        timings: dict[str, list[float]] = {"cold": [], "warm": [], "new process": []}
        prompt_tokens = []
        with Library(settings=settings) as library:
            lines = [card_line(f"D{i}", c, r.path) for i, (r, c) in enumerate(library.index.cards(), start=1)]
            memory = sum(count_tokens(line) for line in lines)
            for label in ("cold", "warm"):
                for question in QUESTIONS:
                    answer = library.ask(question, route="memo")
                    timings[label].append(answer.timings_ms.prefill / 1000)
                    prompt_tokens.append(answer.tokens.prompt)
        with Library(settings=settings) as library:
            for question in QUESTIONS:
                timings["new process"].append(library.ask(question, route="memo").timings_ms.prefill / 1000)
        disk = sum(p.stat().st_size for p in cache.glob("*.kv")) / 2**20 if cache.exists() else 0.0
        budget = settings.tuning.memo.memory_budget
        rows.append(
            (
                size,
                f"{ingest_s:.0f}s",
                f"{memory:,}",
                f"{min(memory, budget):,}" + (" (all)" if memory <= budget else " (filtered)"),
                f"{median(prompt_tokens):,.0f}",
                f"{median(timings['cold']):.1f}s",
                f"{median(timings['warm']):.1f}s",
                f"{median(timings['new process']):.1f}s",
                f"{disk:,.0f} MB",
            )
        )
        shutil.rmtree(docs, ignore_errors=True)
    print(f"collection memory at scale ({machine()}, {args.model}, memory_budget {budget:,} cl100k tokens)")
    print(
        table(
            [
                "papers",
                "ingest",
                "all cards (tokens)",
                "read per question",
                "prompt tokens",
                "prefill cold",
                "warm",
                "new process",
                "KV disk",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
