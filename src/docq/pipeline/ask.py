"""`docq ask`: route a question, answer it from the documents, report what it cost.

The library (docq.Library) holds the index and the models and calls `ask` per question.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from docq import interrupts
from docq.config import Settings
from docq.errors import UsageError
from docq.llm.backend import LLM, TokenSink
from docq.pipeline import router
from docq.pipeline.corpus import Corpus
from docq.pipeline.question import Question, Shape
from docq.pipeline.routes import RouteContext, run_route, widen
from docq.pipeline.routes.full import plan_full
from docq.pipeline.routes.memo import asks_collection
from docq.types import Answer, Route, Timings, TokenCounts

RouteListener = Callable[[router.Decision], None]
MAX_QUESTION_SHARE = 4  # a question may take at most a quarter of the context window


class Models(Protocol):
    """The language models a question may need, loaded when first asked for."""

    @property
    def llm(self) -> LLM:
        """The answer model."""


def read_question(text: str, shape: Shape | None, llm: LLM) -> Question:
    question = Question.read(text, shape)
    if not question.text:
        raise UsageError("the question is empty")
    limit = llm.n_ctx // MAX_QUESTION_SHARE
    if llm.count_tokens(question.text) > limit:
        raise UsageError(f"the question is longer than {limit:,} tokens; shorten it")
    return question


def ask(
    text: str,
    corpus: Corpus,
    models: Models,
    settings: Settings,
    *,
    route: Route | None = None,
    shape: Shape | None = None,
    on_text: TokenSink | None = None,
    on_route: RouteListener | None = None,
) -> Answer:
    """Answer `text` from `corpus`: route it, run the route (and an escalation if the
    router asks for one), report what it cost. `shape` overrides the shape read from it."""
    started = time.perf_counter()
    if shape is None and settings.shape != "auto":
        shape = Shape(settings.shape)
    question = read_question(text, shape, models.llm)
    ctx = RouteContext(corpus, models.llm, settings, on_text)
    search_started = time.perf_counter()
    # A wider pool than top_k: the full route's candidate documents come from it too.
    # summaries and "which paper" choose among more passages than are read
    pool = settings.top_k * settings.tuning.retrieval.search_pool
    hits = corpus.search(question.text, pool)
    if question.parts:  # a question asking several things: each part finds its own passages
        hits = widen(corpus, hits, question.parts, settings.top_k, settings.tuning.retrieval.rrf_k)[:pool]
    plan = plan_full(ctx, hits)
    search_ms = (time.perf_counter() - search_started) * 1000
    collection = route is None and asks_collection(corpus, question)
    decision = router.decide(question, hits, plan, route, settings.tuning.router, collection)
    interrupts.check()  # a Ctrl-C a C callback swallowed while loading or searching
    if on_route:
        on_route(decision)
    results = [run_route(decision.route, ctx, question, hits, plan)]
    final_route, reason = decision.route, decision.reason
    if route is None:
        escalation = router.escalation(
            results[-1].draft, question, plan, corpus, decision.route, settings.tuning.router
        )
        if escalation is not None:
            if on_route:
                on_route(escalation)
            results.append(run_route(escalation.route, ctx, question, hits, plan))
            final_route = escalation.route
            reason += f"; then {escalation.route.value}: {escalation.reason}"
    final = results[-1]
    if final.draft.abstained:
        reason += f"; not found: {final.draft.reason}"
    elif final.draft.reason:
        reason += f"; {final.draft.reason}"
    elif final.draft.dropped:
        reason += f"; dropped {final.draft.dropped} sentence(s) the cited passages do not support"
    generations = [g for r in results for g in (*r.side_generations, r.draft.generation) if g is not None]
    total_ms = (time.perf_counter() - started) * 1000
    return Answer(
        text=final.draft.text,
        abstained=final.draft.abstained,
        route=final_route,
        route_reason=reason,
        citations=final.draft.citations,
        timings_ms=Timings(
            retrieve=search_ms + sum(r.retrieve_ms for r in results),
            prefill=sum(g.prefill_ms for g in generations),
            generate=sum(g.generate_ms for g in generations),
            total=total_ms,
        ),
        tokens=TokenCounts(
            prompt=sum(g.prompt_tokens for g in generations),
            generated=sum(g.generated_tokens for g in generations),
            cached=sum(g.cached_tokens for g in generations),
        ),
        model=getattr(models.llm, "name", "unknown"),
        shape=question.shape.value,
        sentences=final.draft.sentences,
        clues=final.clues,
        evidence=final.draft.evidence.as_dict() if final.draft.evidence else {},
        reply=final.draft.generation.text if final.draft.generation else "",
        read=final.draft.read,
    )


def answer_to_dict(result: Answer) -> dict[str, object]:
    """The public --json schema (docs/answer.schema.json)."""
    return {
        "answer": result.text,
        "abstained": result.abstained,
        "route": result.route.value,
        "route_reason": result.route_reason,
        "citations": [
            {"source": c.source, "title": c.title, "page": c.page, "chunk_id": c.chunk_id, "text": c.text}
            for c in result.citations
        ],
        "timings_ms": {
            "retrieve": round(result.timings_ms.retrieve, 1),
            "prefill": round(result.timings_ms.prefill, 1),
            "generate": round(result.timings_ms.generate, 1),
            "total": round(result.timings_ms.total, 1),
        },
        "tokens": {
            "prompt": result.tokens.prompt,
            "generated": result.tokens.generated,
            "cached": result.tokens.cached,
        },
        "model": result.model,
        "shape": result.shape,
        "sentences": [{"text": s.text, "citations": list(s.citations)} for s in result.sentences],
        "clues": list(result.clues),
        "evidence": dict(result.evidence),
    }
