"""rag: hybrid retrieval, the passages cut to a budget and ordered, answer."""

from __future__ import annotations

import time

from docq.pipeline.answering import answer_from
from docq.pipeline.question import Question
from docq.pipeline.routes import RouteContext, RouteResult, order_passages
from docq.types import ScoredChunk

# A wider pool than top_k: a summary draws on the main document's passages, "which
# paper" on one passage per document.
POOL = 3


def run_rag(ctx: RouteContext, question: Question, hits: list[ScoredChunk] | None = None) -> RouteResult:
    started = time.perf_counter()
    if hits is None:
        hits = ctx.index.search(question.text, ctx.settings.top_k * POOL)
    passages = order_passages(ctx, question, hits)
    retrieve_ms = (time.perf_counter() - started) * 1000
    draft = answer_from(
        ctx.index,
        ctx.llm,
        question,
        passages,
        max_tokens=ctx.settings.max_answer_tokens,
        on_text=ctx.on_text,
    )
    return RouteResult(draft=draft, retrieve_ms=retrieve_ms)
