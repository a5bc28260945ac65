from __future__ import annotations

from docq.pipeline.routes.memo import parse_clues


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
