"""The answer step every route ends with: prompt, generate, judge, cite, in the shape the
question asks for.

The obvious pipeline loses most of its score here (docs/design.md, "The answer step"):
the model writes sentences where a phrase was asked, rarely says the documents lack the
answer, and cites loosely. So each shape has its own instruction and output budget; a
phrase is taken out of a sentence-shaped reply rather than refused; long answers keep
only the sentences their cited passages support; and abstention is judged from
evidence (a name the documents never mention, the model's own NOT FOUND, an answer the
passages do not hold), never from the form of the reply alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from docq.indexers.folding import fold
from docq.llm.backend import LLM, Generation, TokenSink
from docq.pipeline import prompts
from docq.pipeline.corpus import Corpus
from docq.pipeline.evidence import (
    extract_phrase,
    missing_terms,
    only_from_instructions,
    repeats_question,
    snap_to_text,
    supported,
)
from docq.pipeline.grounding import BULLET, SUPPORTED_FROM, content_stems, ground
from docq.pipeline.question import Question, Shape
from docq.types import AnswerSentence, Chunk, Citation

_NOT_FOUND = re.compile(r"^\W*not\s+found\b", re.IGNORECASE)
_ABSTAINS = re.compile(
    r"not found|not (?:stated|mentioned|provided|given|specified)|no (?:information|answer|mention)|"
    r"cannot be (?:determined|found|answered)|does(?:n't| not) (?:say|mention|state|contain)|"
    r"(?:don't|do not) know|unknown",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\s*\[(\d+)\]")
_PREFIX = re.compile(r"^(?:the )?answer(?: is)?\s*[:\-]\s*", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
YES_NO = ("yes", "no")


class Abstention(str, Enum):
    NO_PASSAGES = "no passages"
    MISSING_TERMS = "missing terms"  # the passages lack a name or number of the question
    MODEL = "model"  # the model said it is not there
    UNSUPPORTED = "unsupported"  # the answer is not in the passages, or only repeats the question


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

    @property
    def retrieval_may_have_missed(self) -> bool:
        """Another route might find it: the model saw nothing, or the passages lacked a term."""
        return self.abstention in (Abstention.NO_PASSAGES, Abstention.MISSING_TERMS, Abstention.MODEL)


def _squash(text: str) -> str:
    """Folded, with every run of whitespace one space: a PDF line break inside a phrase
    does not make it a different phrase."""
    return " ".join(fold(text).split())


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
    """The sentence of `text` around [at, at+length)."""
    for match in _SENTENCE.finditer(text):
        if match.start() <= at < match.end() or (match.start() < at + length <= match.end()):
            return match.group(0).strip()
    return text[max(0, at - 100) : at + length + 100].strip()


def _citation(corpus: Corpus, passage: Chunk, at: int, length: int) -> Citation:
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
    corpus: Corpus, answer: str, passages: Sequence[Chunk], markers: Sequence[int], question: str = ""
) -> tuple[Citation, ...]:
    """Where a short answer stands: the passages that hold it (those the model marked
    first), else, for yes/no or a paraphrase, the passage sentence that best matches the
    question and the answer. Pages are the answer's own page."""
    target = fold(answer)
    found: list[tuple[Chunk, int]] = []
    marked = [passages[m - 1] for m in markers if 0 < m <= len(passages)]
    for passage in [*marked, *passages]:
        at = fold(passage.text).find(target) if target and answer.lower() not in YES_NO else -1
        if at >= 0 and all(p.id != passage.id for p, _ in found):
            found.append((passage, at))
    if found:
        return tuple(_citation(corpus, passage, at, len(answer)) for passage, at in found[:3])
    claim = f"{question} {answer}"
    words = content_stems(claim)
    best = max(passages, key=lambda p: len(words & content_stems(p.text)))
    return (_citation(corpus, best, _best_sentence(best, claim), 0),)


def _best_sentence(passage: Chunk, claim: str) -> int:
    """Offset of the passage sentence sharing the most content words with `claim`."""
    words = content_stems(claim)
    best, best_at = -1, 0
    for match in _SENTENCE.finditer(passage.text):
        overlap = len(words & content_stems(match.group(0)))
        if overlap > best:
            best, best_at = overlap, match.start() + len(match.group(0)) - len(match.group(0).lstrip())
    return best_at


def abstain(kind: Abstention, reason: str, generation: Generation | None = None) -> AnswerDraft:
    return AnswerDraft(text="", abstained=True, reason=reason, citations=(), generation=generation, abstention=kind)


MAX_SUPPLEMENTS = 2  # bounds the prompt (docs/design.md, "Supplement")


