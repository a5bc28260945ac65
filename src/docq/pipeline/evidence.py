"""What the documents can support, judged from their text rather than the model's say-so.

A small model rarely says "not found" on its own and its confidence does not separate
answerable from unanswerable questions (measured: AUC 0.49-0.54 for first-token and
verification probabilities on squad-normans). Evidence does better: a name or number the
question depends on that the documents never mention means they cannot answer it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docq.indexers.folding import fold

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)([^\W_]+)", re.UNICODE)


def _canonical(word: str) -> str:
    word = fold(word)
    for suffix in ("'s", "’s", "'", "’"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
    return word


def key_terms(question: str) -> list[str]:
    """Names and numbers a question depends on: capitalised words not opening a
    sentence, acronyms anywhere, and anything with a digit. Hyphenated compounds count
    by their parts."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(question)}
    terms: list[str] = []
    for match in _WORD.finditer(question):
        word = match.group(0)
        acronym = len(word) > 1 and word.isupper()
        if any(ch.isdigit() for ch in word) or acronym or (word[0].isupper() and match.start() not in starts):
            terms.append(word)
    return list(dict.fromkeys(terms))


def _vocabulary(texts: Iterable[str]) -> tuple[set[str], str]:
    joined = fold(" ".join(texts))
    return {_canonical(w) for w in _WORD.findall(joined)}, joined


def _present(term: str, vocabulary: set[str], joined: str) -> bool:
    canonical = _canonical(term)
    if canonical in vocabulary or canonical.rstrip("s") in vocabulary or canonical + "s" in vocabulary:
        return True
    return canonical in joined  # inside a longer token, e.g. "1066" in "1066–1071"


def missing_terms(question: str, texts: Iterable[str]) -> list[str]:
    """Key terms of the question that occur nowhere in `texts`."""
    terms = key_terms(question)
    if not terms:
        return []
    vocabulary, joined = _vocabulary(texts)
    return [t for t in terms if not _present(t, vocabulary, joined)]


def supported(answer: str, texts: Iterable[str]) -> bool:
    """Is the answer (mostly) made of words the documents contain? Catches invented answers."""
    words = [_canonical(w) for w in _WORD.findall(answer)]
    if not words:
        return False
    vocabulary, joined = _vocabulary(texts)
    found = sum(1 for w in words if w in vocabulary or w in joined)
    return found / len(words) >= 0.6


_CHOICE = re.compile(r"\b(?:or|which of|whom of|who of|between|both)\b", re.IGNORECASE)
_FUNCTION_WORDS = frozenset("a an the of in on at to for by and or with from as is was were".split())


def repeats_question(answer: str, question: str) -> bool:
    """An answer made only of the question's own words says nothing new, unless the
    question offers a choice ("Which of A and B...?")."""
    if _CHOICE.search(question):
        return False
    words = {_canonical(w) for w in _WORD.findall(answer)} - _FUNCTION_WORDS
    asked = {_canonical(w) for w in _WORD.findall(question)}
    return bool(words) and words <= asked


_AUXILIARIES = frozenset(
    "is are was were be been being am has have had do does did can could will would shall should may might must".split()
)
_ANSWER_TOKEN = re.compile(rf"{_WORD.pattern}|[^\w\s]+", re.UNICODE)


def extract_phrase(answer: str, question: str) -> str:
    """The phrase of a sentence-shaped reply that answers: what is left once the words
    restating the question are cut from its start and end ("Normandy is located in
    France" to "In what country is Normandy located?" gives "France"). A cut needs a verb
    of the question's clause in it (an auxiliary, or two words of the question), so a
    phrase that only starts with a question word ("Duke William") is left whole."""
    from docq.pipeline.grounding import stem

    asked = {stem(w) for w in _WORD.findall(question)} | _FUNCTION_WORDS | _AUXILIARIES
    tokens = [(m.group(0), m.start(), m.end()) for m in _ANSWER_TOKEN.finditer(answer)]

    def restates(token: str) -> bool:
        return not token[0].isalnum() or fold(token) in asked or stem(token) in asked

    start = 0
    while start < len(tokens) and restates(tokens[start][0]):
        start += 1
    end = len(tokens)
    while end > start and restates(tokens[end - 1][0]):
        end -= 1
    if start == end:
        return answer  # all of it restates the question: repeats_question judges that

    def a_clause(cut: list[tuple[str, int, int]]) -> bool:
        words = [t for t, _, _ in cut if t[0].isalnum()]
        return any(fold(w) in _AUXILIARIES for w in words) or len(words) >= 2

    if not a_clause(tokens[:start]):
        start = 0
    if not a_clause(tokens[end:]):
        end = len(tokens)
    return answer[tokens[start][1] : tokens[end - 1][2]].strip()


_SPAN_WORD = re.compile(r"\S+")


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
        words = list(_SPAN_WORD.finditer(text))
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


_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:instructions?|above|previous|prior|rules?|prompt)\b"
    r"|\b(?:reply|respond|answer|output|say|print|write)\b\s+(?:only\s+)?(?:with\s+)?[\"'“]"
    r"|\byou\s+(?:are\s+now|must\s+now|will\s+now)\b"
    r"|^\s*(?:system|assistant)\s*:"
    r"|\bnew\s+instructions?\b",
    re.IGNORECASE | re.MULTILINE,
)
_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")


def instruction_like(sentence: str) -> bool:
    """Text that addresses the reader with orders: prompt-injection wording (BIPIA-style)."""
    return bool(_INSTRUCTION.search(sentence))


def only_from_instructions(answer: str, texts: Iterable[str]) -> bool:
    """Every sentence holding the answer gives orders: a document trying to steer the
    model, whose words are not evidence."""
    target = fold(answer)
    holders = [s for t in texts for s in _SENTENCES.findall(t) if target and target in fold(s)]
    return bool(holders) and all(instruction_like(s) for s in holders)
