"""memo: clues drafted from a global memory of the corpus drive retrieval (after *MemoRAG*).

The light model reads the corpus memory (routes.memory) and the question, and drafts a
short answer, sub-questions and key phrases. Each clue is a hybrid query; the question's
own ranking and the clues' rankings are fused, and the result answered like rag. Worth
it when the question's need is implicit or spread over documents (multi-hop).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from docq.llm.backend import LLM, Generation
from docq.pipeline import prompts
from docq.pipeline.answering import answer_from
from docq.pipeline.question import Question
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult, order_passages, register, widen
from docq.pipeline.routes.memory import corpus_memory
from docq.types import Route, ScoredChunk

_LABEL = re.compile(
    r"^[\s>*#\-\d.)]*\**\s*(draft answer|sub-?questions?|key ?phrases?|keywords?)\s*\**\s*[:\-]\s*", re.I
)


@dataclass(frozen=True)
class Clues:
    draft: str
    subquestions: tuple[str, ...]
    phrases: tuple[str, ...]

    def queries(self, limit: int = 6) -> list[str]:
        """Distinct retrieval queries, most informative first (tuning.memo.max_clues)."""
        found = [*self.subquestions, *self.phrases, self.draft]
        seen: dict[str, str] = {}
        for q in found:
            q = q.strip().strip("\"'").strip()
            if len(q) > 1 and q.lower() not in seen and "<" not in q:
                seen[q.lower()] = q
        return list(seen.values())[:limit]


def parse_clues(text: str) -> Clues:
    """Read the drafting model's reply; tolerant of bullets, bold labels and missing parts.
    Unlabelled lines count as key phrases."""
    parts: dict[str, list[str]] = {"draft": [], "sub": [], "key": []}
    current = "key"
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match:
            label = match.group(1).lower()
            current = "draft" if label.startswith("draft") else "sub" if label.startswith("sub") else "key"
            line = line[match.end() :]
        line = line.strip().lstrip("-*•").strip()
        if not line:
            continue
        if current == "draft":
            pieces = [line]
        elif current == "sub":  # one question each, however they were joined
            pieces = [p for p in re.split(r"(?<=\?)\s*|\s*[;|]\s*", line) if p.strip()]
        else:
            pieces = [p for p in re.split(r"\s*[;,|]\s*", line) if p]
        parts[current].extend(pieces)
    return Clues(
        draft=" ".join(parts["draft"]).strip(),
        subquestions=tuple(parts["sub"]),
        phrases=tuple(parts["key"]),
    )


def draft_clues(ctx: RouteContext, llm: LLM, question: str) -> tuple[Clues, Generation]:
    """Clues and the drafting call itself (its tokens and time count toward the answer's)."""
    memory = corpus_memory(ctx.corpus, ctx.settings.memory_dir, ctx.settings.tuning.memo.memory_budget)
    generation = llm.complete(prompts.draft_prompt(question, memory), max_tokens=160, grammar=prompts.DRAFT_GRAMMAR)
    return parse_clues(generation.text), generation


def clue_retrieval(ctx: RouteContext, question: str, clues: Clues, hits: list[ScoredChunk] | None) -> list[ScoredChunk]:
    k = ctx.settings.top_k
    own = hits if hits is not None else ctx.corpus.search(question, k * 3)
    queries = clues.queries(ctx.settings.tuning.memo.max_clues)
    return widen(ctx.corpus, own, queries, k, ctx.settings.tuning.retrieval.rrf_k)


@register(Route.MEMO)
def run_memo(
    ctx: RouteContext, question: Question, hits: list[ScoredChunk], plan: FullPlan | None = None
) -> RouteResult:
    started = time.perf_counter()
    clues, drafting = draft_clues(ctx, ctx.draft_model(), question.text)
    ranked = clue_retrieval(ctx, question.text, clues, hits)
    passages = order_passages(ctx, question, ranked)
    retrieve_ms = (time.perf_counter() - started) * 1000
    draft = answer_from(
        ctx.corpus,
        ctx.llm,
        question,
        passages,
        max_tokens=ctx.settings.max_answer_tokens,
        tuning=ctx.settings.tuning,
        on_text=ctx.on_text,
    )
    return RouteResult(
        draft=draft,
        retrieve_ms=retrieve_ms - drafting.prefill_ms - drafting.generate_ms,
        clues=tuple(clues.queries(ctx.settings.tuning.memo.max_clues)),
        side_generations=(drafting,),
    )
