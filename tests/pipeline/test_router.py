"""The router's decisions on constructed cases."""

from __future__ import annotations

from docq.pipeline.router import QuestionForm, decide, question_form
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


def test_question_forms() -> None:
    assert question_form("Summarize the main findings of these papers") is QuestionForm.GLOBAL
    assert question_form("Which paper reports the largest context window?") is QuestionForm.GLOBAL
    assert question_form("Which of Jonny Craig and Pete Doherty has been in more bands?") is QuestionForm.MULTIHOP
    assert question_form("When was the Duchy of Normandy founded?") is QuestionForm.FACT


def test_small_documents_are_read_whole() -> None:
    decision = decide("When was it founded?", [_hit(1, 1)], _plan(900))
    assert decision.route is Route.FULL
    assert "900 tokens" in decision.reason


def test_many_short_documents_are_passages_not_one_read() -> None:
    decision = decide("When was it founded?", [_hit(1, 1)], _plan(900, documents=6))
    assert decision.route is Route.RAG


def test_big_corpus_and_a_specific_question_use_rag() -> None:
    decision = decide("When was the Duchy of Normandy founded?", [_hit(1, 1)], _plan(0, fits=False))
    assert decision.route is Route.RAG
    assert "stands out" in decision.reason


def test_global_question_reads_whole_documents_when_they_fit_else_drafts_clues() -> None:
    assert decide("Summarize the paper", [_hit(1, 2)], _plan(6000)).route is Route.FULL
    over = decide("Summarize the papers", [_hit(1, 2)], _plan(0, fits=False, budget=8192))
    assert over.route is Route.MEMO
    assert "8,192-token budget" in over.reason


def test_multi_hop_without_a_clear_winner_drafts_clues() -> None:
    question = "Which of Jonny Craig and Pete Doherty has been a member of more bands?"
    assert decide(question, [_hit(2, 1), _hit(1, 3, "d")], _plan(0, fits=False)).route is Route.MEMO
    assert decide(question, [_hit(1, 1)], _plan(0, fits=False)).route is Route.RAG


def test_forced_route_wins_and_says_so() -> None:
    decision = decide("Summarize", [_hit(1, 1)], _plan(900), forced=Route.RAG)
    assert decision.route is Route.RAG and decision.reason.startswith("forced by --route rag")
    assert decide("x", [], _plan(0, fits=False), forced=Route.MEMO).route is Route.MEMO


def test_no_hits_stays_on_rag() -> None:
    assert decide("anything", [], _plan(0, fits=False)).route is Route.RAG
