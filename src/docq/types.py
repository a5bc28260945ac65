"""Plain data that crosses module boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class DocKind(str, Enum):
    PDF = "pdf"
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    DOCX = "docx"


@dataclass(frozen=True)
class Page:
    """Text of one page (PDF) or of the whole file (text, markdown: page None)."""

    number: int | None
    text: str
    extractor: str = ""  # what produced the text: "pdfium" or "pypdf" for PDF pages, "" for text


@dataclass(frozen=True)
class DocumentText:
    """What a reader gets out of a file."""

    pages: list[Page]
    title: str
    printed: tuple[str, ...] = ()  # lines on every page, dropped from the text (running headers: venue, year)

    @property
    def empty_pages(self) -> int:
        """Pages with no text layer (scans)."""
        return sum(1 for p in self.pages if not p.text.strip())


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str  # absolute path of the file
    ordinal: int  # position within the file
    text: str
    tokens: int
    char_start: int  # offsets into the file's concatenated page text
    char_end: int
    page_start: int | None
    page_end: int | None
    section: str = ""  # markdown heading path, "" elsewhere
    title: str = ""  # the file's title

    def indexed_text(self) -> str:
        """What retrieval sees: the heading path gives a passage its context."""
        return f"{self.section}\n{self.text}" if self.section else self.text


@dataclass(frozen=True)
class FileRecord:
    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str
    kind: DocKind
    pages: int
    tokens: int
    status: str
    chunking: str  # the chunk settings it was split with; others mean "split again"
    title: str = ""
    reader: str = ""  # what extracted its text (readers.READERS); another means "read again"


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float  # higher is better; scale depends on who scored it
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank


class Route(str, Enum):
    RAG = "rag"
    MEMO = "memo"
    FULL = "full"


@dataclass(frozen=True)
class Citation:
    source: str
    page: int | None
    chunk_id: str
    text: str
    title: str = ""  # the document's title


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence (or list item) of a long answer and the citations that support it."""

    text: str
    citations: tuple[int, ...]  # indexes into Answer.citations


@dataclass(frozen=True)
class Timings:
    retrieve: float = 0.0
    prefill: float = 0.0
    generate: float = 0.0
    total: float = 0.0


@dataclass(frozen=True)
class TokenCounts:
    prompt: int = 0
    generated: int = 0
    cached: int = 0


@dataclass(frozen=True)
class Answer:
    text: str
    abstained: bool
    route: Route
    route_reason: str
    citations: tuple[Citation, ...]
    timings_ms: Timings
    tokens: TokenCounts
    model: str
    shape: str = "fact"  # the answer's shape: fact, explain, summary, document, yesno, list
    sentences: tuple[AnswerSentence, ...] = ()  # long answers: each sentence with its citations
    clues: tuple[str, ...] = ()
    evidence: dict[str, float] = field(default_factory=dict)  # what the abstention decision weighed (Evidence)
    reply: str = ""  # the model's own reply, before docq judged it
    read: tuple[str, ...] = ()  # the passages the model read, "chunk id@start-end" (a compressed passage is a span)
