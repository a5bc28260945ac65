"""rag: hybrid retrieval, the passages cut to a budget and ordered, answer."""

from __future__ import annotations

import time

from docq.pipeline.question import Question
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult, order_passages, register
from docq.types import Route, ScoredChunk


@register(Route.RAG)
def run_rag(
    ctx: RouteContext, question: Question, hits: list[ScoredChunk], plan: FullPlan | None = None
) -> RouteResult:
    started = time.perf_counter()
    passages = order_passages(ctx, question, hits)
    retrieve_ms = (time.perf_counter() - started) * 1000
    draft = ctx.answer(question, passages)
    return RouteResult(draft=draft, retrieve_ms=retrieve_ms)
