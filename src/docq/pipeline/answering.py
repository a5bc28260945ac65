"""The answer step every route ends with: prompt, generate, judge, cite, in the shape the
question asks for.

The obvious pipeline loses most of its score here (docs/design.md, "The answer step"):
the model writes sentences where a phrase was asked, rarely says the documents lack the
answer, and cites loosely. So each shape has its own instruction and output budget; a
phrase is taken out of a sentence-shaped reply rather than refused; long answers keep
only the sentences their cited passages support; and abstention is judged from
evidence (a name the documents never mention, the model's own NOT FOUND, an answer the
passages do not hold) weighed by one calibrated decision (evidence.AbstentionModel), never
from the form of the reply alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from docq.llm.backend import LLM, Generation, TokenSink
from docq.pipeline import prompts
from docq.pipeline.corpus import Corpus
from docq.pipeline.evidence import (
    AbstentionModel,
    Evidence,
    TextVocabulary,
    extract_phrase,
    find_span,
    grow_span,
    is_number,
    only_from_instructions,
    phrase_key,
    repeats_question,
    snap_to_text,
    word_support,
)
from docq.pipeline.grounding import BULLET, ground
from docq.pipeline.question import Question, Shape
from docq.text import content_stems, fold, sentence_at, sentence_spans
from docq.tuning import Tuning
from docq.types import AnswerSentence, Chunk, Citation

# A reply that is, as a whole, a refusal: "NOT FOUND", "Unknown.", "The documents do not
# say." An answer that merely contains such words ("Unknown Pleasures") is an answer.
_REFUSAL = re.compile(
    r"^\W*(?:(?:unknown|none|n/?a|no answer)\W*$"
    r"|(?:not\s+found|i (?:do not|don't) know|cannot be (?:determined|answered|found)"
    r"|(?:it is |this is )?not (?:stated|mentioned|provided|given|specified)"
    r"|(?:there is )?no (?:information|mention)"
    r"|the (?:documents?|passages?|text|context) (?:does|do)(?:n't| not) (?:say|mention|state|contain|provide|specify)"
    r")\b[^\n]{0,80}$)",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\s*\[(\d+)\]")
_PREFIX = re.compile(r"^(?:the )?answer(?: is)?\s*[:\-]\s*", re.IGNORECASE)
YES_NO = ("yes", "no")


def refuses(reply: str) -> bool:
    """Is the reply, as a whole, a refusal (the model found nothing to answer with)?"""
    return bool(_REFUSAL.match(reply.strip()))


class Abstention(str, Enum):
    NO_PASSAGES = "no passages"
    MISSING_TERMS = "missing terms"  # the corpus does not write a name or number of the question
    MODEL = "model"  # the model said it is not there
    UNSUPPORTED = "unsupported"  # the evidence weighs against the answer (evidence.AbstentionModel)


@dataclass(frozen=True)
class AnswerDraft:
    text: str
    abstained: bool
    reason: str  # why it abstained, or "" when it answered
    citations: tuple[Citation, ...]
    generation: Generation | None  # None when evidence settled it without the model
    abstention: Abstention | None = None
    sentences: tuple[AnswerSentence, ...] = ()  # long answers: the sentences kept, with their citations
    dropped: int = 0  # sentences of a long answer its passages did not support
    evidence: Evidence | None = None  # what the abstention decision weighed
    read: tuple[str, ...] = ()  # the passages the model read, "chunk id@start-end" (eval rows replay the answer step)

    @property
    def retrieval_may_have_missed(self) -> bool:
        """Another route might find it: the model saw nothing, or the passages lacked a term."""
        return self.abstention in (Abstention.NO_PASSAGES, Abstention.MISSING_TERMS, Abstention.MODEL)


def clean_answer(raw: str) -> tuple[str, list[int]]:
    """First line of the model's reply, without "Answer:", quotes or [n] markers (returned apart)."""
    line = raw.strip().split("\n", 1)[0].strip()
    markers = [int(m) for m in _MARKER.findall(line)]
    line = _MARKER.sub("", line)
    line = _PREFIX.sub("", line).strip().strip("*\"'`“”‘’ ").strip()
    if line.endswith(".") and line.count(" ") < 8:
        line = line[:-1]  # a span, not a sentence: drop the full stop
    return line, markers


def _quote(text: str, at: int, length: int) -> str:
    """The sentence(s) of `text` holding [at, at+length), on one line."""
    spans = [(a, b) for a, b in sentence_spans(text) if a < at + max(length, 1) and at < b]
    if not spans:
        return " ".join(text[max(0, at - 100) : at + length + 100].split())
    return " ".join(text[spans[0][0] : spans[-1][1]].split())


