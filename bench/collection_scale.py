"""The collection memory at 100-1,000 papers: what it costs in disk, tokens and time.

    python bench/collection_scale.py [--sizes 28 100 300 1000] [--model qwen2.5-coder-0.5b]

A synthetic folder: the 28 shared papers' cards (title, authors, year, abstract as docq
reads them) written as one markdown file each, repeated with varied names ("... (volume
k)") up to the size asked. For each size: ingest; the cards' size in the catalog and in
tokens (were they all read); the time to read every card and resolve a question's named
documents against them; then three "which of my papers" questions and one comparison
through the memo route: prompt tokens and time per question.
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
    from docq.pipeline.question import Question
    from docq.pipeline.routes.memo import entries_of, named_entries

    compare = "How do the Dynamo and Bigtable papers differ in the consistency they give clients?"
    rows = []
    for size in args.sizes:
        docs = folder(size)
        settings = scratch_settings(model=args.model)
        started = time.perf_counter()
        ingest([docs], settings)
        ingest_s = time.perf_counter() - started
        with Library(settings=settings) as library:
            started = time.perf_counter()
            entries = entries_of(library.index)
            named = named_entries(library.index, entries, Question.read(compare))
            resolve_s = time.perf_counter() - started
            card_bytes = sum(len(e.card.to_json().encode()) for e in entries)
            card_tokens = sum(count_tokens(card_line(e.ident, e.card, e.record.path)) for e in entries)
            totals, prompts = [], []
            for question in (*QUESTIONS, compare):
                answer = library.ask(question, route="memo")
                totals.append(answer.timings_ms.total / 1000)
                prompts.append(answer.tokens.prompt)
        rows.append(
            (
                size,
                f"{ingest_s:.0f}s",
                f"{card_bytes / 1024:,.0f} KB",
                f"{card_tokens:,}",
                f"{resolve_s * 1000:,.0f} ms ({len(named)} named)",
                f"{median(prompts):,.0f}",
                f"{median(totals):.1f}s",
            )
        )
        shutil.rmtree(docs, ignore_errors=True)
        print("  " + " | ".join(map(str, rows[-1])), flush=True)  # each size as it is done: the largest take long
    print(f"collection memory at scale ({machine()}, {args.model})")
    print(
        table(
            [
                "papers",
                "ingest",
                "cards (catalog)",
                "cards (tokens, if all read)",
                "read + resolve",
                "prompt tokens",
                "median s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
