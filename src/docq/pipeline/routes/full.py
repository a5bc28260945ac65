"""full: whole documents in the window when they fit, read in document order.

The documents pointed to by retrieval enter most relevant first until the budget is met,
then are laid out by path so the same set always forms the same prompt prefix, whose KV
state the backend saves: the next question on those documents skips their prefill.
A cached prefix cannot hold the question, so with a warm cache the question comes only
after the documents; cold and short, it is asked before and after (*Just read twice*).
"""

from __future__ import annotations

import time

from docq.pipeline.question import Question
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult, register
from docq.pipeline.routes.rag import run_rag
from docq.types import FileRecord, Route, ScoredChunk

ANSWER_RESERVE = 1024  # prompt scaffolding, question and answer


def budget_for(ctx: RouteContext) -> int:
    limit = ctx.llm.n_ctx - ANSWER_RESERVE
    return min(ctx.settings.max_context_tokens or ctx.settings.tuning.router.full_budget, limit)


def plan_full(ctx: RouteContext, hits: list[ScoredChunk]) -> FullPlan:
    """Candidate documents are the files of the hits, in order of their best hit."""
    budget = budget_for(ctx)
    seen: dict[str, FileRecord] = {}
    for hit in hits:
        if hit.chunk.source not in seen:
            record = ctx.corpus.file(hit.chunk.source)
            if record is not None:
                seen[record.path] = record
    chosen: list[FileRecord] = []
    used = 0
    for record in seen.values():
        cost = int(record.tokens * ctx.settings.tuning.router.tokenizer_margin)
        if used + cost > budget:
            break
        chosen.append(record)
        used += cost
    return FullPlan(documents=tuple(chosen), tokens=used, budget=budget, fits=len(chosen) == len(seen) > 0)


@register(Route.FULL)
def run_full(ctx: RouteContext, question: Question, hits: list[ScoredChunk], plan: FullPlan) -> RouteResult:
    if not plan.documents:  # nothing fits the budget: the passages are all there is to read
        return run_rag(ctx, question, hits, plan)
    started = time.perf_counter()
    reread = plan.tokens < ctx.settings.tuning.router.reread_below
    # Short documents: most relevant first, as the small model reads the start best.
    # Long ones: a fixed order (by path), so the same set always makes the same cacheable prefix.
    ordered = plan.documents if reread else sorted(plan.documents, key=lambda r: r.path)
    documents = [ctx.corpus.whole_document(r) for r in ordered]
    retrieve_ms = (time.perf_counter() - started) * 1000
    draft = ctx.answer(question, documents, repeat_question=reread, keep_documents=not reread)
    return RouteResult(draft=draft, retrieve_ms=retrieve_ms)