def citation_of(corpus: Corpus, passage: Chunk, at: int, length: int) -> Citation:
    """A citation of the sentence at `at` in `passage`, with the page that holds it."""
    chunk, page = corpus.locate(passage.source, passage.char_start + at)
    holder = chunk if chunk is not None and passage.ordinal < 0 else passage
    return Citation(
        source=passage.source,
        page=page if page is not None else passage.page_start,
        chunk_id=holder.id,
        text=_quote(passage.text, at, length),
        title=passage.title,
    )


def cite(
    corpus: Corpus, answer: str, passages: Sequence[Chunk], markers: Sequence[int], question: Question
) -> tuple[Citation, ...]:
    """Where a short answer stands: the passages that hold it (those the model marked
    first), else, for yes/no or a paraphrase, the passage sentence that best matches the
    question and the answer. Pages are the answer's own page."""
    found: list[tuple[Chunk, int, int]] = []
    marked = [passages[m - 1] for m in markers if 0 < m <= len(passages)]
    for passage in [*marked, *passages]:
        span = find_span(answer, [passage.text]) if fold(answer) not in YES_NO else None
        if span is not None and all(p.id != passage.id for p, _, _ in found):
            found.append((passage, span[1], span[2] - span[1]))
    if found:
        return tuple(citation_of(corpus, passage, at, length) for passage, at, length in found[:3])
    stems = question.stems | content_stems(answer)
    best = max(passages, key=lambda p: len(stems & content_stems(p.text)))
    return (citation_of(corpus, best, best_sentence(best, stems), 0),)


def best_sentence(passage: Chunk, stems: Set[str]) -> int:
    """Offset of the passage sentence sharing the most content stems with `stems`."""
    best, best_at = -1, 0
    for a, b in sentence_spans(passage.text):
        overlap = len(stems & content_stems(passage.text[a:b]))
        if overlap > best:
            best, best_at = overlap, a
    return best_at


def abstain(
    kind: Abstention, reason: str, generation: Generation | None = None, evidence: Evidence | None = None
) -> AnswerDraft:
    return AnswerDraft(
        text="", abstained=True, reason=reason, citations=(), generation=generation, abstention=kind, evidence=evidence
    )


def abstention_model(tuning: Tuning) -> AbstentionModel:
    """The calibrated decision (tuning.answer.abstain_*; docs/design.md, "Abstention")."""
    answer = tuning.answer
    return AbstentionModel(answer.abstain_weights, answer.abstain_bias, answer.abstain_threshold)


def weigh_terms(corpus: Corpus, question: Question, passages: Sequence[Chunk]) -> Evidence:
    """What the corpus and the passages say about the question's names and numbers."""
    vocabulary = TextVocabulary.of(p.text for p in passages)
    lacking = [t for t in question.key_terms if vocabulary.coverage(t) < 1.0]
    corpus_coverage = {t: corpus.coverage(t) for t in lacking}
    names = [t for t in question.key_terms if not is_number(t)]
    numbers = [t for t in question.key_terms if is_number(t)]
    return Evidence(
        corpus_names=min((corpus_coverage.get(t, 1.0) for t in names), default=1.0),
        corpus_numbers=sum(corpus_coverage.get(t, 1.0) for t in numbers) / len(numbers) if numbers else 1.0,
        passage_names=min((vocabulary.coverage(t) for t in question.key_terms), default=1.0),
    )


def missing_terms(corpus: Corpus, question: Question, evidence: Evidence) -> AnswerDraft:
    """The abstention when the evidence settles it before the model reads: the question's
    names and numbers the documents never write."""
    absent = [t for t in question.key_terms if corpus.coverage(t) < 1.0]
    return dataclasses.replace(
        abstain(Abstention.MISSING_TERMS, f"the documents never write {', '.join(repr(t) for t in absent[:3])}"),
        evidence=evidence,
    )


def answer_from(
    corpus: Corpus,
    llm: LLM,
    question: Question,
    passages: Sequence[Chunk],
    *,
    max_tokens: int = 0,
    on_text: TokenSink | None = None,
    repeat_question: bool = False,
    keep_documents: bool = False,
    question_given: bool = False,
    tuning: Tuning = Tuning(),
) -> AnswerDraft:
    """Ask the model about `passages` and judge its reply; `max_tokens` 0 means the
    shape's own budget."""
    if not passages:
        return abstain(Abstention.NO_PASSAGES, "nothing in the index matches the question")
    abstention = abstention_model(tuning)
    evidence = weigh_terms(corpus, question, passages)
    if abstention.settled_before_reading(evidence, frozenset({"corpus_names", "corpus_numbers", "passage_names"})):
        return missing_terms(corpus, question, evidence)
    draft = _answer_read(
        corpus,
        llm,
        question,
        passages,
        evidence,
        abstention,
        max_tokens,
        on_text,
        repeat_question,
        keep_documents,
        tuning,
        question_given,
    )
    return dataclasses.replace(draft, read=tuple(f"{p.id}@{p.char_start}-{p.char_end}" for p in passages))


