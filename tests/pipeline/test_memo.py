from __future__ import annotations

from pathlib import Path

import pytest

from docq.pipeline.routes.memo import parse_clues

from ..conftest import SAMPLES, ingest, make_settings


def test_parses_the_requested_form() -> None:
    clues = parse_clues(
        "Draft answer: Jonny Craig\nSub-questions: How many bands was Jonny Craig in?; How many bands was Pete Doherty in?\n"
        "Key phrases: Jonny Craig; Pete Doherty; bands"
    )
    assert clues.draft == "Jonny Craig"
    assert clues.subquestions == ("How many bands was Jonny Craig in?", "How many bands was Pete Doherty in?")
    assert clues.phrases == ("Jonny Craig", "Pete Doherty", "bands")
    assert clues.queries()[0] == "How many bands was Jonny Craig in?"
    assert len(clues.queries()) == 5  # "Jonny Craig" appears twice but is queried once


def test_tolerates_markdown_bullets_and_missing_parts() -> None:
    clues = parse_clues("**Draft answer:** 1911\n\n**Key phrases:**\n- Rollo\n- treaty of Saint-Clair-sur-Epte\n")
    assert clues.draft == "1911"
    assert clues.subquestions == ()
    assert clues.phrases == ("Rollo", "treaty of Saint-Clair-sur-Epte")


def test_unlabelled_reply_becomes_key_phrases() -> None:
    clues = parse_clues("Normandy; Vikings\nRollo")
    assert clues.phrases == ("Normandy", "Vikings", "Rollo")
    assert clues.draft == ""


def test_template_echo_is_not_a_query() -> None:
    assert parse_clues("Draft answer: <your best short guess>").queries() == []


@pytest.mark.e2e
def test_clues_from_the_real_model_parse_into_queries(tmp_path: Path) -> None:
    """Draft with the default light drafter on the bundled samples: whatever it writes must
    parse into usable retrieval queries (not the template, not empty)."""
    from docq.library.index import DocumentIndex
    from docq.llm.loading import open_llm
    from docq.pipeline.routes import RouteContext
    from docq.pipeline.routes.memo import draft_clues

    settings = make_settings(tmp_path / "data", n_ctx=8192)
    ingest([SAMPLES], settings)
    llm = open_llm(settings, model=settings.draft_model)
    try:
        with DocumentIndex(settings) as index:
            clues, drafting = draft_clues(
                RouteContext(index, llm, settings), llm, "Which treaty gave Rollo his lands, and with whom?"
            )
            queries = clues.queries()
            assert drafting.prompt_tokens > drafting.cached_tokens >= 0
            assert 1 <= len(queries) <= 6
            assert all("<" not in q and len(q) > 1 for q in queries)
            # every query actually retrieves something from the collection
            assert all(index.search(q, 2) for q in queries)
    finally:
        llm.close()


def test_run_on_sub_questions_and_comma_phrases_are_split() -> None:
    clues = parse_clues(
        "Sub-questions: Who makes Bisquick? Where is it headquartered?\n"
        "Key phrases: Bisquick, General Mills, headquarters\nDraft answer: Minnesota"
    )
    assert clues.subquestions == ("Who makes Bisquick?", "Where is it headquartered?")
    assert clues.phrases == ("Bisquick", "General Mills", "headquarters")


def test_the_bridge_the_drafter_names_is_the_first_query() -> None:
    clues = parse_clues(
        "Depends on: the actor who played Joe MacMillan\nSub-questions: Who played Joe MacMillan?\n"
        "Key phrases: Halt and Catch Fire\nDraft answer: Lee Pace"
    )
    assert clues.bridge == "the actor who played Joe MacMillan"
    assert clues.queries()[0] == "the actor who played Joe MacMillan"
