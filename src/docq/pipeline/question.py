"""A question, read once at the door of `ask`: its text, the shape of answer it needs and
the names and numbers it depends on. The router, the routes and the answer step all
take this value instead of deriving the same things again.

Shapes follow the wording a reader uses, not any one question set: an interrogative
asks for a phrase unless it asks how or why (an explanation), for a summary or the main
point (a paragraph), for a document ("which paper"), for several items (a list), or
opens with an auxiliary verb (yes or no).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from docq.pipeline.evidence import key_terms


class Shape(str, Enum):
    FACT = "fact"  # a phrase: who, what, when, where, how many
    EXPLAIN = "explain"  # a few cited sentences: how, why, explain, describe
    SUMMARY = "summary"  # a cited paragraph: summarize, the main idea, what is X about
    DOCUMENT = "document"  # which paper/document: its title, and the passage that shows it
    YES_NO = "yesno"  # yes or no
    LIST = "list"  # the items, each cited


SHAPES = tuple(s.value for s in Shape)
_DOCUMENT_NOUNS = "paper|document|article|file|report|essay|study|book|publication|note|memo|chapter"
_SUMMARY = re.compile(
    r"^\s*(?:summari[sz]e|sum up|give (?:me )?(?:a |an )?(?:summary|overview|gist))\b"
    r"|\b(?:summary|overview|gist|tl;?dr)\b"
    r"|\bmain (?:idea|point|argument|contribution|finding|message|thesis|takeaway|claim|result)s?\b"
    r"|\bkey (?:points|ideas|findings|takeaways|contributions)\b"
    r"|^\s*what (?:is|are|was|were) (?:the |this |these |that )?.{0,80}\babout\s*\??\s*$",
    re.IGNORECASE,
)
# "Which paper introduces X?" asks for a document; "What file format does X use?" does not:
# the document word must head its phrase, so a singular one is followed by a verb (a word
# in -s or -ed, or an auxiliary), a relative word, a preposition, an -ly adverb or the end.
_HEADS = (
    r"(?:\w+(?:s|ed|ly)|is|was|does|did|has|had|can|could|would|will|should|may|might|first|"
    r"that|which|who|where|in|on|of|about|from|by|with|for|to|among|between)\b"
)
_DOCUMENT = re.compile(
    rf"\b(?:which|what)\s+(?:\w+\s+)?(?:{_DOCUMENT_NOUNS})(?:s\b|\s+(?={_HEADS})|(?=\s*(?:[?,.]|$)))",
    re.IGNORECASE,
)
_EXPLAIN = re.compile(
    r"^\s*(?:why|how)\b(?!\s+(?:many|much|long|old|far|big|large|often|tall|high|wide|deep|fast|soon|large|small)\b)"
    r"|^\s*(?:explain|describe|discuss|outline)\b"
    r"|\bin what way\b|\bwhat (?:is|was|are|were) the (?:reason|purpose|role|rationale|idea behind)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = r"(?:two|three|four|five|six|seven|eight|nine|ten|\d+)"
_LIST = re.compile(
    rf"^\s*(?:list|name|enumerate)\b"
    rf"|\b(?:which|what)\s+(?:are\s+)?(?:the\s+)?{_NUMBER_WORDS}\b"
    r"|^\s*what are the\b"
    r"|^\s*which\s+\w{2,}s\b(?<!ss)(?<!us)(?<!is)(?!\s+(?:is|was|has|does)\b)",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|shall|may|might|must)\b",
    re.IGNORECASE,
)
_CHOICE = re.compile(r"\bor\b|\bwhich of\b", re.IGNORECASE)


def shape_of(text: str) -> Shape:
    """The answer shape a question's wording asks for."""
    if _SUMMARY.search(text):
        return Shape.SUMMARY
    if _DOCUMENT.search(text) and not re.search(r"\bwhich of\b", text, re.IGNORECASE):
        return Shape.DOCUMENT
    if _EXPLAIN.search(text):
        return Shape.EXPLAIN
    if _LIST.search(text):
        return Shape.LIST
    if _YES_NO.search(text) and not _CHOICE.search(text):
        return Shape.YES_NO
    return Shape.FACT


@dataclass(frozen=True)
class Question:
    text: str
    shape: Shape
    key_terms: tuple[str, ...]  # names and numbers it depends on (evidence.key_terms)
    shape_forced: bool = False  # the user chose the shape (--shape)

    @classmethod
    def read(cls, text: str, shape: Shape | None = None) -> Question:
        text = " ".join(text.split())
        return cls(
            text=text,
            shape=shape or shape_of(text),
            key_terms=tuple(key_terms(text)),
            shape_forced=shape is not None,
        )

    @property
    def long_form(self) -> bool:
        """Answered in sentences, each with its citations."""
        return self.shape in (Shape.EXPLAIN, Shape.SUMMARY, Shape.LIST)