def _answer_read(
    corpus: Corpus,
    llm: LLM,
    question: Question,
    passages: Sequence[Chunk],
    evidence: Evidence,
    abstention: AbstentionModel,
    max_tokens: int,
    on_text: TokenSink | None,
    repeat_question: bool,
    keep_documents: bool,
    tuning: Tuning,
    question_given: bool = False,
) -> AnswerDraft:
    short = question.shape in (Shape.FACT, Shape.YES_NO)
    generation = llm.complete(
        prompts.answer_prompt(question, passages, repeat_question=repeat_question, keep_documents=keep_documents),
        max_tokens=max_tokens or prompts.ANSWER_TOKENS[question.shape],
        stop=("\n",) if short else (),
        on_text=on_text,
    )
    reply = generation.text.strip()
    if not reply or refuses(reply):
        return abstain(Abstention.MODEL, "the model found no answer in the passages", generation, evidence)
    if question.shape is Shape.DOCUMENT:
        return _document_answer(corpus, question, reply, passages, generation, tuning.answer.supported_from)
    if question.long_form:
        given = question.text if question_given else ""
        return _long_answer(corpus, question, reply, passages, generation, tuning.answer.supported_from, given)
    return _short_answer(corpus, question, reply, passages, generation, evidence, abstention)


def _short_answer(
    corpus: Corpus,
    question: Question,
    reply: str,
    passages: Sequence[Chunk],
    generation: Generation,
    evidence: Evidence,
    abstention: AbstentionModel,
) -> AnswerDraft:
    text, markers = clean_answer(reply)
    if not text or refuses(text):
        return abstain(Abstention.MODEL, "the model found no answer in the passages", generation, evidence)
    first_word = fold(text).split()[0].strip(".,!")
    if question.shape is Shape.YES_NO:
        if first_word not in YES_NO:
            return abstain(
                Abstention.UNSUPPORTED, f"the model did not answer yes or no: {text!r}", generation, evidence
            )
        return _cited(corpus, first_word, passages, markers, question, generation, evidence)
    if fold(text).strip(".!") in YES_NO:
        return abstain(
            Abstention.UNSUPPORTED,
            f"the model answered {text!r} to a question that is not yes/no",
            generation,
            evidence,
        )
    texts = [p.text for p in passages]
    option = _chosen_option(text, question.choices)
    if option is not None:  # a choice the question offers: the option, as the question names it
        return _cited(corpus, option, passages, markers, question, generation, evidence)
    text, found, where = _locate_answer(text, question, texts)
    if only_from_instructions(text, texts):
        return abstain(
            Abstention.UNSUPPORTED,
            "the answer comes only from instructions inside a document, not from its facts",
            generation,
            evidence,
        )
    holder = texts[where[0]][slice(*sentence_at(texts[where[0]], where[1]))] if where else ""
    evidence = dataclasses.replace(
        evidence,
        found=found,
        repeats=float(repeats_question(text, question.text, question.choices)),
        overlap=len(question.stems & content_stems(holder)) / len(question.stems) if question.stems else 1.0,
    )
    if abstention.abstains(evidence):
        return abstain(Abstention.UNSUPPORTED, _why(abstention.strongest(evidence), text), generation, evidence)
    return _cited(corpus, text, passages, markers, question, generation, evidence)


def _cited(
    corpus: Corpus,
    text: str,
    passages: Sequence[Chunk],
    markers: Sequence[int],
    question: Question,
    generation: Generation,
    evidence: Evidence,
) -> AnswerDraft:
    """A short answer, with the passages that hold it cited."""
    return AnswerDraft(
        text=text,
        abstained=False,
        reason="",
        citations=cite(corpus, text, passages, markers, question),
        generation=generation,
        evidence=evidence,
    )


def _chosen_option(reply: str, options: Sequence[str]) -> str | None:
    """The reply, when it is one of the options of "A or B?" (its words all within exactly
    one option); None when it names neither or both."""
    said = set(phrase_key(reply).split()) - _COMMON
    named = [o for o in options if said and said <= set(phrase_key(o).split())]
    return " ".join(reply.split()) if len(named) == 1 else None


_COMMON = frozenset("a an the of and or in on".split())


