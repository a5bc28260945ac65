from __future__ import annotations

import pytest

from docq.pipeline.answering import clean_answer


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
