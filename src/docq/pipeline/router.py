"""Pick a route per question from signals measurable before answering, and say why.

Signals: whether the candidate documents fit the full-reading budget and how small they
are (one small document is read whole); the retrieval score shape (one clear winner vs a
flat list); the question's form (a specific fact, a global/implicit need, or a multi-hop
comparison). After a rag answer
the router may escalate, Self-Route style (Li et al., 2024): when the passages did not
hold the answer but the corpus may, read whole documents if they fit, else draft clues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from docq.indexers.index import DocumentIndex
from docq.pipeline.answering import AnswerDraft
from docq.pipeline.evidence import key_terms
from docq.pipeline.routes import FullPlan
from docq.types import Route, ScoredChunk

# One document this small costs little more to read whole than its retrieved passages,
# and reading it misses nothing; many short ones dilute attention (docs/design.md,
# "Small-document rule").
SMALL_ENOUGH = 1500
# Escalating to full reading costs a cold prefill: worth it up to ~20 s on 2 cores
# (docs/design.md, "Escalation").
ESCALATE_FULL_MAX = 4096

_GLOBAL = re.compile(
    r"\b(summari[sz]e|summary|overview|overall|in general|main (?:idea|point|theme|contribution|argument|finding)s?|"
    r"what (?:is|are) (?:this|these|the) (?:paper|document|book|article|essay|file|report)s? about|"
    r"key (?:points|ideas|findings|takeaways)|throughout|across (?:the|all)|all (?:the )?(?:papers|documents|files)|"
    r"which (?:paper|document|article|essay|file|report)s?|list (?:all|every)|how many (?:papers|documents|files))\b",
    re.IGNORECASE,
)
_MULTIHOP = re.compile(
    r"\b(both|which of|compared?|comparison|older|younger|earlier|later|larger|smaller|longer|shorter|"
    r"more|fewer|first|same|also|as well as|whose|than)\b",
    re.IGNORECASE,
)


class QuestionForm(str, Enum):
    FACT = "specific fact"
    GLOBAL = "global question"
    MULTIHOP = "multi-hop question"


def question_form(question: str) -> QuestionForm:
    if _GLOBAL.search(question):
        return QuestionForm.GLOBAL
    if _MULTIHOP.search(question) or len(key_terms(question)) >= 3:
        return QuestionForm.MULTIHOP
    return QuestionForm.FACT


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


def decide(question: str, hits: list[ScoredChunk], plan: FullPlan, forced: Route | None = None) -> Decision:
    if forced is not None:
        if forced is Route.FULL and not plan.documents:
            return Decision(Route.FULL, "forced by --route full, but no document fits the budget")
        detail = f" ({describe_plan(plan)})" if forced is Route.FULL else ""
        return Decision(forced, f"forced by --route {forced.value}{detail}")
    if not hits:
        return Decision(Route.RAG, "nothing in the index matches the question")
    form = question_form(question)
    if plan.fits and len(plan.documents) == 1 and plan.tokens <= SMALL_ENOUGH:
        return Decision(Route.FULL, f"{describe_plan(plan)}: small enough to read whole")
    if form is QuestionForm.GLOBAL:
        if plan.fits:
            return Decision(Route.FULL, f"{form.value}; {describe_plan(plan)} fit")
        return Decision(Route.MEMO, f"{form.value}; the candidate documents exceed the {plan.budget:,}-token budget")
    if form is QuestionForm.MULTIHOP and not clear_winner(hits):
        return Decision(Route.MEMO, f"{form.value} and no single passage stands out")
    shape = "one passage stands out" if clear_winner(hits) else "passages rank close together"
    return Decision(Route.RAG, f"{form.value}; {shape}")


def escalation(
    draft: AnswerDraft, question: str, plan: FullPlan, index: DocumentIndex, tried: Route
) -> Decision | None:
    """Self-Route: after an abstention, is another route worth its cost?"""
    if not draft.abstained or not draft.retrieval_may_have_missed:
        return None  # an answer the evidence rejected would not improve by reading more
    absent = [t for t in key_terms(question) if not index.bm25().knows(t)]
    if absent:
        return None  # the corpus itself never mentions it: no route can find it
    if tried is not Route.FULL and plan.fits and plan.documents and plan.tokens <= ESCALATE_FULL_MAX:
        return Decision(Route.FULL, f"{tried.value} found no answer; reading {describe_plan(plan)}")
    if tried is Route.RAG:
        return Decision(
            Route.MEMO, f"rag found no answer and the documents exceed {plan.budget:,} tokens; drafting clues"
        )
    return None
