"""Text as docq reads it: words, sentences, folding, stems and stop words, defined once.

Chunking, BM25, compression, grounding, the question and the answer step all use these,
so a sentence or a word is the same thing everywhere. The sentence splitter knows that a
full stop after an initial ("J. W. Smith"), an abbreviation ("et al.", "Fig. 3", "e.g.",
"U.S.") or inside a number ("3.5") does not end a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# A word: letters and digits, with inner apostrophes ("don't", "O'Brien", "Normandy's").
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Function words carry no topic; dropping them keeps BM25 from rewarding "the" and "of".
STOPWORDS = frozenset(
    """a an and are as at be but by did do does for from had has have how i if in into is it its
    of on or that the their them then there these they this to was were what when where which
    who whom whose why will with would you your""".split()
)
# Small words inside names: "University of Leeds", "Leonardo da Vinci", "Saint-Clair-sur-Epte".
CONNECTORS = frozenset("of de la le du der von van da di del y sur the and".split())
AUXILIARIES = frozenset(
    "is are was were be been being am has have had do does did can could will would shall should may might must".split()
)


def fold(text: str) -> str:
    """Lower-case without accents, so "Jumièges" matches "jumieges"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def squash(text: str) -> str:
    """Folded, every run of whitespace one space, hyphens at line breaks joined: a PDF line
    break or a hyphenated break inside a phrase does not make it a different phrase."""
    return " ".join(fold(text).replace("-\n", "").split())


def words(text: str) -> list[str]:
    return WORD.findall(text)


def canonical(word: str) -> str:
    """Folded, without a possessive ending: "Normandy's" and "normandy" are one word."""
    word = fold(word)
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def analyze(text: str) -> list[str]:
    """BM25's terms: canonical words without stop words ("Jumièges" and "jumieges" match)."""
    found = (canonical(w) for w in WORD.findall(text))
    return [w for w in found if w not in STOPWORDS]


def stem(word: str) -> str:
    """A crude English stem, enough to match "partitions" with "partition" and "replicated"
    with "replicate"; folded to lower case without accents."""
    word = canonical(word)
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


# Adjectives and demonyms formed from a name: Italy/Italian, China/Chinese, Europe/European.
_DERIVED = ("ian", "ean", "an", "ese", "ish", "ic", "i", "n")


def same_word(a: str, b: str) -> bool:
    """Two canonical words that are one word in another form: the same stem (plural,
    -ed, -ing), a regular British/American spelling, or a name and its adjective
    ("italy"/"italian", "germany"/"german"); not merely alike ("country"/"county")."""
    if a == b or stem(a) == stem(b) or b in spelling_variants(a):
        return True
    short, long = sorted((a, b), key=len)
    base = short[:-1] if short[-1:] in ("a", "e", "y", "o") else short
    if len(base) < 4 or not long.startswith(base) or any(ch.isdigit() for ch in long):
        return False
    rest = long[len(base) :]
    return rest in _DERIVED or rest == "y"


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry content (three letters or more, not stop words)."""
    return {stem(w) for w in WORD.findall(text) if len(w) > 2 and fold(w) not in STOPWORDS}


# -- sentences ---------------------------------------------------------------------------

# Where a sentence may end: terminal punctuation, closing quotes or brackets, then space.
_CANDIDATE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_WORD_BEFORE = re.compile(r"([^\s(\[\"'“]*)$")
_DOTTED = re.compile(r"^[^\W\d_]{1,3}(?:\.[^\W\d_]{1,3})+\.?$")  # U.S., e.g., i.e., Ph.D.
# Words a full stop follows without ending the sentence: citations, figures, titles.
ABBREVIATIONS = frozenset(
    """al fig figs eq eqs sec secs tab tabs no nos vol vols pp p ch chap dr mr mrs ms prof st jr sr
    vs cf approx ca resp ed eds inc ltd co corp dept est viz op jan feb mar apr jun jul aug sep sept
    oct nov dec mt ft""".split()
)


_NEXT = re.compile(r"\s*(\S)")


def _ends_sentence(text: str, mark_start: int, mark_end: int, limit: int) -> bool:
    """Does the punctuation at text[mark_start:mark_end] end a sentence of text[:limit]?"""
    following = _NEXT.match(text, mark_end, limit)
    if following is None:
        return True
    if following.group(1).islower():
        return False  # "et al. used", "e.g. the", "etc. and"
    if text[mark_start] != ".":
        return True
    before = _WORD_BEFORE.search(text, max(0, mark_start - 40), mark_start)
    word = before.group(1) if before else ""
    bare = word.rstrip(".")
    if not bare:
        return True
    if len(bare) == 1 and bare.isalpha() and bare.isupper():
        return False  # an initial: "J. W. Smith"
    if fold(bare) in ABBREVIATIONS:
        return False  # "Fig. 3", "Dr. Smith", "et al. (2019)"
    return not _DOTTED.match(word)  # "U.S. Army", "Ph.D. Thesis"


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end], without outer whitespace; a blank
    line always ends one. Offsets index `text`, so a span is an exact substring."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text, start, end):
        cursor = block_start
        for match in _CANDIDATE.finditer(text, block_start, block_end):
            if _ends_sentence(text, match.start(), match.end(), block_end):
                spans.append((cursor, match.end()))
                cursor = match.end()
        spans.append((cursor, block_end))
    return [span for span in (_strip(text, a, b) for a, b in spans) if span[0] < span[1]]


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = start
    for match in _PARAGRAPH.finditer(text, start, end):
        yield cursor, match.start()
        cursor = match.end()
    yield cursor, end


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def sentence_at(text: str, offset: int) -> tuple[int, int]:
    """The span of the sentence holding `offset` (the nearest one before it otherwise)."""
    spans = sentence_spans(text)
    return next(((a, b) for a, b in spans if offset < b), spans[-1] if spans else (0, len(text)))


# -- spelling ------------------------------------------------------------------------------

# Regular British and American spellings of one word: (British, American, the endings
# that may follow, what must come before). behaviour/behavior, organise/organize,
# analyse/analyze, centre/center, modelling/modeling (after -e- or -a-: not
# filling/filing), catalogue/catalog, defence/defense.
_ANY = r"\w\w"
_VARIANTS = (
    ("our", "or", "s|ed|ing|al|ally|ite|ites|able|ful|", _ANY),
    ("is", "iz", "e|es|ed|ing|ation|ations|er|ers", _ANY),
    ("ys", "yz", "e|es|ed|ing|er|ers", _ANY),
    ("tre", "ter", "s|", _ANY),
    ("ll", "l", "ed|ing|er|ers", r"[a-z]{3}[ae]"),
    ("ogue", "og", "s|", _ANY),
    ("ence", "ense", "s|", _ANY),
)
_SPELLINGS = tuple(
    (re.compile(rf"(?<={before}){old}(?=(?:{ending})$)"), new)
    for british, american, ending, before in _VARIANTS
    for old, new in ((british, american), (american, british))
)


def spelling_variants(word: str) -> list[str]:
    """The word's other regular spellings (British <-> American); [] for short words."""
    if len(word) < 5:
        return []
    variants = (pattern.sub(replacement, word, count=1) for pattern, replacement in _SPELLINGS)
    return list(dict.fromkeys(v for v in variants if v != word))
