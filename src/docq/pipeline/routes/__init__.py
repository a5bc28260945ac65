"""The three ways to answer: rag (retrieved passages), memo (clue-driven retrieval), full (whole documents)."""

from __future__ import annotations

from dataclasses import dataclass

from docq.config import Settings
from docq.indexers.index import DocumentIndex
from docq.llm.backend import LLM, Generation, TokenSink
from docq.pipeline.answering import AnswerDraft
from docq.types import Chunk, ScoredChunk


@dataclass
class RouteContext:
    index: DocumentIndex
    llm: LLM
    settings: Settings
    on_text: TokenSink | None = None


@dataclass(frozen=True)
class RouteResult:
    draft: AnswerDraft
    passages: tuple[Chunk, ...]  # what the model read, in prompt order
    retrieve_ms: float
    clues: tuple[str, ...] = ()
    side_generations: tuple[Generation, ...] = ()  # model calls besides the answer (memo's drafting)


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
