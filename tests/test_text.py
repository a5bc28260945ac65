"""One notion of a word and a sentence for all of docq, tried on strings as real papers write them."""

from __future__ import annotations

import pytest

from docq.text import analyze, canonical, same_word, sentence_spans, sentences, stem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # initials (the Chandy-Lamport snapshot paper's byline style)
        (
            "The algorithm is due to K. M. Chandy and L. Lamport. It records a global state.",
            ["The algorithm is due to K. M. Chandy and L. Lamport.", "It records a global state."],
        ),
        # et al., figures, equations, decimals
        (
            "As Szekeres et al. (2013) note, Fig. 3 shows a 2.5 s delay. Eq. 4 bounds it.",
            ["As Szekeres et al. (2013) note, Fig. 3 shows a 2.5 s delay.", "Eq. 4 bounds it."],
        ),
        # e.g., i.e., U.S.
        (
            "Some bugs, e.g. use-after-free, are common in the U.S. Army's code. Others, i.e. leaks, are not.",
            ["Some bugs, e.g. use-after-free, are common in the U.S. Army's code.", "Others, i.e. leaks, are not."],
        ),
        # closing quotes and brackets stay with their sentence; a blank line always ends one
        (
            'He called it "the marker." Then it spread (see Sec. 2.)\n\nNew paragraph',
            ['He called it "the marker."', "Then it spread (see Sec. 2.)", "New paragraph"],
        ),
        ("Is it rare? Yes! Very rare.", ["Is it rare?", "Yes!", "Very rare."]),
        ("No final stop", ["No final stop"]),
        ("", []),
    ],
)
def test_sentences_end_where_a_reader_ends_them(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentence_spans_are_exact_offsets_within_a_range() -> None:
    text = "xx First one. Second one. yy"
    spans = sentence_spans(text, 3, 25)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one."]


def test_a_megabyte_without_stops_splits_in_linear_time() -> None:
    text = "word " * 200_000  # one sentence, no boundary: must not go quadratic
    assert len(sentence_spans(text)) == 1


def test_words_fold_case_accents_and_possessives() -> None:
    assert canonical("Jumièges") == "jumieges" and canonical("Normandy's") == "normandy"
    assert analyze("The Abbey of JUMIÈGES's monks") == ["abbey", "jumieges", "monks"]
    assert stem("partitions") == stem("partition") and stem("Replicated") == "replicat"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("italy", "italian", True),
        ("germany", "german", True),
        ("china", "chinese", True),
        ("europe", "european", True),
        ("behaviour", "behavior", True),
        ("partitions", "partition", True),
        ("country", "county", False),
        ("bought", "brought", False),
        ("mark", "market", False),
    ],
)
def test_the_same_word_in_another_form(a: str, b: str, same: bool) -> None:
    assert same_word(a, b) is same and same_word(b, a) is same
