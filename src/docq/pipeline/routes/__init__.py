"""The three ways to answer: rag (retrieved passages), memo (the collection as a whole, from its
memory of cards), full (whole documents).

What more than one route (or the router) needs lives here: the context a route runs
in, its result, the full-reading plan, and how retrieved passages are cut to a budget
and ordered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docq.config import Settings
from docq.indexers.hybrid import reciprocal_rank_fusion, reorder_for_long_context
from docq.llm.backend import LLM, Generation, TokenSink
from docq.pipeline.answering import AnswerDraft, answer_from
from docq.pipeline.compression import compress
from docq.pipeline.corpus import Corpus
from docq.pipeline.question import Question, Shape
from docq.types import Chunk, FileRecord, Route, ScoredChunk


@dataclass
class RouteContext:
    """What a route runs with: the documents (a narrow interface, never the catalog), the
    answer model, the settings and where streamed text goes."""

    corpus: Corpus
    llm: LLM
    settings: Settings
    on_text: TokenSink | None = None

    def answer(self, question: Question, passages: Sequence[Chunk], **options: bool) -> AnswerDraft:
        """The answer step over these passages, with this context's model and settings."""
        return answer_from(
            self.corpus,
            self.llm,
            question,
            passages,
            max_tokens=self.settings.max_answer_tokens,
            tuning=self.settings.tuning,
            on_text=self.on_text,
            **options,
        )


@dataclass(frozen=True)
class RouteResult:
    draft: AnswerDraft
    retrieve_ms: float
    clues: tuple[str, ...] = ()  # memo: the documents its memory chose to read
    side_generations: tuple[Generation, ...] = ()  # model calls besides the answer (memo's drafting)


@dataclass(frozen=True)
class FullPlan:
    """The documents the full route would read, and whether all the candidates fit."""

    documents: tuple[FileRecord, ...]
    tokens: int  # estimated, cl100k
    budget: int
    fits: bool  # every candidate document fits


def widen(corpus: Corpus, hits: list[ScoredChunk], queries: Sequence[str], k: int, rrf_k: int) -> list[ScoredChunk]:
    """The question's own ranking fused with the rankings of further queries (the parts of
    a compound question): the question stays the strongest voice (weight 2),
    the others widen the net, so a passage only another query finds still gets a place."""
    rankings: dict[str, list[str]] = {"question": [h.chunk.id for h in hits]}
    by_id = {h.chunk.id: h for h in hits}
    for i, query in enumerate(queries):
        found = corpus.search(query, k)
        rankings[f"query{i}"] = [h.chunk.id for h in found]
        by_id.update((h.chunk.id, h) for h in found if h.chunk.id not in by_id)
    weights = {name: (2.0 if name == "question" else 1.0) for name in rankings}
    fused = reciprocal_rank_fusion(rankings, weights, k=rrf_k)
    return [ScoredChunk(by_id[cid].chunk, score, ranks) for cid, score, ranks in fused]


def within_budget(llm: LLM, passages: list[Chunk], budget: int) -> list[Chunk]:
    """Passages in order while their text fits `budget` tokens of the model's tokenizer."""
    kept: list[Chunk] = []
    used = 0
    for passage in passages:
        cost = llm.count_tokens(passage.text) + 16  # + the <document> wrapper
        if kept and used + cost > budget:
            break
        kept.append(passage)
        used += cost
    return kept


def should_reorder(setting: str, passages: int, reorder_from: int) -> bool:
    """Reordering is for long contexts (the setting of *Long-Context LLMs Meet RAG*): `auto`
    reorders from `reorder_from` passages up (tuning.retrieval.reorder_from)."""
    return setting == "on" or (setting == "auto" and passages >= reorder_from)


def one_per_document(ranked: list[ScoredChunk]) -> list[ScoredChunk]:
    """The best passage of each document, best first: "which paper" chooses between documents."""
    seen: set[str] = set()
    best = []
    for hit in ranked:
        if hit.chunk.source not in seen:
            seen.add(hit.chunk.source)
            best.append(hit)
    return best


