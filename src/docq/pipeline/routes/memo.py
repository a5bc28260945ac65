"""memo: questions about the collection as a whole, answered from a global memory of it
(after *MemoRAG*: a memory of the whole corpus guides what is read).

The memory is the collection's cards (indexers.cards: each document's title, authors,
year and abstract as printed, made at ingest). It decides what is read and how:

- "which of my papers ...": the documents retrieval ranks highest are each judged on their
  own, from the card and the document's best passages, yes or no; the answer names every
  document judged yes by its title, each cited, or says none qualifies. "What is in this
  folder?" lists every card.
- compare, common ground, chronology: the documents the question names (resolved against
  the cards: titles, file names, authors, abstracts) are read through their cards (which
  carry the printed date and authors) and their best passages, and answered in a few
  cited sentences.

Judging one document at a time is what a small model does well; asked to list every
qualifying id from all the cards and passages at once (~4,000 tokens), the 1.5B named one
or two of the two to four (docs/design.md, "Collection questions"). The cost does not grow
with the collection: six documents are judged whatever its size.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docq.indexers.cards import Card, card_line
from docq.llm.backend import Generation
from docq.pipeline import prompts
from docq.pipeline.answering import (
    Abstention,
    AnswerDraft,
    abstain,
    abstention_model,
    best_sentence,
    citation_of,
    missing_terms,
    weigh_terms,
)
from docq.pipeline.compression import compress
from docq.pipeline.corpus import Corpus
from docq.pipeline.evidence import phrase_key
from docq.pipeline.question import Collection, Question, Shape
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult, register
from docq.text import STOPWORDS, WORD, analyze, canonical, content_stems, fold, same_word
from docq.types import AnswerSentence, Chunk, Citation, FileRecord, Route, ScoredChunk

SEARCH_POOL = 60  # passages searched to rank documents for the question (10 per document judged)


@dataclass(frozen=True)
class Entry:
    """A document in the memory: its id (D1...), record and card."""

    ident: str
    record: FileRecord
    card: Card


def resolve(corpus: Corpus, entries: Sequence[Entry], name: str) -> Entry | None:
    """The document a name in the question stands for ("Raft", "the FLP impossibility
    paper"), when one stands out: its words in the title or file name weigh most, then in
    the authors, the abstract and the names the document writes most, plus how many of the
    name's best BM25 passages the document holds. None when two documents tie."""
    words = [w for w in analyze(name) if w not in STOPWORDS]
    if not words:
        return None
    votes: dict[str, float] = {}
    hits = corpus.search(name, 10, dense=False)
    for hit in hits:
        votes[hit.chunk.source] = votes.get(hit.chunk.source, 0.0) + 1.0 / len(hits)

    def share(text: str) -> float:
        known = set(analyze(text))
        return sum(any(same_word(w, k) for k in known if k[:3] == w[:3]) for w in words) / len(words)

    scored = []
    for entry in entries:
        card = entry.card
        heading = f"{card.title} {Path(entry.record.path).stem.replace('-', ' ')}"
        score = 3 * share(heading) + 2 * share(card.authors) + share(f"{card.abstract} {' '.join(card.names)}")
        scored.append((score + votes.get(entry.record.path, 0.0), entry))
    scored.sort(key=lambda s: -s[0])
    if not scored or scored[0][0] < 1.0 or (len(scored) > 1 and scored[0][0] < 1.5 * scored[1][0]):
        return None
    return scored[0][1]


def named_entries(corpus: Corpus, entries: Sequence[Entry], question: Question) -> list[Entry]:
    """The distinct documents the question names, in the order it names them."""
    return _distinct(_resolved(corpus, entries, question))


def _distinct(resolved: Sequence[tuple[str, Entry]]) -> list[Entry]:
    return list(dict.fromkeys(entry for _, entry in resolved))


def _resolved(corpus: Corpus, entries: Sequence[Entry], question: Question) -> list[tuple[str, Entry]]:
    """(name, document) for each name in the question that stands for one document: its
    names, the words before "paper", and runs of its words that some document's title or
    file name writes ("in chain replication" names the chain replication paper)."""
    titles = " ".join(phrase_key(f"{e.card.title} {Path(e.record.path).stem.replace('-', ' ')}") for e in entries)
    words = WORD.findall(question.text)
    runs = [
        " ".join(words[i : i + n])
        for n in (3, 2)  # one common word ("order", "replication") would name a document by chance
        for i in range(len(words) - n + 1)
        if canonical(words[i]) not in STOPWORDS
        and canonical(words[i + n - 1]) not in STOPWORDS
        and phrase_key(" ".join(words[i : i + n])) in titles
    ]
    found = []
    for name in (*question.names, *runs):
        for part in re.split(r"\s+(?:and|or)\s+|,\s*", name):
            entry = resolve(corpus, entries, part)
            if entry is not None:
                found.append((part, entry))
    return found


def entries_of(corpus: Corpus) -> list[Entry]:
    return [Entry(f"D{i}", record, card) for i, (record, card) in enumerate(corpus.cards(), start=1)]


def asks_collection(corpus: Corpus, question: Question) -> bool:
    """Is this a question about the collection (the router's signal)? "Which of my papers"
    always; compare, common ground and chronology once two documents are found named."""
    if question.collection is Collection.DOCUMENTS:
        return len(corpus.files()) > 1
    if question.collection is Collection.NONE:
        return False
    return len(named_entries(corpus, entries_of(corpus), question)) >= 2


def _passages_for(
    ctx: RouteContext,
    question: Question,
    hits: Sequence[ScoredChunk],
    entries: Sequence[Entry],
    named: Sequence[Entry],
) -> tuple[list[Entry], list[Chunk]]:
    """The documents ranked for the question and the passages read: for the documents it
    names (`named`) their best passages; else the best passage of each of the top documents."""
    memo = ctx.settings.tuning.memo
    by_path = {e.record.path: e for e in entries}
    if question.collection is Collection.DOCUMENTS:
        # "Which of the systems in my papers ..." searched as what it asks ("systems ...
        # Java"): the collection's framing matches every paper alike. BM25 ranks the
        # documents: a rare word the question turns on (Java, Xeon, MySQL) decides it
        # (design.md, "Collection questions": 26 of 29 qualifying documents in the top 6 on
        # the tune half, 20 with the whole question fused).
        subject = " ".join(w for w in WORD.findall(question.text) if canonical(w) not in _COLLECTION_WORDS)
        pool = ctx.corpus.search(subject or question.text, SEARCH_POOL, dense=False)
        seen = {h.chunk.id for h in pool}
        pool += [h for h in ctx.corpus.search(subject or question.text, SEARCH_POOL) if h.chunk.id not in seen]
    else:
        pool = ctx.corpus.search(question.text, SEARCH_POOL) if len(hits) < SEARCH_POOL else list(hits)
    ranked: list[Entry] = []
    best: dict[str, list[Chunk]] = {}
    for hit in pool:
        entry = by_path.get(hit.chunk.source)
        if entry is None:
            continue
        if entry not in ranked:
            ranked.append(entry)
        best.setdefault(entry.ident, []).append(hit.chunk)
    if question.collection is Collection.DOCUMENTS:
        chosen = [(e, best[e.ident][: memo.passages_per_document]) for e in ranked[: memo.documents_judged]]
    else:
        chosen = [
            (e, best.get(e.ident, [])[: memo.passages_per_document] or ctx.corpus.chunks_of(e.record)[:1])
            for e in named
        ]
        ranked = [*named, *[e for e in ranked if e not in named]]
    cut = ctx.settings.compress
    neighbours = ctx.settings.tuning.retrieval.neighbours
    passages = [p for _, chunks in chosen for c in chunks for p in (compress(c, question, neighbours) if cut else [c])]
    return ranked, passages


def answer_collection(ctx: RouteContext, question: Question, hits: Sequence[ScoredChunk]) -> AnswerDraft:
    corpus = ctx.corpus
    entries = entries_of(corpus)
    if not entries:
        return abstain(Abstention.NO_PASSAGES, "the index holds no documents")
    if question.collection is Collection.DOCUMENTS and not _asks_about_anything(question):
        return _everything(corpus, entries)  # "What is in this folder?"
    resolved = _resolved(corpus, entries, question)
    named = _distinct(resolved)  # resolved once: the names also leave the missing-term check
    ranked, passages = _passages_for(ctx, question, hits, entries, named)
    abstention = abstention_model(ctx.settings.tuning)
    # A name the question uses for a document is no term the documents must write, only
    # what it asks about is: "FLP" in "the FLP impossibility paper", which that paper never writes.
    naming = {w for name, _ in resolved for w in WORD.findall(fold(name))}
    asked = dataclasses.replace(
        question, key_terms=tuple(t for t in question.key_terms if not set(WORD.findall(fold(t))) <= naming)
    )
    evidence = weigh_terms(corpus, asked, passages)
    if abstention.settled_before_reading(evidence, frozenset({"corpus_names", "corpus_numbers"})):
        return missing_terms(corpus, asked, evidence)
    if question.collection is Collection.DOCUMENTS:
        draft = _judge_each(ctx, asked, ranked[: ctx.settings.tuning.memo.documents_judged], passages)
    else:
        draft = _from_named(ctx, asked, ranked, passages)
    return dataclasses.replace(draft, evidence=evidence)


_COLLECTION_WORDS = frozenset(
    "paper papers document documents article articles file files folder collection library report reports "
    "my these this those have any which what about there ones one in of do i are is".split()
)


def _asks_about_anything(question: Question) -> bool:
    """Does a "which of my papers" question name a subject, or ask for the whole folder?"""
    return bool({canonical(w) for w in question.words} - _COLLECTION_WORDS - STOPWORDS)


def _everything(corpus: Corpus, entries: Sequence[Entry]) -> AnswerDraft:
    """What is in the folder: every document by title, each cited at its opening."""
    citations = tuple(
        citation_of(corpus, corpus.chunks_of(e.record)[0], 0, 0) for e in entries if corpus.chunks_of(e.record)
    )
    titles = [e.card.title or Path(e.record.path).stem for e in entries]
    return AnswerDraft(
        text="; ".join(f"{t} [{n}]" for n, t in enumerate(titles, start=1)),
        abstained=False,
        reason="",
        citations=citations,
        generation=None,
        sentences=tuple(AnswerSentence(t, (n,)) for n, t in enumerate(titles)),
    )


def _judge_each(
    ctx: RouteContext, question: Question, candidates: Sequence[Entry], passages: Sequence[Chunk]
) -> AnswerDraft:
    """ "Which of my papers ...": each candidate document judged on its own, from its card
    and its best passage, yes or no (a small model lists one or two of several documents
    when asked for all at once; asked of one document at a time it judges each). The
    documents judged yes, by title, each cited."""
    kept: list[Entry] = []
    generations: list[Generation] = []
    threshold = ctx.settings.tuning.memo.judge_threshold
    judged = []
    for entry in candidates:
        own = [p for p in passages if p.source == entry.record.path]
        prompt = prompts.judge_document_prompt(question, card_line("1", entry.card, entry.record.path), own)
        chances, generation = ctx.llm.judge(prompt, ("yes", "no"))
        generations.append(generation)
        judged.append(f"{Path(entry.record.path).name}={chances['yes']:.2f}")
        if chances["yes"] >= threshold:
            kept.append(entry)
    spent = _total(generations)
    reason = f"p(yes): {', '.join(judged)}"
    if not kept:
        return abstain(Abstention.MODEL, f"none of the {len(candidates)} documents read qualifies ({reason})", spent)
    citations = tuple(_cite(ctx.corpus, e, passages, question.text) for e in kept)
    titles = [_shown_title(e) for e in kept]
    return AnswerDraft(
        text="; ".join(f"{t} [{n}]" for n, t in enumerate(titles, start=1)),
        abstained=False,
        reason=reason,
        citations=citations,
        generation=spent,
        sentences=tuple(AnswerSentence(t, (n,)) for n, t in enumerate(titles)),
        read=tuple(f"{p.id}@{p.char_start}-{p.char_end}" for p in passages),
    )


def _cite(corpus: Corpus, entry: Entry, passages: Sequence[Chunk], said: str) -> Citation:
    """Where a document shows it qualifies: its passage read that best matches what was
    said, else its opening."""
    chunks = [p for p in passages if p.source == entry.record.path] or corpus.chunks_of(entry.record)[:1]
    stems = content_stems(said)
    chunk = max(chunks, key=lambda c: len(stems & content_stems(c.text)))
    return citation_of(corpus, chunk, best_sentence(chunk, stems), 0)


def _shown_title(entry: Entry) -> str:
    """The document's title, with the name it goes by when the title does not say it
    ("In Search of an Understandable Consensus Algorithm (Raft)"): its most written name,
    when the abstract writes it at least twice and it is a word, not an acronym (the most
    written names of other papers were "API", "LRU", "NFS": what they use, not what they
    are called)."""
    card = entry.card
    title = card.title or Path(entry.record.path).stem
    name = card.names[0] if card.names else ""
    named = name and not name.isupper() and len(re.findall(rf"\b{re.escape(name)}\b", card.abstract)) >= 2
    return f"{title} ({name})" if named and fold(name) not in fold(title) else title


def _total(generations: Sequence[Generation]) -> Generation:
    """Several model calls counted as one (tokens and time add up)."""
    return Generation(
        text=" ".join(g.text.strip() for g in generations),
        prompt_tokens=sum(g.prompt_tokens for g in generations),
        generated_tokens=sum(g.generated_tokens for g in generations),
        cached_tokens=sum(g.cached_tokens for g in generations),
        prefill_ms=sum(g.prefill_ms for g in generations),
        generate_ms=sum(g.generate_ms for g in generations),
    )


def _from_named(
    ctx: RouteContext, question: Question, ranked: Sequence[Entry], passages: Sequence[Chunk]
) -> AnswerDraft:
    """Compare, common ground, chronology: a few cited sentences over the named documents'
    best passages and their cards (title, authors, the line that dates them, as printed)."""
    named = {p.source for p in passages}
    cards = [_card_passage(e) for e in ranked if e.record.path in named]
    # A comparison or a chronology restates what it compares ("older", "differ"): the
    # question's words count as supported, the facts must still come from the documents.
    return ctx.answer(dataclasses.replace(question, shape=Shape.EXPLAIN), [*cards, *passages], question_given=True)


def _card_passage(entry: Entry) -> Chunk:
    """A document's card as a passage the answer step can read and cite (at its opening)."""
    card = entry.card
    parts = [card.title, f"By: {card.authors}" if card.authors else "", f"Dated: {card.dated}" if card.dated else ""]
    text = ". ".join(p for p in parts if p)
    return Chunk(
        id=f"card:{entry.record.id}",
        source=entry.record.path,
        ordinal=-1,
        text=text,
        tokens=len(text.split()),
        char_start=0,
        char_end=0,
        page_start=1 if entry.record.kind.value == "pdf" else None,
        page_end=None,
        title=card.title,
    )


@register(Route.MEMO)
def run_memo(
    ctx: RouteContext, question: Question, hits: list[ScoredChunk], plan: FullPlan | None = None
) -> RouteResult:
    started = time.perf_counter()
    if question.collection is Collection.NONE:  # forced onto a question about one document
        question = dataclasses.replace(question, collection=Collection.DOCUMENTS)
    draft = answer_collection(ctx, question, hits)
    generation = draft.generation
    spent = (generation.prefill_ms + generation.generate_ms) if generation is not None else 0.0
    read = tuple(dict.fromkeys(c.title or Path(c.source).stem for c in draft.citations))
    return RouteResult(draft=draft, retrieve_ms=(time.perf_counter() - started) * 1000 - spent, clues=read)
