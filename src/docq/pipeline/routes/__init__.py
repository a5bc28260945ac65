"""The three ways to answer: rag (retrieved passages), memo (clue-driven retrieval), full (whole documents).

What more than one route (or the router) needs lives here: the context a route runs
in, its result, the full-reading plan, and how retrieved passages are cut to a budget
and ordered.
"""

from __future__ import annotations

from dataclasses import dataclass

from docq.config import Settings
from docq.indexers.hybrid import reorder_for_long_context
from docq.indexers.index import DocumentIndex
from docq.llm.backend import LLM, Generation, TokenSink
from docq.pipeline.answering import AnswerDraft
from docq.types import FileRecord, ScoredChunk

RAG_BUDGET = 2048  # tokens of passages; a small model reads a short context best
# Reordering is for long contexts (the setting of *Long-Context LLMs Meet RAG*). With the
# 0.5B model, 4 passages read best in rank order and 8 best reordered (docs/design.md,
# "Reordering"), so `auto` reorders from 6 passages up.
REORDER_FROM = 6


@dataclass
class RouteContext:
    index: DocumentIndex
    llm: LLM
    settings: Settings
    on_text: TokenSink | None = None


@dataclass(frozen=True)
class RouteResult:
    draft: AnswerDraft
    retrieve_ms: float
    clues: tuple[str, ...] = ()
    side_generations: tuple[Generation, ...] = ()  # model calls besides the answer (memo's drafting)


@dataclass(frozen=True)
class FullPlan:
    """The documents the full route would read, and whether all the candidates fit."""

    documents: tuple[FileRecord, ...]
    tokens: int  # estimated, cl100k
    budget: int
    fits: bool  # every candidate document fits


def within_budget(llm: LLM, ranked: list[ScoredChunk], budget: int) -> list[ScoredChunk]:
    """Best-first passages while their text fits `budget` tokens of the model's tokenizer."""
    kept: list[ScoredChunk] = []
    used = 0
    for hit in ranked:
        cost = llm.count_tokens(hit.chunk.text) + 16  # + the <document> wrapper
        if kept and used + cost > budget:
            break
        kept.append(hit)
        used += cost
    return kept


def should_reorder(setting: str, passages: int) -> bool:
    return setting == "on" or (setting == "auto" and passages >= REORDER_FROM)


def order_passages(ctx: RouteContext, ranked: list[ScoredChunk]) -> list[ScoredChunk]:
    """The top passages within the budget; strongest at both ends when there are many."""
    budget = ctx.settings.max_context_tokens or RAG_BUDGET
    kept = within_budget(ctx.llm, ranked[: ctx.settings.top_k], budget)
    return reorder_for_long_context(kept) if should_reorder(ctx.settings.reorder, len(kept)) else kept
