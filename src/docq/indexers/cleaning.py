"""One normalisation of extracted text before it is stored and chunked.

PDF extractors leave artefacts that break words for search and for the model: PDFium
ends lines in CR LF and marks a hyphen at a line break as U+FFFE ("col\\ufffelection");
fonts in TeX's OT1 encoding give their ligatures as control characters ("e\\x0bective"
for "effective", "\\x0cnal" for "final", a lone CR for "fl") and its double quotes as a
backslash and a straight quote; pypdf breaks words at line ends with a hyphen. Running
page headers and footers repeat on every page and would read as part of the text. Chunk
offsets are taken on the cleaned text, so they stay exact.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from docq.text import WORD

# TeX's OT1 encoding puts the ligatures at these codes; PDFium passes them through
# when the font has no Unicode map (the papers of the 1990s).
OT1_LIGATURES = {"\x0b": "ff", "\x0c": "fi", "\x0d": "fl", "\x0e": "ffi", "\x0f": "ffl"}
_LETTER = r"[^\W\d_]"
# A ligature code counts only next to a letter: elsewhere the same bytes are glyphs of a
# symbol font without a Unicode map, which are dropped below.
_LIGATURE = re.compile(rf"(?<={_LETTER})[\x0b-\x0f]|[\x0b-\x0f](?={_LETTER})")
# OT1 also puts the opening double quote (``) at the backslash's code and the closing one
# ('') at the straight quote's: PDFium gives `\\random surfer"` for “random surfer”. A
# backslash counts as a quote only where a word starts after a space or bracket and a
# straight quote closes it on the same line (a path or an escape in code does not).
_OT1_QUOTES = re.compile(rf'(?<![^\s(\[])\\(?={_LETTER})([^"\\\n]{{0,160}}?[^\s\\])"')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]+")
_LINE_END_HYPHEN = re.compile(r"(\w)-\n(\w)")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def normalize_text(text: str) -> str:
    """Unicode and line endings as every reader wants them: NFKC folds compatibility
    forms (the ligature ﬁ, full-width letters) into plain letters; CR LF becomes LF."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\x00", "")


def clean_pdf_text(text: str) -> str:
    """A page of extracted PDF text, artefacts of both extractors removed."""
    text = text.replace("\r\n", "\n")
    text = text.replace("\ufffe\n", "").replace("\ufffe", "")  # PDFium: a hyphen at a line break
    text = text.replace("\xad\n", "").replace("\xad", "")  # a soft hyphen, the same thing
    text = re.sub(rf"\r(?={_LETTER})", OT1_LIGATURES["\x0d"], text)  # fl: a CR that is not a line end
    text = _LIGATURE.sub(lambda m: OT1_LIGATURES[m.group(0)], text)
    text = _OT1_QUOTES.sub(r"“\1”", text)
    text = normalize_text(text)
    text = _CONTROL.sub("", text)
    text = _LINE_END_HYPHEN.sub(r"\1\2", text)  # pypdf: "exam-\nple"
    return _TRAILING_SPACE.sub("\n", text).strip()


_TOKEN_EDGE = "\"'()[]{}.,;:!?*“”‘’«»"
_NUMBER = re.compile(r"[+-]?\d+(?:[.,:/]\d+)*%?")


def text_quality(text: str) -> float:
    """Share of whitespace-separated tokens that read as words or numbers (0-1).

    Broken extraction shows up as tokens that are neither: glyph names with slashes
    ("/2/9/,"), words split into letters and fragments ("P ageRank"), control bytes."""
    tokens = text.split()
    if not tokens:
        return 0.0
    good = 0
    for token in tokens:
        core = token.strip(_TOKEN_EDGE)
        if _reads_as_word(core) or _NUMBER.fullmatch(core) or core in ("a", "A", "I"):
            good += 1
    return good / len(tokens)


def _reads_as_word(token: str) -> bool:
    """Letters (text.WORD, no digits), hyphen-joined parts allowed, two letters at least."""
    parts = token.split("-")
    return len(parts[0]) >= 2 and all(WORD.fullmatch(p) and not any(c.isdigit() for c in p) for p in parts)


_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a running header or footer
_ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(rf"(?:page\s+)?[-–—]?\s*(?:\d{{1,4}}|{_ROMAN})\s*[-–—]?(?:\s+of\s+\d{{1,4}})?", re.I)


def _line_key(line: str) -> str:
    """A line as it repeats from page to page: page numbers vary, the rest does not."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _edges(content: list[int]) -> set[int]:
    """Positions of the lines at the top and bottom of a page; a short page has fewer."""
    n = max(1, min(_EDGE_LINES, len(content) // 3))
    return {*content[:n], *content[-n:]}


def drop_running_lines(pages: Sequence[str]) -> list[str]:
    """Pages without their running headers and footers (a line among the first or last
    few of at least half the pages, page numbers aside) and bare page numbers."""
    split = [page.split("\n") for page in pages]
    seen: Counter[str] = Counter()
    for lines in split:
        content = [i for i, line in enumerate(lines) if line.strip()]
        seen.update({_line_key(lines[i]) for i in _edges(content)})
    with_text = sum(1 for lines in split if any(line.strip() for line in lines))
    running = {key for key, n in seen.items() if with_text >= 3 and n >= max(3, with_text / 2)}
    cleaned = []
    for lines in split:
        edge = _edges([i for i, line in enumerate(lines) if line.strip()])
        kept = [
            line
            for i, line in enumerate(lines)
            if i not in edge or (_line_key(line) not in running and not _PAGE_NUMBER.fullmatch(line.strip()))
        ]
        cleaned.append("\n".join(kept).strip())
    return cleaned
