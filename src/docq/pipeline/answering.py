"""The answer step every route ends with: prompt, generate, clean, judge, cite.

The obvious pipeline loses most of its score here (docs/design.md, "The answer step"): the model writes sentences
instead of spans and rarely abstains. So the prompt asks for the span alone, the output
is cut at its first line, and abstention is judged from evidence as well as from the
model's own "NOT FOUND".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from docq.indexers.folding import fold
from docq.indexers.index import DocumentIndex
from docq.llm.backend import LLM, Generation, TokenSink
from docq.pipeline import prompts
from docq.pipeline.evidence import (
    is_yes_no_question,
    missing_terms,
    only_from_instructions,
    reads_as_sentence,
    repeats_question,
    snap_to_text,
    supported,
)
from docq.types import Chunk, Citation

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
    UNSUPPORTED = "unsupported"  # the answer is not in the passages, repeats the question, or is a sentence


@dataclass(frozen=True)
class AnswerDraft:
    text: str
    abstained: bool
    reason: str  # why it abstained, or "" when it answered
    citations: tuple[Citation, ...]
    generation: Generation | None  # None when evidence settled it without the model
    abstention: Abstention | None = None

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
    """The sentence of `text` around [at, at+length)."""
    for match in _SENTENCE.finditer(text):
        if match.start() <= at < match.end() or (match.start() < at + length <= match.end()):
            return match.group(0).strip()
    return text[max(0, at - 100) : at + length + 100].strip()


def cite(index: DocumentIndex, answer: str, passages: Sequence[Chunk], markers: Sequence[int]) -> tuple[Citation, ...]:
    """Where the answer stands: passages the model marked, else those containing the
    answer, else the strongest passage. Pages are the answer's own page."""
    target = fold(answer)
    found: list[tuple[Chunk, int]] = []
    marked = [passages[m - 1] for m in markers if 0 < m <= len(passages)]
    for passage in [*marked, *passages]:
        at = fold(passage.text).find(target) if target and answer.lower() not in YES_NO else -1
        if at >= 0 and all(p.id != passage.id for p, _ in found):
            found.append((passage, at))
    if not found:
        fallback = marked[0] if marked else passages[0]
        found = [(fallback, 0)]
        length = 0
    else:
        length = len(answer)
    citations = []
    for passage, at in found[:3]:
        chunk, page = index.locate(passage.source, passage.char_start + at)
        holder = chunk if chunk is not None and passage.ordinal < 0 else passage
        citations.append(
            Citation(
                source=passage.source,
                page=page if page is not None else passage.page_start,
                chunk_id=holder.id,
                text=_quote(passage.text, at, length),
                title=passage.title,
            )
        )
    return tuple(citations)


def abstain(kind: Abstention, reason: str, generation: Generation | None = None) -> AnswerDraft:
    return AnswerDraft(text="", abstained=True, reason=reason, citations=(), generation=generation, abstention=kind)


MAX_SUPPLEMENTS = 2  # bounds the prompt (docs/design.md, "Supplement")


def supplement(index: DocumentIndex, question: str, passages: Sequence[Chunk]) -> tuple[list[Chunk], list[str]]:
    """Add the best passage for each name or number of the question the passages lack
    but the corpus holds (a multi-hop bridge retrieval missed). Returns the passages and
    the terms the whole corpus never mentions."""
    missing = missing_terms(question, [p.text for p in passages])
    if not missing:
        return list(passages), []
    bm25 = index.bm25()
    absent = [t for t in missing if not bm25.knows(t)]
    added: list[Chunk] = []
    have = {p.id for p in passages}
    for term in [t for t in missing if t not in absent][:MAX_SUPPLEMENTS]:
        for hit in index.search(f"{term} {question}", 3, dense=False):
            if hit.chunk.id not in have and term.lower() in hit.chunk.text.lower():
                added.append(hit.chunk)
                have.add(hit.chunk.id)
                break
    return [*passages, *added], absent


def answer_from(
    index: DocumentIndex,
    llm: LLM,
    question: str,
    passages: Sequence[Chunk],
    *,
    max_tokens: int,
    on_text: TokenSink | None = None,
    repeat_question: bool = False,
    cache_prefix: bool = False,
) -> AnswerDraft:
    if not passages:
        return abstain(Abstention.NO_PASSAGES, "nothing in the index matches the question")
    passages, absent = supplement(index, question, passages)
    if absent:
        return abstain(
            Abstention.MISSING_TERMS, f"the documents never mention {', '.join(repr(t) for t in absent[:3])}"
        )
    texts = [p.text for p in passages]
    yes_no = is_yes_no_question(question)
    generation = llm.complete(
        prompts.answer_messages(question, passages, repeat_question=repeat_question, yes_no=yes_no),
        max_tokens=max_tokens,
        stop=("\n",),
        on_text=on_text,
        prefix_key=prompts.DOCUMENTS_END.strip() if cache_prefix else None,
    )
    text, markers = clean_answer(generation.text)
    if not text or _ABSTAINS.search(text):
        return abstain(Abstention.MODEL, "the model found no answer in the passages", generation)
    if text.lower() in YES_NO:
        if not yes_no:
            return abstain(
                Abstention.UNSUPPORTED, f"the model answered {text!r} to a question that is not yes/no", generation
            )
        text = text.lower()
    elif fold(text) not in fold(" ".join(texts)):
        snapped = snap_to_text(text, texts)
        if snapped is None and not supported(text, texts):
            return abstain(Abstention.UNSUPPORTED, f"the model's answer {text!r} is not in the passages", generation)
        text = snapped or text
    if only_from_instructions(text, texts):
        return abstain(
            Abstention.UNSUPPORTED,
            "the answer comes only from instructions inside a document, not from its facts",
            generation,
        )
    if repeats_question(text, question):
        return abstain(Abstention.UNSUPPORTED, f"the model's answer {text!r} only repeats the question", generation)
    if reads_as_sentence(text, question):
        return abstain(
            Abstention.UNSUPPORTED, f"the model wrote a sentence, not an answer phrase: {text!r}", generation
        )
    return AnswerDraft(
        text=text, abstained=False, reason="", citations=cite(index, text, passages, markers), generation=generation
    )