def _locate_answer(text: str, question: Question, texts: list[str]) -> tuple[str, float, tuple[int, int] | None]:
    """The answer as the passages write it, how surely they hold it (1 verbatim, 0.7 a near
    span, else the share of its words they write) and where (text index, offset).

    The model's reply is kept whole where the passages hold it; a reply wrapped in a clause
    that restates the question gives its phrase, which (docq's cut, not the model's words)
    is widened to the whole name or number-with-unit it is part of; a near miss snaps to
    the passage's span."""
    phrase = extract_phrase(text, question.stems, question.words)
    for candidate in dict.fromkeys((phrase, text)):
        span = find_span(candidate, texts)
        if span is not None:
            i, a, b = span
            if candidate != text:
                a, b = grow_span(texts[i], a, b, question.words)
            return " ".join(texts[i][a:b].split()), 1.0, (i, a)
    snapped = snap_to_text(phrase, texts)
    if snapped is not None:
        span = find_span(snapped, texts)
        return snapped, 0.7, (span[0], span[1]) if span else None
    return phrase, word_support(phrase, TextVocabulary.of(texts)), None


_REASONS = {
    "corpus_names": "the documents never write a name the question depends on",
    "corpus_numbers": "the documents never write a number the question depends on",
    "passage_names": "the passages read do not write a name the question depends on",
    "found": "the model's answer {answer!r} is not in the passages",
    "repeats": "the model's answer {answer!r} only repeats the question",
    "overlap": "the passage holding {answer!r} is about something else",
}


def _why(feature: str, answer: str) -> str:
    return _REASONS[feature].format(answer=answer)


def _document_answer(
    corpus: Corpus,
    question: Question,
    reply: str,
    passages: Sequence[Chunk],
    generation: Generation,
    supported_from: float,
) -> AnswerDraft:
    """ "Which paper...": the title of the document the model picked, and its passage;
    for "which papers..." every document it picked, each cited."""
    markers = [int(m) for m in _MARKER.findall(reply)]
    explanation = _MARKER.sub("", reply).strip().split("\n", 1)[0].strip()
    picked = list(dict.fromkeys(m - 1 for m in markers if 0 < m <= len(passages)))
    if not picked:  # no usable id: the passage its explanation rests on, if any
        claims = ground(explanation, [p.text for p in passages])
        if not claims or claims[0].support < supported_from:
            return abstain(Abstention.MODEL, "the model named no document", generation)
        picked = [claims[0].cited[0]]
    chosen: dict[str, Chunk] = {}  # one passage per document, in the model's order
    for i in picked if question.several_documents else picked[:1]:
        chosen.setdefault(passages[i].source, passages[i])
    titles = [p.title or Path(p.source).stem for p in chosen.values()]
    citations = tuple(
        citation_of(corpus, p, best_sentence(p, content_stems(explanation or title)), 0)
        for p, title in zip(chosen.values(), titles)
    )
    return AnswerDraft(
        text="; ".join(titles),
        abstained=False,
        reason="",
        citations=citations,
        generation=generation,
        sentences=tuple(AnswerSentence(c.text, (n,)) for n, c in enumerate(citations)),
    )


def _long_answer(
    corpus: Corpus,
    question: Question,
    reply: str,
    passages: Sequence[Chunk],
    generation: Generation,
    supported_from: float,
    given: str = "",
) -> AnswerDraft:
    """Sentences (or items) the passages support, each with its citations numbered in
    the order they are first used; the others are dropped and counted. Words of `given`
    (the question, where restating it is part of the answer: "X is older than Y") count
    as supported."""
    claims = ground(reply, [f"{given}\n{p.text}" if given else p.text for p in passages], supported_from)
    kept = [c for c in claims if c.support >= supported_from and not refuses(c.text)]
    if not kept:
        return abstain(Abstention.UNSUPPORTED, "the passages support none of the model's sentences", generation)
    order: dict[int, int] = {}
    for claim in kept:
        for i in claim.cited:
            order.setdefault(i, len(order))
    citations = []
    for i in order:
        claim_text = " ".join(c.text for c in kept if i in c.cited)
        citations.append(citation_of(corpus, passages[i], best_sentence(passages[i], content_stems(claim_text)), 0))
    sentences = tuple(AnswerSentence(c.text, tuple(order[i] for i in c.cited)) for c in kept)

    def marked(sentence: AnswerSentence) -> str:
        return sentence.text + " " + "".join(f"[{n + 1}]" for n in sentence.citations)

    itemized = question.shape is Shape.LIST and sum(bool(BULLET.match(line)) for line in reply.splitlines()) > 1
    joiner = "\n" if itemized else " "
    prefix = "- " if itemized else ""
    return AnswerDraft(
        text=joiner.join(prefix + marked(s) for s in sentences),
        abstained=False,
        reason="",
        citations=tuple(citations),
        generation=generation,
        sentences=sentences,
        dropped=len(claims) - len(kept),
    )
