"""The one normalisation step, on the real artefacts of PDFium and pypdf."""

from __future__ import annotations

import pytest

from docq.indexers.cleaning import clean_pdf_text, drop_running_lines, normalize_text, text_quality


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # PDFium: CR LF line ends, U+FFFE where a word was hyphenated at a line break
        ("distributed\r\ncol\ufffelection of\r\nnet\ufffe\r\nwork", "distributed\ncollection of\nnetwork"),
        # TeX OT1 ligatures as PDFium passes them: ff, fi, ffi, and a lone CR for fl
        ("e\x0bectively simpli\x0ced, e\x0eciently, \x0cnal", "effectively simplified, efficiently, final"),
        ('unlike "\rat" documents', 'unlike "flat" documents'),
        # OT1 double quotes: `` at the backslash's code, '' at the straight quote's
        (
            'behavior of a \\random surfer". The \\gets bored" part',
            "behavior of a “random surfer”. The “gets bored” part",
        ),
        ('"C:\\Users\\me" and printf("\\n")', '"C:\\Users\\me" and printf("\\n")'),  # paths and escapes stay
        # the same control bytes from a symbol font with no Unicode map are dropped
        ("Tom Leighton \x01 \x04\r\nnext line", "Tom Leighton\nnext line"),
        ("\x1f\x1e\x1d\x1c\x1b title", "title"),
        # a soft hyphen, Unicode ligatures and compatibility forms
        ("inter\xadnational ﬁle ＡＢＣ", "international file ABC"),
        # pypdf: a hyphen at the end of a line joins the word
        ("exam-\nple text", "example text"),
    ],
)
def test_pdf_text_artefacts_are_cleaned(raw: str, clean: str) -> None:
    assert clean_pdf_text(raw) == clean


def test_plain_text_keeps_its_lines_and_folds_compatibility_forms() -> None:
    assert normalize_text("ﬁnal\r\nline\rend\x00") == "final\nline\nend"


def test_quality_separates_clean_text_from_glyph_soup() -> None:
    clean = "We compare PageRank to an idealized random Web surfer, in 1998."
    garbled = "The P ageRank Citation Ranking/: Jan uary /2/9/, /1/9/9/8 e/#0Bectiv ely"
    assert text_quality(clean) == 1.0
    assert text_quality(garbled) < 0.6
    assert text_quality("") == 0.0


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    words = "apples pears plums figs dates limes kiwis mangos".split()
    bodies = ["\n".join(f"Page {n} tells of {w}." for w in words[n:] + words[:n]) for n in range(5)]
    pages = [f"USENIX Association 2013 Annual Technical Conference {40 + n}\n{b}\n{n}" for n, b in enumerate(bodies)]
    assert drop_running_lines(pages) == bodies


def test_a_short_document_keeps_its_first_and_last_lines() -> None:
    pages = ["Title\nBody one.", "Title\nBody two."]  # too few pages to call anything running
    assert drop_running_lines(pages) == pages