def supplement(corpus: Corpus, question: Question, passages: Sequence[Chunk]) -> tuple[list[Chunk], list[str]]:
    """Add the best passage for each name or number of the question the passages lack
    but the corpus holds (a multi-hop bridge retrieval missed). Returns the passages and
    the terms the whole corpus never mentions."""
    missing = missing_terms(question.text, [p.text for p in passages])
    if not missing:
        return list(passages), []
    absent = [t for t in missing if not corpus.knows(t)]
    added: list[Chunk] = []
    have = {p.id for p in passages}
    for term in [t for t in missing if t not in absent][:MAX_SUPPLEMENTS]:
        for hit in corpus.search(f"{term} {question.text}", 3, dense=False):
            if hit.chunk.id not in have and term.lower() in hit.chunk.text.lower():
                added.append(hit.chunk)
                have.add(hit.chunk.id)
                break
    return [*passages, *added], absent


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
) -> AnswerDraft:
    """Ask the model about `passages` and judge its reply; `max_tokens` 0 means the
    shape's own budget."""
    if not passages:
        return abstain(Abstention.NO_PASSAGES, "nothing in the index matches the question")
    passages, absent = supplement(corpus, question, passages)
    if absent:
        return abstain(
            Abstention.MISSING_TERMS, f"the documents never mention {', '.join(repr(t) for t in absent[:3])}"
        )
    short = question.shape in (Shape.FACT, Shape.YES_NO)
    generation = llm.complete(
        prompts.answer_prompt(question, passages, repeat_question=repeat_question, keep_documents=keep_documents),
        max_tokens=max_tokens or prompts.ANSWER_TOKENS[question.shape],
        stop=("\n",) if short else (),
        on_text=on_text,
    )
    reply = generation.text.strip()
    if not reply or _NOT_FOUND.match(reply):
        return abstain(Abstention.MODEL, "the model found no answer in the passages", generation)
    if question.shape is Shape.DOCUMENT:
        return _document_answer(corpus, reply, passages, generation)
    if question.long_form:
        return _long_answer(corpus, question, reply, passages, generation)
    return _short_answer(corpus, question, reply, passages, generation)


def _short_answer(
    corpus: Corpus, question: Question, reply: str, passages: Sequence[Chunk], generation: Generation
) -> AnswerDraft:
    text, markers = clean_answer(reply)
    if not text or _ABSTAINS.search(text):
        return abstain(Abstention.MODEL, "the model found no answer in the passages", generation)
    first_word = fold(text).split()[0].strip(".,!")
    if question.shape is Shape.YES_NO:
        if first_word not in YES_NO:
            return abstain(Abstention.UNSUPPORTED, f"the model did not answer yes or no: {text!r}", generation)
        text = first_word
    elif fold(text).strip(".!") in YES_NO:
        return abstain(
            Abstention.UNSUPPORTED, f"the model answered {text!r} to a question that is not yes/no", generation
        )
    else:
        texts = [p.text for p in passages]
        text = extract_phrase(text, question.text)
        if _squash(text) not in _squash(" ".join(texts)):
            snapped = snap_to_text(text, texts)
            if snapped is None and not supported(text, texts):
                return abstain(
                    Abstention.UNSUPPORTED, f"the model's answer {text!r} is not in the passages", generation
                )
            text = snapped or text
        if only_from_instructions(text, texts):
            return abstain(
                Abstention.UNSUPPORTED,
                "the answer comes only from instructions inside a document, not from its facts",
                generation,
            )
        if repeats_question(text, question.text):
            return abstain(Abstention.UNSUPPORTED, f"the model's answer {text!r} only repeats the question", generation)
    return AnswerDraft(
        text=text,
        abstained=False,
        reason="",
        citations=cite(corpus, text, passages, markers, question.text),
        generation=generation,
    )


def _document_answer(corpus: Corpus, reply: str, passages: Sequence[Chunk], generation: Generation) -> AnswerDraft:
    """ "Which paper...": the title of the document the model picked, and its passage."""
    markers = [int(m) for m in _MARKER.findall(reply)]
    explanation = _MARKER.sub("", reply).strip().split("\n", 1)[0].strip()
    picked = next((m - 1 for m in markers if 0 < m <= len(passages)), None)
    if picked is None:  # no usable id: the passage its explanation rests on, if any
        claims = ground(explanation, [p.text for p in passages])
        if not claims or claims[0].support < SUPPORTED_FROM:
            return abstain(Abstention.MODEL, "the model named no document", generation)
        picked = claims[0].cited[0]
    passage = passages[picked]
    title = passage.title or Path(passage.source).stem
    citation = _citation(corpus, passage, _best_sentence(passage, explanation or title), 0)
    return AnswerDraft(
        text=title,
        abstained=False,
        reason="",
        citations=(citation,),
        generation=generation,
        sentences=(AnswerSentence(citation.text, (0,)),),
    )


def _long_answer(
    corpus: Corpus, question: Question, reply: str, passages: Sequence[Chunk], generation: Generation
) -> AnswerDraft:
    """Sentences (or items) the passages support, each with its citations numbered in
    the order they are first used; the others are dropped and counted."""
    claims = ground(reply, [p.text for p in passages])
    kept = [c for c in claims if c.support >= SUPPORTED_FROM and not _ABSTAINS.match(c.text)]
    if not kept:
        return abstain(Abstention.UNSUPPORTED, "the passages support none of the model's sentences", generation)
    order: dict[int, int] = {}
    for claim in kept:
        for i in claim.cited:
            order.setdefault(i, len(order))
    citations = []
    for i in order:
        claim_text = " ".join(c.text for c in kept if i in c.cited)
        citations.append(_citation(corpus, passages[i], _best_sentence(passages[i], claim_text), 0))
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
