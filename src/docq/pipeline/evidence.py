"""What the documents can support, judged from their text rather than the model's say-so.

A small model rarely says "not found" on its own and its token probabilities do not
separate answerable from unanswerable questions (AUC 0.49-0.54, docs/design.md). The text
does better: a name or number the question depends on that the documents never write, an
answer that is not in the passages, an answer made only of the question's own words. These
are measured as `Evidence` and weighed together by one calibrated decision
(`AbstentionModel`, its weights set by hand and its threshold chosen on the tune halves;
docs/design.md, "Abstention"), instead of a
chain of rules each of which refuses on its own.

Matching follows the corpus's writing: a multi-word name is one phrase; a word matches its
plural, possessive, regular British/American spelling, and a derived form that shares its
stem ("Italy"/"Italian", "Norway"/"Norwegian").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Protocol

from docq.text import (
    AUXILIARIES,
    CONNECTORS,
    STOPWORDS,
    WORD,
    analyze,
    canonical,
    fold,
    same_word,
    sentences,
    stem,
)

# -- terms as the corpus writes them --------------------------------------------------------


def phrase_key(text: str) -> str:
    """Text as a sequence of canonical words, padded, for whole-phrase lookups."""
    return " " + " ".join(canonical(w) for w in WORD.findall(text)) + " "


def is_number(term: str) -> bool:
    return any(ch.isdigit() for ch in term)


@dataclass(frozen=True)
class TextVocabulary:
    """The words of some texts (passages), for asking whether they write a term."""

    words: frozenset[str]
    key: str  # phrase_key of all the texts
    raw: str  # folded, for numbers inside longer tokens ("1066" in "1066–1071")

    @classmethod
    def of(cls, texts: Iterable[str]) -> TextVocabulary:
        joined = "\n".join(texts)
        key = phrase_key(joined)
        return cls(frozenset(key.split()), key, fold(joined))

    def has_word(self, word: str, exact: bool = False) -> bool:
        word = canonical(word)
        if word in self.words:
            return True
        return not exact and any(same_word(word, w) for w in self.words if w[:3] == word[:3])

    def has_phrase(self, term: str) -> bool:
        return phrase_key(term) in self.key

    def coverage(self, term: str) -> float:
        return term_coverage(term, self)


class Vocabulary(Protocol):
    """Texts that can say whether they write a word (in any of its forms, or `exact`ly)
    and a phrase: the passages read (TextVocabulary) or the whole corpus (its index)."""

    def has_word(self, word: str, exact: bool = False) -> bool: ...

    def has_phrase(self, term: str) -> bool: ...


def term_coverage(term: str, texts: Vocabulary) -> float:
    """How far `texts` write a term of the question: 1.0 when they write it (a name of
    several words as that phrase, a number only as that very number); else the share of
    its words they write, at most 0.99 for a name of several words (each word somewhere,
    never together). The one rule for the corpus and the passages alike."""
    words = [w for w in analyze(term) if w not in CONNECTORS]
    if not words:
        return 1.0
    known = [texts.has_word(w, exact=is_number(w)) for w in words]
    if len(words) == 1:
        return float(known[0])
    if all(known) and texts.has_phrase(term):
        return 1.0
    return sum(known) / len(words) * 0.99


# -- the answer's phrase ----------------------------------------------------------------------

_FUNCTION_WORDS = frozenset("a an the of in on at to for by and or with from as is was were".split())
_TOKEN = re.compile(rf"{WORD.pattern}|[^\w\s]+", re.UNICODE)


def extract_phrase(
    answer: str, question_stems: frozenset[str], question_words: frozenset[str], *, clause: bool = True
) -> str:
    """The phrase of a sentence-shaped reply that answers: what is left once a clause
    restating the question is cut from its start and end ("Normandy is located in France"
    to "In what country is Normandy located?" gives "France"). A cut needs a verb of the
    question's clause in it (an auxiliary, or two words of the question), so a phrase that
    merely shares a word with the question ("Merkle tree", "University of Leeds") is whole.
    `clause=False` cuts any word of the question (the rule before; bench/answer_rules.py)."""
    asked = question_stems | question_words | _FUNCTION_WORDS | AUXILIARIES
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(answer)]

    def restates(token: str) -> bool:
        return not token[0].isalnum() or fold(token) in asked or stem(token) in asked

    start = 0
    while start < len(tokens) and restates(tokens[start][0]):
        start += 1
    end = len(tokens)
    while end > start and restates(tokens[end - 1][0]):
        end -= 1
    if start == end:
        return answer  # all of it restates the question: judged as a repetition

    def a_clause(cut: list[tuple[str, int, int]]) -> bool:
        words = [t for t, _, _ in cut if t[0].isalnum()]
        return any(fold(w) in AUXILIARIES for w in words) or len(words) >= 2

    if clause and not a_clause(tokens[:start]):
        start = 0
    if clause and not a_clause(tokens[end:]):
        end = len(tokens)
    return answer[tokens[start][1] : tokens[end - 1][2]].strip()


_SPAN_TOKEN = re.compile(r"\S+")
_UNIT = re.compile(r"^[a-zµ]{1,12}$|^[A-Z][A-Za-z]{0,2}$|^%$")  # bytes, ms, KB, GHz, %


def find_span(phrase: str, texts: Sequence[str]) -> tuple[int, int, int] | None:
    """(text index, start, end) of the phrase in the texts, matched folded and across line
    breaks and hyphenated breaks; None when no text holds it."""
    words = WORD.findall(phrase)
    if not words:
        return None
    pattern = re.compile(
        r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?![^\W_])", re.IGNORECASE | re.UNICODE
    )
    for i, text in enumerate(texts):
        match = pattern.search(text)
        if match:
            return i, match.start(), match.end()
    return None


def grow_span(
    text: str, start: int, end: int, question_words: frozenset[str], *, names: bool = True, units: bool = True
) -> tuple[int, int]:
    """Widen an answer span to what it names in the text: the rest of a name (capitalised
    words and initials next to it: "Chandy" -> "K. Mani Chandy") and a number's unit
    ("80" -> "80 bytes"). Words the question itself names are not added. `names` and
    `units` switch each widening (bench/answer_rules.py measures them)."""
    before = list(_SPAN_TOKEN.finditer(text, 0, start))
    after = list(_SPAN_TOKEN.finditer(text, end))
    phrase = text[start:end]

    def name_word(core: str) -> bool:
        return (
            bool(core) and core[0].isupper() and fold(core) not in STOPWORDS and canonical(core) not in question_words
        )

    if names and phrase[:1].isupper():
        while before:
            token = before[-1].group(0)
            if _INITIAL.fullmatch(token) or (token.isalpha() and name_word(token)):
                start = before.pop().start()
            else:
                break
        while after:
            token = after[0].group(0)
            core = token.rstrip(".,;:)")
            if not (core.replace("-", "").isalnum() and name_word(core)):
                break
            end = after.pop(0).start() + len(core)
            if core != token:
                break  # punctuation ends the name
    if units and phrase[-1:].isdigit() and after:
        unit = after[0].group(0).rstrip(".,;:)")
        plain = fold(unit) not in _FUNCTION_WORDS | AUXILIARIES | STOPWORDS and canonical(unit) not in question_words
        if _UNIT.match(unit) and plain:
            end = after[0].start() + len(unit)
    return start, end


_INITIAL = re.compile(r"[A-Z]\.")


def snap_to_text(answer: str, texts: Iterable[str], threshold: float = 0.8) -> str | None:
    """The passage span closest to an answer that is not verbatim in the passages.

    A small model copying a span sometimes slips toward its prior ("1911" for the
    passage's "911"); the nearest span of about the same length is what it meant to
    copy. None when nothing is close enough."""
    from difflib import SequenceMatcher

    target = fold(answer).strip(" .,;:\"'")
    if not target:
        return None
    n = len(target.split())
    best, best_score = None, threshold
    matcher = SequenceMatcher(None, target)
    for text in texts:
        words = list(_SPAN_TOKEN.finditer(text))
        for length in range(max(1, n - 1), n + 2):
            for i in range(len(words) - length + 1):
                start, end = words[i].start(), words[i + length - 1].end()
                candidate = text[start:end].strip(" .,;:\"'()")
                matcher.set_seq2(fold(candidate))
                # The quick ratios are upper bounds of ratio(): a whole document (the full
                # route) has thousands of spans, and most are ruled out without the full match.
                if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
                    continue
                score = matcher.ratio()
                if score > best_score:
                    best, best_score = candidate, score
    return " ".join(best.split()) if best else None  # one line, though the span crossed a line break


def word_support(answer: str, vocabulary: TextVocabulary) -> float:
    """Share of the answer's words the passages write: its content words, when it has
    any ("the" in every passage is no support for "Charlemagne the Great")."""
    words = [w for w in WORD.findall(answer) if fold(w) not in STOPWORDS] or WORD.findall(answer)
    return sum(vocabulary.has_word(w) or fold(w) in vocabulary.raw for w in words) / len(words) if words else 0.0


def repeats_question(answer: str, question: str, choices: Sequence[str]) -> bool:
    """An answer the question already says, word for word, says nothing new ("Charles III"
    to "Who did King Charles III swear fealty to?"), unless it is one of the options the
    question offers ("Which of A and B...?"). Words of the question recombined are new
    ("University of Leeds" to "What university does the Leeds Students' Union serve?")."""
    key = phrase_key(answer)
    if not key.strip() or any(key in phrase_key(option) for option in choices):
        return False
    return key in phrase_key(question)


# -- prompt injection -----------------------------------------------------------------------------

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:instructions?|above|previous|prior|rules?|prompt)\b"
    r"|\b(?:reply|respond|answer|output|say|print|write)\b\s+(?:only\s+)?(?:with\s+)?[\"'“]"
    r"|\byou\s+(?:are\s+now|must\s+now|will\s+now)\b"
    r"|^\s*(?:system|assistant)\s*:"
    r"|\bnew\s+instructions?\b",
    re.IGNORECASE | re.MULTILINE,
)


def instruction_like(sentence: str) -> bool:
    """Text that addresses the reader with orders: prompt-injection wording (BIPIA-style)."""
    return bool(_INSTRUCTION.search(sentence))


def only_from_instructions(answer: str, texts: Iterable[str]) -> bool:
    """Every sentence holding the answer gives orders: a document trying to steer the
    model, whose words are not evidence."""
    target = fold(answer)
    holders = [s for t in texts for line in t.splitlines() for s in sentences(line) if target and target in fold(s)]
    return bool(holders) and all(instruction_like(s) for s in holders)


# -- the decision --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What the documents say about a question and an answer, each in [0, 1]."""

    corpus_names: float = 1.0  # least coverage of a name of the question in the whole corpus
    corpus_numbers: float = 1.0  # share of the question's numbers the corpus writes
    passage_names: float = 1.0  # least coverage of a name (or number) in the passages read
    found: float = 1.0  # the answer is in the passages: 1 verbatim, 0.7 snapped to a near span, else its words' share
    repeats: float = 0.0  # the answer only repeats the question
    overlap: float = 1.0  # share of the question's content stems in the passage sentence that holds the answer

    def as_dict(self) -> dict[str, float]:
        return {f.name: round(float(getattr(self, f.name)), 3) for f in fields(self)}


FEATURES = tuple(f.name for f in fields(Evidence))


@dataclass(frozen=True)
class AbstentionModel:
    """Logistic odds that the documents do not answer the question: abstain at `threshold`
    and above. The weights are set by hand (a fit on the 90 tune rows learned almost only
    `found`); the threshold was chosen on the tune halves (bench/abstention.py)."""

    weights: tuple[float, ...]  # one per Evidence field, in FEATURES order
    bias: float
    threshold: float

    def probability(self, evidence: Evidence) -> float:
        return _logistic(self.bias + sum(w * getattr(evidence, name) for w, name in zip(self.weights, FEATURES)))

    def abstains(self, evidence: Evidence) -> bool:
        return self.probability(evidence) >= self.threshold

    def settled_before_reading(self, evidence: Evidence, known: frozenset[str]) -> bool:
        """Would it abstain whatever the fields not yet `known` turn out to be? Then the
        model need not be asked (a name the corpus never writes)."""
        z = self.bias
        for w, name in zip(self.weights, FEATURES):
            z += w * getattr(evidence, name) if name in known else min(0.0, w)  # the most answerable case
        return _logistic(z) >= self.threshold

    def strongest(self, evidence: Evidence) -> str:
        """The field that pushes hardest toward abstaining (for the reason shown to the user)."""
        pushes = {name: w * (getattr(evidence, name) - _ANSWERABLE[name]) for w, name in zip(self.weights, FEATURES)}
        return max(pushes, key=lambda n: pushes[n])


_ANSWERABLE = {f.name: f.default for f in fields(Evidence)}


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
