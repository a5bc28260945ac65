"""`docq ask`: route a question, answer it from the documents, report what it cost.

`answer(question, settings)` is the one-call library entry; `Asker` keeps the index and
the models loaded across questions (eval, scripts).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from docq.config import Settings
from docq.errors import DocqError, UsageError
from docq.indexers.index import DocumentIndex
from docq.llm.backend import LLM, TokenSink
from docq.pipeline import router
from docq.pipeline.question import Question, Shape
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult
from docq.pipeline.routes.full import plan_full, run_full
from docq.pipeline.routes.memo import run_memo
from docq.pipeline.routes.rag import run_rag
from docq.progress import SILENT, Reporter
from docq.types import Answer, Route, ScoredChunk, Timings, TokenCounts

RouteListener = Callable[[router.Decision], None]
MAX_QUESTION_SHARE = 4  # a question may take at most a quarter of the context window
SEARCH_POOL = 3  # passages searched per passage read: summaries and "which paper" choose among them


class Asker:
    def __init__(self, settings: Settings, reporter: Reporter = SILENT) -> None:
        self.settings = settings
        self.reporter = reporter
        self.index = DocumentIndex(settings, reporter)
        self._llm: LLM | None = None
        self._drafter: LLM | None = None

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from docq.llm.loading import open_llm

            self._llm = open_llm(self.settings, self.reporter)
        return self._llm

    @property
    def drafter(self) -> LLM:
        """The memo route's light model (--draft-model), unless it is the answer model."""
        wanted = self.settings.draft_model
        if not wanted or wanted == self.settings.model or self.settings.llm_url:
            return self.llm
        if self._drafter is None:
            from docq.llm.loading import open_llm

            self._drafter = open_llm(self.settings, self.reporter, model=wanted)
        return self._drafter

    def close(self) -> None:
        for model in (self._drafter, self._llm):
            if model is not None:
                model.close()
        self.index.close()

    def __enter__(self) -> Asker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, text: str, shape: Shape | None) -> Question:
        question = Question.read(text, shape)
        if not question.text:
            raise UsageError("the question is empty")
        if self.index.catalog.counts().chunks == 0:
            raise DocqError(f"the index at {self.settings.data_dir} is empty; run `docq ingest PATH` first")
        limit = self.llm.n_ctx // MAX_QUESTION_SHARE
        if self.llm.count_tokens(question.text) > limit:
            raise UsageError(f"the question is longer than {limit:,} tokens; shorten it")
        return question

    def ask(
        self,
        text: str,
        route: Route | None = None,
        on_text: TokenSink | None = None,
        on_route: RouteListener | None = None,
        shape: Shape | None = None,
    ) -> Answer:
        """Answer `text`; `shape` overrides the answer shape read from its wording."""
        started = time.perf_counter()
        if shape is None and self.settings.shape != "auto":
            shape = Shape(self.settings.shape)
        question = self._read(text, shape)
        ctx = RouteContext(self.index, self.llm, self.settings, on_text)
        search_started = time.perf_counter()
        # A wider pool than top_k: the full route's candidate documents come from it too.
        hits = self.index.search(question.text, self.settings.top_k * SEARCH_POOL)
        plan = plan_full(ctx, hits)
        search_ms = (time.perf_counter() - search_started) * 1000
        decision = router.decide(question, hits, plan, route)
        if on_route:
            on_route(decision)
        results = [self._run(ctx, decision.route, question, hits, plan)]
        final_route, reason = decision.route, decision.reason
        if route is None:
            escalation = router.escalation(results[-1].draft, question, plan, self.index, decision.route)
            if escalation is not None:
                if on_route:
                    on_route(escalation)
                results.append(self._run(ctx, escalation.route, question, hits, plan))
                final_route = escalation.route
                reason += f"; then {escalation.route.value}: {escalation.reason}"
        final = results[-1]
        if final.draft.abstained:
            reason += f"; not found: {final.draft.reason}"
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
            model=getattr(self.llm, "name", "unknown"),
            shape=question.shape.value,
            sentences=final.draft.sentences,
            clues=final.clues,
        )

    def _run(
        self, ctx: RouteContext, route: Route, question: Question, hits: list[ScoredChunk], plan: FullPlan
    ) -> RouteResult:
        if route is Route.FULL:
            if not plan.documents:
                return run_rag(ctx, question, hits)
            return run_full(ctx, question, plan)
        if route is Route.MEMO:
            return run_memo(ctx, question, self.drafter, hits)
        return run_rag(ctx, question, hits)


def answer(
    question: str,
    settings: Settings,
    *,
    route: Route | None = None,
    on_text: TokenSink | None = None,
    on_route: RouteListener | None = None,
    reporter: Reporter = SILENT,
    shape: Shape | None = None,
) -> Answer:
    """Answer one question from the index at settings.data_dir."""
    with Asker(settings, reporter) as asker:
        return asker.ask(question, route=route, on_text=on_text, on_route=on_route, shape=shape)


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
    }
