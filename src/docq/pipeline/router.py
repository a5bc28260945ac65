"""Pick a route per question from signals measurable before answering, and say why.

Signals: the answer shape the question asks for, whether the candidate documents fit
the full-reading budget and how small they are (one small document is read whole), and
the retrieval score shape (one clear winner vs a flat list). A route other than rag is
taken only where measurement showed it pays (docs/design.md, "The router", which says
which of those measurements had a held-out half).
After a rag answer the router may escalate, Self-Route style (Li et al., 2024): when the
passages did not hold the answer but the corpus may, read whole documents if they fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from docq.pipeline.answering import AnswerDraft
from docq.pipeline.corpus import Corpus
from docq.pipeline.question import Question, Shape
from docq.pipeline.routes import FullPlan
from docq.tuning import Router
from docq.types import Route, ScoredChunk


def clear_winner(hits: list[ScoredChunk]) -> bool:
    """Both retrievers put the same chunk first: the evidence is likely in one place."""
    if not hits:
        return False
    ranks = hits[0].ranks
    return ranks.get("bm25") == 1 and ranks.get("dense") == 1


@dataclass(frozen=True)
class Decision:
    route: Route
    reason: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def describe_plan(plan: FullPlan) -> str:
    return f"{_plural(len(plan.documents), 'document')}, ~{plan.tokens:,} tokens, budget {plan.budget:,}"


def decide(
    question: Question,
    hits: list[ScoredChunk],
    plan: FullPlan,
    forced: Route | None = None,
    tuning: Router = Router(),
    collection: bool = False,
) -> Decision:
    """The route for a question; `collection` when it asks about the collection as a whole
    (routes.memo.asks_collection: "which of my papers", or two documents named)."""
    if forced is not None:
        if forced is Route.FULL and not plan.documents:
            return Decision(Route.FULL, "forced by --route full, but no document fits the budget")
        detail = f" ({describe_plan(plan)})" if forced is Route.FULL else ""
        return Decision(forced, f"forced by --route {forced.value}{detail}")
    asked = f"{question.shape.value} question"
    if not hits:
        return Decision(Route.RAG, "nothing in the index matches the question")
    if collection:
        return Decision(
            Route.MEMO,
            f"a question about the collection ({question.collection.value}): its cards and "
            "the best passages of the documents they point to",
        )
    # One small document costs little more to read whole than its passages and reading it
    # misses nothing; many short ones dilute attention (tuning.router.small_enough).
    if plan.fits and len(plan.documents) == 1 and plan.tokens <= tuning.small_enough:
        return Decision(Route.FULL, f"{asked}; {describe_plan(plan)}: small enough to read whole")
    if question.shape is Shape.SUMMARY:
        return Decision(Route.RAG, f"{asked}: the main document's opening and its best passages")
    if question.shape is Shape.DOCUMENT:
        return Decision(Route.RAG, f"{asked}: the best passage of each candidate document")
    shape = "one passage stands out" if clear_winner(hits) else "passages rank close together"
    return Decision(Route.RAG, f"{asked}; {shape}")


def escalation(
    draft: AnswerDraft, question: Question, plan: FullPlan, corpus: Corpus, tried: Route, tuning: Router = Router()
) -> Decision | None:
    """Self-Route: after an abstention, is another route worth its cost?"""
    if not draft.abstained or not draft.retrieval_may_have_missed or tried is Route.MEMO:
        return None  # an answer the evidence rejected would not improve by reading more; nor would one document
    absent = [t for t in question.key_terms if corpus.coverage(t) < 1.0]
    if absent:
        return None  # the corpus itself never mentions it: no route can find it
    if tried is not Route.FULL and plan.fits and plan.documents and plan.tokens <= tuning.escalate_full_max:
        return Decision(Route.FULL, f"{tried.value} found no answer; reading {describe_plan(plan)}")
    return None
