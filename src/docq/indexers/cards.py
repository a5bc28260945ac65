"""A card per document: what a reader needs to place it in a collection, made at ingest
from the document's own structure, without a model (no ingest gets slower).

A paper prints on its first page what places it: its title, its authors and where they
work, an abstract, and often the venue and year (a copyright line, "To appear in OSDI
2004", in running headers the cleaning drops from the text, which the reader passes on as
`printed`). The card keeps those as printed: the lines between the title and the
abstract (authors, affiliations), the abstract (else the opening), the year of the line
that dates the document, and the names the document writes most (the systems and
methods it is about). The memo route reads the cards of a collection as its memory
(MemoRAG's global view; docs/design.md, "Collection questions").

Cards are data: stored as JSON in the catalog, read back with every field checked and
bounded.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from docq.text import STOPWORDS, WORD, fold
from docq.types import Page

ABSTRACT_WORDS = 40  # words of the abstract a card keeps
AUTHOR_WORDS = 24  # words of the author block
MAX_NAMES = 4
LINE_AUTHOR_WORDS = 16  # of them, in the memory's line
LINE_ABSTRACT_WORDS = 28
_MAX_FIELD = 2000  # characters of any text field read back

_YEAR = re.compile(r"(?<![\d/.-])(19[4-9]\d|20[0-4]\d)(?![\d/])")
# A line that dates a document: a copyright, a venue or a journal issue, a draft or report.
_DATING = re.compile(
    r"©|\(c\)|copyright|proceedings|conference|symposium|workshop|journal|transactions|communications|"
    r"\bvol\.?\b|volume|to appear|appears? in|published|draft|technical report|\btr[- ]|arxiv|"
    r"\b(?:osdi|sosp|nsdi|usenix|sigmod|vldb|podc|stoc|focs|sigcomm|eurosys|atc|acm|ieee)\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(r"\S+@\S+|https?://\S+|\{[^}]*\}\S*")  # e-mail and web addresses
_ABSTRACT = re.compile(r"^\s*(?:abstract|summary)\b[\s.:—-]*", re.IGNORECASE | re.MULTILINE)
_INTRODUCTION = re.compile(r"^\s*(?:\d+\.?|[IVX]+\.)?\s*introduction\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Card:
    title: str
    authors: str  # the lines between the title and the abstract, as printed
    year: int | None  # the year of the line that dates the document, as printed
    dated: str  # that line
    abstract: str  # the abstract's first words, else the opening's
    names: tuple[str, ...]  # the capitalised names the document writes most

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Card | None:
        """A stored card, or None when it is not one (checked field by field: data only)."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        year = data.get("year")
        names = data.get("names")
        strings = [data.get(k) for k in ("title", "authors", "dated", "abstract")]
        if not all(isinstance(s, str) for s in strings) or not isinstance(names, list):
            return None
        if year is not None and not (isinstance(year, int) and 1900 <= year <= 2100):
            return None
        title, authors, dated, abstract = (str(s)[:_MAX_FIELD] for s in strings)
        return cls(
            title=title,
            authors=authors,
            year=year,
            dated=dated,
            abstract=abstract,
            names=tuple(str(n)[:80] for n in names[:MAX_NAMES] if isinstance(n, str)),
        )


def make_card(title: str, pages: Sequence[Page], printed: Sequence[str] = ()) -> Card:
    """The card of a document from its title, its pages and the lines printed on every
    page (running headers and footers)."""
    first = pages[0].text if pages else ""
    body = _after_title(first, title)
    abstract_at = _ABSTRACT.search(body)
    intro_at = _INTRODUCTION.search(body)
    if abstract_at is not None and abstract_at.start() < 1500:
        authors = body[: abstract_at.start()]
        opening = body[abstract_at.end() :]
    else:
        # no abstract heading: the author block is the short lines before the first paragraph
        lines = body.split("\n")
        head: list[str] = []
        for line in lines:
            if (len(line.split()) > 12 and line.rstrip()[-1:] in ".,;") or len(head) >= 6:
                break
            head.append(line)
        authors = "\n".join(head)
        opening = body[len(authors) :]
    if intro_at is not None and abstract_at is not None and intro_at.start() > abstract_at.end():
        opening = body[abstract_at.end() : intro_at.start()]
    year, dated = _dating(list(printed) + first.split("\n"))
    return Card(
        title=" ".join(title.split()),
        authors=_words(_CONTACT.sub(" ", authors), AUTHOR_WORDS),
        year=year,
        dated=dated,
        abstract=_words(opening, ABSTRACT_WORDS),
        names=_names(pages, title),
    )


def _after_title(text: str, title: str) -> str:
    """The first page after its title (the title's last words, looked for near the top)."""
    words = WORD.findall(title)
    if not words:
        return text
    tail = r"\W+".join(re.escape(w) for w in words[-3:])
    found = re.search(tail, text[:1500], re.IGNORECASE)
    return text[found.end() :].lstrip(" *:.\n") if found else text


def _dating(lines: Sequence[str]) -> tuple[int | None, str]:
    """The year of the first line that dates the document (a venue, a copyright), else of
    the first line with a year on the first page; and that line."""
    with_year = [(line.strip(), _YEAR.findall(line)) for line in lines if _YEAR.search(line)]
    for line, years in with_year:
        if _DATING.search(line):
            return int(years[0]), " ".join(line.split())[:160]
    if with_year:
        line, years = with_year[0]
        return int(years[0]), " ".join(line.split())[:160]
    return None, ""


def _words(text: str, limit: int) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _names(pages: Sequence[Page], title: str) -> tuple[str, ...]:
    """Capitalised words and acronyms the document writes most (its systems, methods and
    places), besides its title's; sentence openers and stop words aside."""
    counts: Counter[str] = Counter()
    for page in pages[:40]:
        for match in re.finditer(r"(?<=[a-z,;:] )([A-Z][A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*)", page.text):
            word = match.group(1)
            if fold(word) not in STOPWORDS and len(word) > 2:
                counts[word] += 1
    in_title = {fold(w) for w in WORD.findall(title)}
    ranked = sorted((w for w in counts if fold(w) not in in_title and counts[w] >= 3), key=lambda w: -counts[w])
    return tuple(ranked[:MAX_NAMES])


def card_line(ident: str, card: Card, path: str) -> str:
    """One document's card as the model reads it (~75 tokens)."""
    year = f"{card.year} ({' '.join(card.dated.split()[:10])})" if card.year else "year not printed"
    authors = f" By: {_words(card.authors, LINE_AUTHOR_WORDS)}." if card.authors else ""
    return f"[{ident}] {card.title} — {Path(path).name}; {year}.{authors} About: {_words(card.abstract, LINE_ABSTRACT_WORDS)}"
