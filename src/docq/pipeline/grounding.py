"""Long answers, sentence by sentence: which passages each sentence cites, and whether
those passages support it.

Support is lexical: the share of a sentence's content words (stopwords aside, crudely
stemmed) that occur in the passages it cites. A sentence the model wrote from its own
knowledge, or padded with a claim the passages do not make, shares few words with them
and is dropped. A sentence without markers is given the passage that supports it best.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docq.text import content_stems, sentence_spans

_MARKERS = re.compile(r"\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
# Markers the model put after the full stop belong to the sentence before it.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
_NUMBER = re.compile(r"\d+")
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Claim:
    """One sentence (or list item) of a long answer."""

    text: str  # without its markers
    cited: tuple[int, ...]  # 0-based passage indexes it cites (or that support it best)
    support: float  # share of its content words found in those passages


def split_claims(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences or list items with the 1-based passage numbers they cite."""
    pieces = []
    for line in text.replace("\r", "").split("\n"):
        line = _MARKERS_AFTER_STOP.sub(r" \2\1", BULLET.sub("", line).strip())
        for a, b in sentence_spans(line):
            sentence = line[a:b]
            numbers = tuple(int(n) for m in _MARKERS.finditer(sentence) for n in _NUMBER.findall(m.group(1)))
            body = _MARKERS.sub("", sentence).strip()
            if body.strip(" .;:,-"):
                pieces.append((body, tuple(dict.fromkeys(numbers))))
    return pieces


def support(sentence: str, passages: Sequence[str]) -> float:
    words = content_stems(sentence)
    if not words:
        return 0.0
    found = set().union(*(content_stems(p) for p in passages)) if passages else set()
    return len(words & found) / len(words)


def ground(text: str, passages: Sequence[str], supported_from: float = 0.5) -> list[Claim]:
    """Every claim of a long answer with the passages it rests on. A marker that names
    no passage is ignored; a claim with no valid marker gets the best-supporting passage."""
    claims = []
    for body, numbers in split_claims(text):
        cited = tuple(n - 1 for n in numbers if 0 < n <= len(passages))
        score = support(body, [passages[i] for i in cited])
        if score < supported_from and passages:
            # No marker, or one that points elsewhere (small models misnumber): the passage
            # that supports the sentence best, when it does better.
            best = max(range(len(passages)), key=lambda i: support(body, [passages[i]]))
            best_score = support(body, [passages[best]])
            if best_score > score or not cited:
                cited, score = (best,), best_score
        claims.append(Claim(body, cited, score))
    return claims
