"""Passage compression keeps the sentences that bear on the question, and their neighbours,
as exact spans of the document."""

from __future__ import annotations

from docq.pipeline.compression import compress
from docq.pipeline.question import Question
from docq.types import Chunk

SENTENCES = [
    "The abbey was founded in 1001.",
    "Its monks copied manuscripts.",
    "The river floods every spring.",
    "Fishermen mend nets in winter.",
    "Bread is baked on Sundays.",
    "The harbour freezes in January.",
    "Ships wait for the thaw.",
]
TEXT = " ".join(SENTENCES)


def _chunk(text: str = TEXT, start: int = 500) -> Chunk:
    return Chunk("c1", "/d/town.txt", 3, text, 60, start, start + len(text), None, None, title="Town")


def test_keeps_bearing_sentences_and_their_neighbours_as_exact_spans() -> None:
    pieces = compress(_chunk(), Question.read("When does the harbour freeze?"))
    assert [p.text for p in pieces] == [" ".join(SENTENCES[4:7])]
    piece = pieces[0]
    assert TEXT[piece.char_start - 500 : piece.char_end - 500] == piece.text  # offsets into the document stay true
    assert (piece.id, piece.source, piece.title) == ("c1", "/d/town.txt", "Town")


def test_separate_runs_stay_separate() -> None:
    pieces = compress(_chunk(), Question.read("Who founded the abbey, and when do ships wait?"))
    assert [p.text for p in pieces] == [" ".join(SENTENCES[0:2]), " ".join(SENTENCES[5:7])]


def test_nothing_to_cut_or_nothing_bearing() -> None:
    short = _chunk("The abbey was founded in 1001. Its monks copied manuscripts.")
    assert compress(short, Question.read("When was the abbey founded?")) == [short]
    assert compress(_chunk(), Question.read("Who painted the ceiling?")) == []
