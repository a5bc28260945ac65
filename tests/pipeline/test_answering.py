from __future__ import annotations

from pathlib import Path

import pytest

from docq.indexers.index import DocumentIndex
from docq.llm.backend import Generation
from docq.pipeline.answering import answer_from, clean_answer
from docq.pipeline.ingest import ingest

from ..conftest import make_settings


@pytest.mark.parametrize(
    "raw, text, markers",
    [
        ("William the Conqueror [2]", "William the Conqueror", [2]),
        ("  Answer: 1066.\nBecause the passage says so.", "1066", []),
        ('"Rollo" [1][3]', "Rollo", [1, 3]),
        ("**NOT FOUND**", "NOT FOUND", []),
        (
            "The Normans adopted the Gallo-Romance language of the Frankish land they settled.",
            "The Normans adopted the Gallo-Romance language of the Frankish land they settled.",
            [],
        ),
        ("", "", []),
    ],
)
def test_clean_answer(raw: str, text: str, markers: list[int]) -> None:
    assert clean_answer(raw) == (text, markers)


class _Scripted:
    """A model whose reply is given: the judging of replies is what is under test."""

    name = "scripted"
    n_ctx = 4096

    def __init__(self, reply: str) -> None:
        self.reply = reply

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, messages: object, **_: object) -> Generation:
        return Generation(self.reply, 100, 5, 0, 1.0, 1.0)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("reply", "question", "answer", "abstained"),
    [
        ("Duke William II of Normandy", "Who won the battle of Hastings?", "Duke William II of Normandy", False),
        ("Hastings", "Who won the battle of Hastings?", "", True),  # repeats the question
        ("In 1066 Duke William II of Normandy conquered England", "Who won the battle of Hastings?", "", True),
        ("He conquered England at the Battle of Hastings", "How did William win England?", None, False),
    ],
)
def test_replies_are_judged_against_the_passages_and_the_question(
    tmp_path: Path, reply: str, question: str, answer: str | None, abstained: bool
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hastings.txt").write_text(
        "In 1066 Duke William II of Normandy conquered England. He conquered England at the Battle of Hastings."
    )
    settings = make_settings(tmp_path / "data")
    ingest([docs], settings)
    with DocumentIndex(settings) as index:
        passages = [hit.chunk for hit in index.search(question, 2)]
        draft = answer_from(index, _Scripted(reply), question, passages, max_tokens=16)
    assert draft.abstained is abstained, draft.reason
    assert draft.text == (reply if answer is None else answer)
    if not abstained:
        assert draft.citations and draft.citations[0].source.endswith("hastings.txt")
