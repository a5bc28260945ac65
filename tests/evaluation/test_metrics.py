"""Metric functions against hand-checked cases (SQuAD v2's evaluate script semantics)."""

from __future__ import annotations

import pytest

from docq.evaluation.metrics import (
    abstention_scores,
    answer_in_text,
    exact_match,
    normalize_answer,
    score_question,
    token_f1,
)


def test_normalisation_drops_case_punctuation_articles_and_spaces() -> None:
    assert normalize_answer("The  Battle of Hastings!") == "battle of hastings"
    assert normalize_answer("an apple, a pear") == "apple pear"
    assert normalize_answer("Theatre") == "theatre"  # "the" only as a word


def test_exact_match() -> None:
    assert exact_match("the 10th century", "10th century") == 1.0
    assert exact_match("10th", "10th century") == 0.0


@pytest.mark.parametrize(
    "prediction, gold, f1",
    [
        ("William the Conqueror", "William the Conqueror", 1.0),
        ("William", "William the Conqueror", pytest.approx(2 * (1 * 0.5) / 1.5)),  # p=1, r=1/2
        ("Duke William of Normandy", "William the Conqueror", pytest.approx(2 * 0.25 * 0.5 / 0.75)),
        ("Rollo", "Charles", 0.0),
        ("", "Charles", 0.0),
        ("the", "a", 1.0),  # both normalise to empty
    ],
)
def test_token_f1(prediction: str, gold: str, f1: float) -> None:
    assert token_f1(prediction, gold) == f1


def test_question_scores_take_the_best_gold_and_respect_abstention() -> None:
    # "in 10th century" vs "10th century": precision 2/3, recall 1
    assert score_question("in the 10th century", False, ["10th", "10th century"], True).f1 == pytest.approx(0.8)
    assert score_question("anything", True, ["10th"], True).f1 == 0.0
    assert score_question("", True, [], False).em == 1.0
    assert score_question("Rollo", False, [], False).f1 == 0.0


def test_abstention_precision_and_recall() -> None:
    result = abstention_scores([(True, False), (True, True), (False, False), (False, True)])
    assert (result.precision, result.recall) == (0.5, 0.5)
    assert abstention_scores([(False, True)]).precision is None
    assert abstention_scores([(False, True)]).recall is None


def test_answer_in_text_is_normalised_substring() -> None:
    assert answer_in_text(["The Normans"], ["… and the normans, who …"])
    assert not answer_in_text(["Vikings"], ["the Normans"])
