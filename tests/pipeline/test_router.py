"""The router's decisions on constructed cases."""

from __future__ import annotations

from docq.pipeline.question import Question
from docq.pipeline.router import decide
from docq.pipeline.routes import FullPlan
from docq.types import Chunk, DocKind, FileRecord, Route, ScoredChunk


def _hit(rank_bm25: int | None, rank_dense: int | None, cid: str = "c") -> ScoredChunk:
    ranks = {k: v for k, v in (("bm25", rank_bm25), ("dense", rank_dense)) if v is not None}
    return ScoredChunk(Chunk(cid, "/d/a.txt", 0, "text", 5, 0, 4, None, None), 0.03, ranks)


def _plan(tokens: int, fits: bool = True, budget: int = 8192, documents: int = 1) -> FullPlan:
    records = tuple(
        FileRecord(n, f"/d/{n}.txt", 10, 1, "x", DocKind.TEXT, 1, tokens // documents, "ready", "200/40")
        for n in range(documents)
    )
    return FullPlan(documents=records if fits else (), tokens=tokens if fits else 0, budget=budget, fits=fits)


def _ask(text: str) -> Question:
    return Question.read(text)


def test_one_small_document_is_read_whole() -> None:
    decision = decide(_ask("When was it founded?"), [_hit(1, 1)], _plan(900))
    assert decision.route is Route.FULL
    assert "900 tokens" in decision.reason


def test_many_short_documents_are_passages_not_one_read() -> None:
    decision = decide(_ask("When was it founded?"), [_hit(1, 1)], _plan(900, documents=6))
    assert decision.route is Route.RAG


def test_a_fact_over_a_big_corpus_uses_rag_and_says_how_the_passages_rank() -> None:
    decision = decide(_ask("When was the Duchy of Normandy founded?"), [_hit(1, 1)], _plan(0, fits=False))
    assert decision.route is Route.RAG
    assert decision.reason == "fact question; one passage stands out"
    flat = decide(_ask("When was the Duchy of Normandy founded?"), [_hit(2, 1)], _plan(0, fits=False))
    assert flat.reason == "fact question; passages rank close together"


def test_summaries_and_which_paper_questions_say_what_rag_reads() -> None:
    summary = decide(_ask("Summarize the Raft paper."), [_hit(1, 2)], _plan(0, fits=False))
    assert summary.route is Route.RAG and "opening" in summary.reason
    which = decide(_ask("Which paper introduces TrueTime?"), [_hit(1, 2)], _plan(0, fits=False))
    assert which.route is Route.RAG and "each candidate document" in which.reason


def test_forced_route_wins_and_says_so() -> None:
    decision = decide(_ask("Summarize"), [_hit(1, 1)], _plan(900), forced=Route.RAG)
    assert decision.route is Route.RAG and decision.reason.startswith("forced by --route rag")
    assert decide(_ask("x"), [], _plan(0, fits=False), forced=Route.MEMO).route is Route.MEMO
    full = decide(_ask("x"), [_hit(1, 1)], _plan(0, fits=False), forced=Route.FULL)
    assert full.route is Route.FULL and "no document fits" in full.reason


def test_no_hits_stays_on_rag() -> None:
    assert decide(_ask("anything"), [], _plan(0, fits=False)).route is Route.RAG
