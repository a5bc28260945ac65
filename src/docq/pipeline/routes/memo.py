"""memo: clues drafted from a global memory of the corpus drive retrieval (after *MemoRAG*).

The light model reads the corpus memory (routes.memory) and the question, and drafts a
short answer, sub-questions and key phrases. Each clue is a hybrid query; the question's
own ranking and the clues' rankings are fused, and the result answered like rag. Worth
it when the question's need is implicit or spread over documents (multi-hop).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from docq.llm.backend import LLM, Generation
from docq.pipeline import prompts
from docq.pipeline.question import Question
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult, order_passages, register, widen
from docq.pipeline.routes.memory import corpus_memory
from docq.types import Chunk, Route, ScoredChunk

_LABEL = re.compile(
    r"^[\s>*#\-\d.)]*\**\s*(depends on|draft answer|sub-?questions?|key ?phrases?|keywords?)\s*\**\s*[:\-]\s*", re.I
)


@dataclass(frozen=True)
class Clues:
    draft: str
    subquestions: tuple[str, ...]
    phrases: tuple[str, ...]
    bridge: str = ""  # what the question depends on without naming it, as the passages name it

    def queries(self, limit: int = 6) -> list[str]:
        """Distinct retrieval queries, most informative first (tuning.memo.max_clues)."""
        found = [self.bridge, *self.subquestions, *self.phrases, self.draft]
        seen: dict[str, str] = {}
        for q in found:
            q = q.strip().strip("\"'").strip()
            if len(q) > 1 and q.lower() not in seen and "<" not in q:
                seen[q.lower()] = q
        return list(seen.values())[:limit]


def parse_clues(text: str) -> Clues:
    """Read the drafting model's reply; tolerant of bullets, bold labels and missing parts.
    Unlabelled lines count as key phrases."""
    parts: dict[str, list[str]] = {"draft": [], "sub": [], "key": [], "bridge": []}
    current = "key"
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match:
            label = match.group(1).lower()
            current = {"dr": "draft", "su": "sub", "de": "bridge"}.get(label[:2], "key")
            line = line[match.end() :]
        line = line.strip().lstrip("-*•").strip()
        if not line:
            continue
        if current in ("draft", "bridge"):
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
        bridge=" ".join(parts["bridge"]).strip(),
    )


def draft_clues(ctx: RouteContext, llm: LLM, question: str, passages: Sequence[Chunk] = ()) -> tuple[Clues, Generation]:
    """Clues and the drafting call itself (its tokens and time count toward the answer's)."""
    memory = corpus_memory(ctx.corpus, ctx.settings.memory_dir, ctx.settings.tuning.memo.memory_budget)
    prompt = prompts.draft_prompt(question, memory, passages)
    generation = llm.complete(prompt, max_tokens=200, grammar=prompts.DRAFT_GRAMMAR)
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
    evidence = order_passages(ctx, question, hits)[: ctx.settings.tuning.memo.evidence_passages]
    clues, drafting = draft_clues(ctx, ctx.draft_model(), question.text, evidence)
    ranked = clue_retrieval(ctx, question.text, clues, hits)
    passages = order_passages(ctx, question, ranked)
    retrieve_ms = (time.perf_counter() - started) * 1000
    draft = ctx.answer(question, passages)
    return RouteResult(
        draft=draft,
        retrieve_ms=retrieve_ms - drafting.prefill_ms - drafting.generate_ms,
        clues=tuple(clues.queries(ctx.settings.tuning.memo.max_clues)),
        side_generations=(drafting,),
    )
