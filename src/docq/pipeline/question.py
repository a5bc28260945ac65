"""A question, read once at the door of `ask`: its text, the shape of answer it needs, the
names and numbers it depends on, its words and stems, and the options of a choice. The
router, the routes and the answer step take this value; nothing downstream reads the
question's text again for these.

Shapes follow English question grammar, not any one question set (docs/design.md, "The
question", has each rule's measured effect): an interrogative asks for a phrase unless it
asks how or why (an explanation), for a summary or the main point (a paragraph), for a
document ("which paper"), for several items (a list), opens with an auxiliary verb (yes
or no), or asks two things at once (a few sentences that answer both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from docq.text import AUXILIARIES, CONNECTORS, STOPWORDS, WORD, canonical, content_stems, fold, sentence_spans


class Shape(str, Enum):
    FACT = "fact"  # a phrase: who, what, when, where, how many
    EXPLAIN = "explain"  # a few cited sentences: how, why, explain, describe
    SUMMARY = "summary"  # a cited paragraph: summarize, the main idea, what is X about
    DOCUMENT = "document"  # which paper/document: its title, and the passage that shows it
    YES_NO = "yesno"  # yes or no
    LIST = "list"  # the items, each cited


SHAPES = tuple(s.value for s in Shape)


class Collection(str, Enum):
    """What a question asks of the collection as a whole (docs/design.md, "Collection
    questions"); NONE for a question about what one document says."""

    NONE = "none"
    DOCUMENTS = "documents"  # which of my papers..., which are about X, what is in this folder
    COMPARE = "compare"  # how do A and B differ
    COMMON = "common"  # what do A and B have in common
    CHRONOLOGY = "chronology"  # which of these papers came first


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
    r"^\s*(?:why|how)\b(?!\s+(?:many|much|long|old|far|big|large|often|tall|high|wide|deep|fast|soon|small)\b)"
    r"|^\s*(?:explain|describe|discuss|outline|compare|contrast)\b"
    r"|\bin what way\b|\bwhat (?:is|was|are|were) the (?:reason|purpose|role|rationale|idea behind)\b",
    re.IGNORECASE,
)
# A count asks for several items ("which three properties"); a year does not ("which 1917
# community"), so digits count only up to two of them.
_COUNT = r"(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,2})"
_LIST = re.compile(
    rf"^\s*(?:list|name|enumerate)\b|\b(?:which|what)\s+(?:are\s+)?(?:the\s+)?{_COUNT}\s+\w",
    re.IGNORECASE,
)
_WHICH_PLURAL = re.compile(r"^\s*which\s+(\w{2,}s)\b(?!\s+(?:is|was|has|does)\b)", re.IGNORECASE)
_INTERROGATIVE = r"(?:what|which|who|whom|whose|when|where|why|how)"
# An auxiliary opens the question, or opens its main clause after a leading one that asks
# nothing itself ("If the master dies, does it restart?", "According to Gilbert and Lynch,
# can an algorithm ...", never "In what year, did ..." nor "..., is written by whom?").
_AUXILIARY = rf"(?:{'|'.join(sorted(AUXILIARIES))})\b"
_YES_NO = re.compile(
    rf"^\s*{_AUXILIARY}"
    rf"|^(?!.*\b(?:what|how|whose|whom)\b)\s*(?:(?!{_INTERROGATIVE}\b)[^,?]){{1,160}},\s*{_AUXILIARY}",
    re.IGNORECASE,
)
_CHOICE = re.compile(r"\bor\b|\bwhich of\b", re.IGNORECASE)
# Two questions in one: "Which algorithm is it, and what message does it send?"
_COMPOUND = re.compile(rf"(?:,\s*and|;|\?)\s+{_INTERROGATIVE}\b.*\?\s*$", re.IGNORECASE)


