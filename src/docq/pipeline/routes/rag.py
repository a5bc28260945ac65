"""rag: hybrid retrieval, the passages cut to a budget and ordered, answer."""

from __future__ import annotations

import time

from docq.pipeline.answering import answer_from
from docq.pipeline.routes import RouteContext, RouteResult, order_passages
from docq.types import ScoredChunk


def run_rag(ctx: RouteContext, question: str, hits: list[ScoredChunk] | None = None) -> RouteResult:
    started = time.perf_counter()
    if hits is None:
        hits = ctx.index.search(question, ctx.settings.top_k)
    passages = [h.chunk for h in order_passages(ctx, hits)]
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