def main_document(ranked: list[ScoredChunk]) -> str | None:
    """The file that most of the top passages come from, when one holds at least half."""
    top = ranked[:8]
    if not top:
        return None
    counts: dict[str, int] = {}
    for hit in top:
        counts[hit.chunk.source] = counts.get(hit.chunk.source, 0) + 1
    source = max(counts, key=lambda s: (counts[s], -next(i for i, h in enumerate(top) if h.chunk.source == s)))
    return source if counts[source] * 2 >= len(top) else None


def summary_passages(ctx: RouteContext, ranked: list[ScoredChunk], budget: int) -> list[Chunk] | None:
    """The opening of the main document and its best passages, in reading order; None
    when no single document stands out."""
    source = main_document(ranked)
    record = ctx.corpus.file(source) if source else None
    if record is None:
        return None
    chunks = ctx.corpus.chunks_of(record)
    # The document's opening first (title, abstract, introduction: where authors summarize
    # their own work), then its passages that match the question.
    opening = within_budget(ctx.llm, chunks, int(budget * ctx.settings.tuning.router.summary_opening_share))
    chosen = {c.id: c for c in opening}
    used = sum(ctx.llm.count_tokens(c.text) + 16 for c in chosen.values())
    for hit in ranked:
        if hit.chunk.source != source or hit.chunk.id in chosen:
            continue
        cost = ctx.llm.count_tokens(hit.chunk.text) + 16
        if used + cost > budget:
            break
        chosen[hit.chunk.id] = hit.chunk
        used += cost
    return sorted(chosen.values(), key=lambda c: c.ordinal)


def order_passages(ctx: RouteContext, question: Question, ranked: list[ScoredChunk]) -> list[Chunk]:
    """The passages the answer model reads, within the budget: for "which paper" the best
    passage of each document; for a summary the main document's opening and best
    passages; else the top passages, the strongest at both ends when there are many.
    Each is cut to its sentences that bear on the question (`--compress`), except a
    summary's, which needs the whole opening, and with passage KV reuse (whole chunks are
    what is kept)."""
    retrieval = ctx.settings.tuning.retrieval
    budget = ctx.settings.max_context_tokens or retrieval.rag_budget
    if question.shape is Shape.SUMMARY:
        passages = summary_passages(ctx, ranked, budget)
        if passages:
            return passages
    if question.shape is Shape.DOCUMENT:
        ranked = one_per_document(ranked)
    top = ranked[: ctx.settings.top_k]
    reorder = should_reorder(ctx.settings.reorder, len(top), retrieval.reorder_from)
    ordered = reorder_for_long_context(top) if reorder else top
    # With passage KV reuse a chunk is the unit whose state is kept: cut per question, it
    # would be a new text (a cache miss) every time.
    cut = ctx.settings.compress and ctx.settings.kv_reuse == "off"
    pieces = [p for h in ordered for p in (compress(h.chunk, question, retrieval.neighbours) if cut else [h.chunk])]
    return within_budget(ctx.llm, pieces or [h.chunk for h in ordered[:1]], budget)


# -- the route registry ------------------------------------------------------------------

RouteRunner = Callable[[RouteContext, Question, list[ScoredChunk], FullPlan], RouteResult]
ROUTES: dict[Route, RouteRunner] = {}


def register(route: Route) -> Callable[[RouteRunner], RouteRunner]:
    """Make a function the way `route` answers; each route module registers itself."""

    def add(runner: RouteRunner) -> RouteRunner:
        ROUTES[route] = runner
        return runner

    return add


def run_route(
    route: Route, ctx: RouteContext, question: Question, hits: list[ScoredChunk], plan: FullPlan
) -> RouteResult:
    return ROUTES[route](ctx, question, hits, plan)


from docq.pipeline.routes import full, memo, rag  # noqa: E402, F401  (the built-in routes register here)