_SEVERAL_DOCUMENTS = re.compile(
    # the optional word is an adjective ("which research papers"), never a document noun:
    # "Which paper reports ..." asks for one paper
    rf"\b(?:which|what)\s+(?:{_COUNT}\s+)?(?:(?!(?:{_DOCUMENT_NOUNS})\b)\w+\s+)?"
    rf"(?:papers|documents|articles|files|reports|essays|studies|books)\b"
    rf"|\bwhich\s+{_COUNT}\s+(?:of\s+the\s+)?(?:{_DOCUMENT_NOUNS})",
    re.IGNORECASE,
)
# The collection as the subject: "my papers", "these papers", "this folder", "do I have".
_THE_COLLECTION = re.compile(
    r"\b(?:in|of|among|from|across)\s+(?:my|these|those|the|this|all)\s+(?:\w+\s+)?"
    r"(?:papers|documents|articles|files|folder|collection|library|reports)\b"
    r"|\bdo i have\b|\bwhat(?:'s|\s+is)\s+in\s+(?:this|my|the)\s+(?:folder|collection|library)\b",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    r"\bhow\s+do(?:es)?\b.+\b(?:differ|compare)\b|\bcompared?\s+(?:with|to)\b|\bdifferences?\s+between\b"
    r"|^\s*(?:compare|contrast)\b|^\s*how\s+do\s+\S.*?\s+and\s+\S.*?\s+\w+",
    re.IGNORECASE,
)
_COMMON = re.compile(r"\bin\s+common\b|\bdo\b.+\bshare\b", re.IGNORECASE)
_CHRONOLOGY = re.compile(
    r"\b(?:came|come|published|written|appeared)\s+(?:out\s+)?first\b"
    r"|\b(?:older|oldest|newer|newest|most\s+recent|earliest|latest)\b",
    re.IGNORECASE,
)
_DOCUMENT_NOUN = re.compile(rf"\b(?:{_DOCUMENT_NOUNS})s?\b", re.IGNORECASE)
# "the Raft paper", "the MapReduce and Bigtable papers": what names a document
_NAMED_PAPER = re.compile(
    rf"(?:^|[,:;(]|\b(?:the|of|and|or|between|in)\s)\s*([\w'’/.+-]+(?:\s+[\w'’/.+-]+){{0,4}}?)\s+(?:{_DOCUMENT_NOUNS})s?\b",
    re.IGNORECASE,
)


def collection_kind(text: str, several_documents: bool) -> Collection:
    """What the question asks of the collection, from its wording. COMPARE, COMMON and
    CHRONOLOGY hold only once two documents of the collection are found named in it
    (routes.memo resolves them; a comparison inside one document stays a document
    question)."""
    if _CHRONOLOGY.search(text) and _DOCUMENT_NOUN.search(text):
        return Collection.CHRONOLOGY
    if _COMMON.search(text) and " and " in text:
        return Collection.COMMON
    if _COMPARE.search(text):
        return Collection.COMPARE
    if several_documents or _THE_COLLECTION.search(text):
        return Collection.DOCUMENTS
    return Collection.NONE


def named_documents(text: str, key: Sequence[str]) -> tuple[str, ...]:
    """What in the question may name a document: its names and numbers, and the words
    before "paper" ("the FLP impossibility paper", "the MapReduce and Bigtable papers")."""
    found = list(key)
    for match in _NAMED_PAPER.finditer(text):
        words = [w for w in re.split(r"\s+(?:and|or)\s+|,\s*", match.group(1)) if w]
        for phrase in words:
            phrase = re.sub(r"^(?:the|a|an|my|these|this)\s+", "", phrase.strip(), flags=re.IGNORECASE)
            if phrase and fold(phrase) not in STOPWORDS:
                found.append(phrase)
    return tuple(dict.fromkeys(found))


_PART_BREAK = re.compile(rf"(?:,\s*and|;|\?|\.)\s+(?={_INTERROGATIVE}\b)", re.IGNORECASE)


def parts(text: str) -> tuple[str, ...]:
    """The clauses of a question that asks several things ("Which algorithm is it, and what
    message does it send?"), each retrieved for on its own; () for a single question."""
    pieces = [p.strip(" ,;") for p in _PART_BREAK.split(text) if p.strip(" ,;?.")]
    return tuple(pieces) if len(pieces) > 1 else ()


def _lists(text: str) -> bool:
    if _LIST.search(text):
        return True
    plural = _WHICH_PLURAL.match(text)
    if plural is None:
        return False
    # a plural noun, not a verb in -s ("Which lies in...?": no auxiliary follows, as one does
    # after a plural subject: "Which differences ... does the note point out?") or a word
    # ending in -ss/-us/-is ("process", "status")
    noun = plural.group(1)
    rest = {fold(w) for w in WORD.findall(text[plural.end() :])}
    return not noun.endswith(("ss", "us", "is")) and fold(noun) not in AUXILIARIES and bool(rest & AUXILIARIES)


def shape_of(text: str) -> Shape:
    """The answer shape a question's wording asks for."""
    if _SUMMARY.search(text):
        return Shape.SUMMARY
    if _DOCUMENT.search(text) and not re.search(r"\bwhich of\b", text, re.IGNORECASE):
        return Shape.DOCUMENT
    if _EXPLAIN.search(text) or _COMPOUND.search(text):
        return Shape.EXPLAIN
    if _lists(text):
        return Shape.LIST
    if _YES_NO.search(text) and not _CHOICE.search(text):
        return Shape.YES_NO
    return Shape.FACT


