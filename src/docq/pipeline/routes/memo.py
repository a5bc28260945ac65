"""memo: questions about the collection as a whole, answered from a global memory of it
(after *MemoRAG*: a memory of the whole corpus guides what is read).

The memory is the collection's cards (indexers.cards: each document's title, authors,
year and abstract as printed), one line per document, the same for every question so its
KV state is computed once and reused (`Prompt.stable`). It picks what is read: the
documents a question names (compare, common ground, chronology) or, for "which of my
papers ...", every document whose best passage or card bears on it. The answer model reads
the memory and those passages and names every document that qualifies, each cited, or
says none does. Past `memo.memory_budget` tokens (a folder of hundreds of papers) only the
cards of the documents retrieval ranks highest are read.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docq.indexers.cards import Card, card_line
from docq.indexers.tokens import count_tokens
from docq.pipeline import prompts
from docq.pipeline.answering import (
    Abstention,
    AnswerDraft,
    abstain,
    abstention_model,
    best_sentence,
    citation_of,
    refuses,
    weigh_terms,
)
from docq.pipeline.compression import compress
from docq.pipeline.corpus import Corpus
from docq.pipeline.evidence import TextVocabulary
from docq.pipeline.grounding import ground
from docq.pipeline.question import Collection, Question
from docq.pipeline.routes import FullPlan, RouteContext, RouteResult, register
from docq.text import STOPWORDS, analyze, content_stems, fold, same_word
from docq.types import AnswerSentence, Chunk, Citation, FileRecord, Route, ScoredChunk

_ID = re.compile(r"\[\s*D\s*(\d+)\s*\]", re.IGNORECASE)
SEARCH_POOL = 60  # passages searched to rank documents for the question
DOCUMENTS_READ = 6  # documents whose best passage is read for "which of my papers"
PER_NAMED = 2  # passages read of each document a question names


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
    found: dict[str, Entry] = {}
    for name in question.names:
        for part in re.split(r"\s+(?:and|or)\s+|,\s*", name):
            entry = resolve(corpus, entries, part)
            if entry is not None:
                found.setdefault(entry.ident, entry)
    return list(found.values())


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


def _memory(entries: Sequence[Entry], ranked: Sequence[Entry], budget: int) -> list[Entry]:
    """The cards read: all of them when they fit `budget` tokens (the same memory for every
    question: its KV state is reused), else those of the best-ranked documents that fit,
    in collection order."""
    lines = {e.ident: card_line(e.ident, e.card, e.record.path) for e in entries}
    if sum(count_tokens(line) for line in lines.values()) <= budget:
        return list(entries)
    kept: list[Entry] = []
    used = 0
    for entry in [*ranked, *entries]:
        cost = count_tokens(lines[entry.ident])
        if entry in kept or used + cost > budget:
            continue
        kept.append(entry)
        used += cost
    return sorted(kept, key=lambda e: int(e.ident[1:]))


def _passages_for(
    ctx: RouteContext, question: Question, hits: Sequence[ScoredChunk], entries: Sequence[Entry]
) -> tuple[list[Entry], list[Chunk]]:
    """The documents ranked for the question and the passages read: for named documents
    their best passages; else the best passage of each of the top documents."""
    by_path = {e.record.path: e for e in entries}
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
        chosen = [(e, best[e.ident][:1]) for e in ranked[:DOCUMENTS_READ]]
    else:
        named = named_entries(ctx.corpus, entries, question)
        chosen = [(e, best.get(e.ident, [])[:PER_NAMED] or ctx.corpus.chunks_of(e.record)[:1]) for e in named]
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
    ranked, passages = _passages_for(ctx, question, hits, entries)
    abstention = abstention_model(ctx.settings.tuning)
    evidence = weigh_terms(corpus, question, passages)
    if abstention.settled_before_reading(evidence, frozenset({"corpus_names", "corpus_numbers"})):
        absent = [t for t in question.key_terms if corpus.coverage(t) < 1.0]
        return dataclasses.replace(
            abstain(Abstention.MISSING_TERMS, f"the documents never write {', '.join(repr(t) for t in absent[:3])}"),
            evidence=evidence,
        )
    memory = _memory(entries, ranked, ctx.settings.tuning.memo.memory_budget)
    by_path = {e.record.path: e for e in entries}
    labelled = [(by_path[p.source].ident, p) for p in passages]
    prompt = prompts.collection_prompt(question, [card_line(e.ident, e.card, e.record.path) for e in memory], labelled)
    generation = ctx.llm.complete(
        prompt,
        max_tokens=ctx.settings.max_answer_tokens or prompts.COLLECTION_TOKENS,
        on_text=ctx.on_text,
    )
    reply = generation.text.strip()
    read = tuple(f"{p.id}@{p.char_start}-{p.char_end}" for p in passages)
    if not reply or refuses(reply) or not _ID.search(reply):
        return dataclasses.replace(
            abstain(Abstention.MODEL, "the model found no document that answers", generation, evidence), read=read
        )
    shown = {e.ident: e for e in memory} | {by_path[p.source].ident: by_path[p.source] for p in passages}
    if question.collection is Collection.DOCUMENTS:
        draft = _documents_answer(corpus, question, reply, shown, passages, generation)
    else:
        draft = _sentences_answer(corpus, reply, shown, passages, generation, ctx.settings.tuning.answer.supported_from)
    return dataclasses.replace(draft, evidence=evidence, read=read)


def _evidence_of(corpus: Corpus, entry: Entry, passages: Sequence[Chunk]) -> list[Chunk]:
    """What shows a document: its passages read, else its opening (title, authors, abstract)."""
    own = [p for p in passages if p.source == entry.record.path]
    return own or corpus.chunks_of(entry.record)[:1]


def _cite(corpus: Corpus, entry: Entry, passages: Sequence[Chunk], said: str) -> Citation:
    chunks = _evidence_of(corpus, entry, passages)
    stems = content_stems(said)
    chunk = max(chunks, key=lambda c: len(stems & content_stems(c.text)))
    return citation_of(corpus, chunk, best_sentence(chunk, stems), 0)


def _writes_the_terms(corpus: Corpus, entry: Entry, question: Question) -> bool:
    """Does the document write one of the names the question asks about ("Java", "Xeon")?
    A document named for a name it never writes is not one that answers."""
    terms = [t for t in question.key_terms if t not in question.names or len(question.key_terms) == 1]
    asked = [t for t in terms if fold(t) not in {"i", "my", "which"}]
    if not asked:
        return True
    vocabulary = TextVocabulary.of(c.text for c in corpus.chunks_of(entry.record))
    return any(vocabulary.coverage(t) >= 1.0 for t in asked)


def _documents_answer(
    corpus: Corpus,
    question: Question,
    reply: str,
    shown: dict[str, Entry],
    passages: Sequence[Chunk],
    generation: object,
) -> AnswerDraft:
    """ "Which of my papers ...": every document the model named that the memory or the
    passages showed it and that writes what the question asks about, by title, each cited."""
    picked = [shown[f"D{n}"] for n in dict.fromkeys(_ID.findall(reply)) if f"D{n}" in shown]
    kept = [e for e in picked if _writes_the_terms(corpus, e, question)]
    if not kept:
        reason = "the documents the model named never write what the question asks about" if picked else ""
        return abstain(Abstention.UNSUPPORTED if picked else Abstention.MODEL, reason or "no document named")
    citations = tuple(_cite(corpus, e, passages, f"{question.text} {reply}") for e in kept)
    titles = [e.card.title or Path(e.record.path).stem for e in kept]
    return AnswerDraft(
        text="; ".join(f"{t} [{n}]" for n, t in enumerate(titles, start=1)),
        abstained=False,
        reason="",
        citations=citations,
        generation=generation,  # type: ignore[arg-type]
        sentences=tuple(AnswerSentence(t, (n,)) for n, t in enumerate(titles)),
    )


def _sentences_answer(
    corpus: Corpus,
    reply: str,
    shown: dict[str, Entry],
    passages: Sequence[Chunk],
    generation: object,
    supported_from: float,
) -> AnswerDraft:
    """Compare, common ground, chronology: the model's sentences that what they cite
    supports (the cited documents' cards and passages), each cited."""
    order = list(shown)
    texts = [
        f"{card_line(i, shown[i].card, shown[i].record.path)}\n"
        + "\n".join(c.text for c in _evidence_of(corpus, shown[i], passages))
        for i in order
    ]
    numbered = _ID.sub(lambda m: f"[{order.index('D' + m.group(1)) + 1}]" if "D" + m.group(1) in order else "", reply)
    claims = ground(numbered, texts, supported_from)
    kept = [c for c in claims if c.support >= supported_from and not refuses(c.text)]
    if not kept:
        return abstain(Abstention.UNSUPPORTED, "the documents support none of the model's sentences", generation)  # type: ignore[arg-type]
    cited: dict[int, int] = {}
    for claim in kept:
        for i in claim.cited:
            cited.setdefault(i, len(cited))
    citations = tuple(
        _cite(corpus, shown[order[i]], passages, " ".join(c.text for c in kept if i in c.cited)) for i in cited
    )
    sentences = tuple(AnswerSentence(c.text, tuple(cited[i] for i in c.cited)) for c in kept)
    text = " ".join(s.text + " " + "".join(f"[{n + 1}]" for n in s.citations) for s in sentences)
    return AnswerDraft(
        text=text,
        abstained=False,
        reason="",
        citations=citations,
        generation=generation,  # type: ignore[arg-type]
        sentences=sentences,
        dropped=len(claims) - len(kept),
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
