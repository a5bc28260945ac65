"""Scoring answers the SQuAD way: normalise, then exact match and token F1 against the
best of the gold answers; an unanswerable question is right only when docq abstains."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, collapse whitespace (SQuAD's evaluate-v2.0)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    pred = normalize_answer(prediction).split()
    ref = normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class QuestionScore:
    em: float
    f1: float


def score_question(prediction: str, abstained: bool, answers: Sequence[str], answerable: bool) -> QuestionScore:
    """An unanswerable question scores 1 when docq abstained, else 0; an answerable one
    scores 0 when docq abstained, else its best EM and F1 over the gold answers."""
    if not answerable:
        return QuestionScore(em=float(abstained), f1=float(abstained))
    if abstained or not answers:
        return QuestionScore(0.0, 0.0)
    return QuestionScore(
        em=max(exact_match(prediction, g) for g in answers),
        f1=max(token_f1(prediction, g) for g in answers),
    )


@dataclass(frozen=True)
class Abstention:
    precision: float | None  # of the abstentions, the share on unanswerable questions
    recall: float | None  # of the unanswerable questions, the share docq abstained on
    abstained: int
    unanswerable: int


def abstention_scores(outcomes: Iterable[tuple[bool, bool]]) -> Abstention:
    """`outcomes`: (abstained, answerable) per question; None where a ratio has no denominator."""
    pairs = list(outcomes)
    abstained = sum(1 for a, _ in pairs if a)
    unanswerable = sum(1 for _, ok in pairs if not ok)
    right = sum(1 for a, ok in pairs if a and not ok)
    return Abstention(
        precision=right / abstained if abstained else None,
        recall=right / unanswerable if unanswerable else None,
        abstained=abstained,
        unanswerable=unanswerable,
    )


def is_right(prediction: str, abstained: bool, answers: Sequence[str], all_of: Sequence[str], answerable: bool) -> bool:
    """The papers/ rule: an answer is right when, after SQuAD normalisation, it contains one
    of the gold answers and every phrase of `all_of`; an unanswerable question is right
    when docq abstained."""
    if not answerable:
        return abstained
    if abstained:
        return False
    text = normalize_answer(prediction)
    return any(normalize_answer(a) in text for a in answers) and all(normalize_answer(p) in text for p in all_of)


def answer_in_text(answers: Sequence[str], texts: Iterable[str]) -> bool:
    """Retrieval recall: does any gold answer occur (normalised) inside any retrieved text?"""
    normalized = [normalize_answer(t) for t in texts]
    return any(normalize_answer(a) and normalize_answer(a) in t for a in answers for t in normalized)


def wilson_interval(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval of a proportion (Wilson's score interval: sound at small n and near 0 or 1)."""
    if n == 0:
        return (0.0, 0.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(values: Sequence[float], resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of a mean (F1 is not a proportion)."""
    import numpy as np

    if not values:
        return (0.0, 0.0)
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(resamples, len(data)))].mean(axis=1)
    return (float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))