# -- names and numbers ------------------------------------------------------------------------


def key_terms(text: str) -> list[str]:
    """The names and numbers a question depends on, each as the question writes it: a run of
    capitalised words (joined by "of", "de", hyphens...: "University of Leeds",
    "Saint-Clair-sur-Epte") is one name; an acronym or a word with a digit is a term of its
    own. A capitalised word that only opens the sentence is not a name."""
    starts = {a for a, _ in sentence_spans(text)}
    tokens = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(text)]
    terms: list[str] = []
    run: list[tuple[str, int, int]] = []

    def close() -> None:
        while run and fold(run[-1][0]) in CONNECTORS:
            run.pop()
        if run and not (len(run) == 1 and run[0][1] in starts and not _acronym(run[0][0])):
            terms.append(text[run[0][1] : run[-1][2]])
        run.clear()

    for i, (word, start, end) in enumerate(tokens):
        if any(ch.isdigit() for ch in word):
            close()
            terms.append(word)
            continue
        opener = start in starts and fold(word) in STOPWORDS | AUXILIARIES
        gap = text[run[-1][2] : start] if run else ""
        joined = bool(run) and gap in (" ", "-", "' ", "’ ")
        if (word[0].isupper() and not opener) or (run and gap == "-"):  # a hyphen keeps a name going
            if run and not joined:
                close()
            run.append((word, start, end))
        elif run and joined and fold(word) in CONNECTORS and _next_is_capital(tokens, i):
            run.append((word, start, end))
        else:
            close()
    close()
    return list(dict.fromkeys(terms))


def _acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _next_is_capital(tokens: list[tuple[str, int, int]], i: int) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1][0][:1].isupper()


# -- choices ------------------------------------------------------------------------------------

_OPTIONS = re.compile(
    r"(?:,|\bbetween|\bwhich of|\bwho of|\bwhom of|^\s*(?:is|are|was|were|did|does|do|has|have))\s+"
    r"(?P<a>[^,?]+?)\s+(?:or|and)\s+(?P<b>[^,?]+?)\s*(?:\?|,|$)",
    re.IGNORECASE,
)


def choices(text: str) -> tuple[str, ...]:
    """The options of a choice ("Which came first, A or B?", "Which of A and B...?"), or ()."""
    if not _CHOICE.search(text) and not re.search(r"\bbetween\b", text, re.IGNORECASE):
        return ()
    matches = list(_OPTIONS.finditer(text))
    if not matches:
        return ()
    found = matches[-1]  # the choice closes the question
    first, second = found.group("a"), found.group("b")
    # "Which of A and B has been in more bands?": the option ends where the verb starts
    words = second.split()
    cut = next((i for i, w in enumerate(words) if fold(w) in AUXILIARIES and i > 0), len(words))
    return tuple(o.strip(" \"'") for o in (first, " ".join(words[:cut])))


@dataclass(frozen=True)
class Question:
    text: str
    shape: Shape
    key_terms: tuple[str, ...]  # names and numbers it depends on, each one term
    words: frozenset[str]  # its words, canonical (folded, no possessive)
    stems: frozenset[str]  # stems of its content words
    choices: tuple[str, ...] = ()  # the options of "A or B?" questions
    parts: tuple[str, ...] = ()  # the clauses of a question that asks several things
    several_documents: bool = False  # "which papers...", "which two papers...": every one of them
    shape_forced: bool = False  # the user chose the shape (--shape)
    collection: Collection = Collection.NONE  # what it asks of the collection as a whole
    names: tuple[str, ...] = ()  # what may name a document of the collection

    @classmethod
    def read(cls, text: str, shape: Shape | None = None) -> Question:
        text = " ".join(text.split())
        several = bool(_SEVERAL_DOCUMENTS.search(text))
        terms = tuple(key_terms(text))
        return cls(
            text=text,
            shape=shape or shape_of(text),
            key_terms=terms,
            words=frozenset(canonical(w) for w in WORD.findall(text)),
            stems=frozenset(content_stems(text)),
            choices=choices(text),
            parts=parts(text),
            several_documents=several,
            shape_forced=shape is not None,
            collection=collection_kind(text, several),
            names=named_documents(text, terms),
        )

    @property
    def long_form(self) -> bool:
        """Answered in sentences, each with its citations."""
        return self.shape in (Shape.EXPLAIN, Shape.SUMMARY, Shape.LIST)
