"""Each rule of the answer step measured by taking it out, on replies the model already gave.

`docq eval --json` rows carry the model's own reply and the passages it read. The answer
step after the model (clean the reply, find it in the passages, widen it, judge it) needs
no model, so this script replays it on those rows once as docq does it and once per rule
switched off, and prints, per set and half, how many short answers each rule changes and
the score with and without it. Rows the model itself refused, long answers and "which
paper" answers are scored as recorded (no rule here touches them).

    python bench/answer_rules.py /tmp/evals/*-tune.json /tmp/evals/*-test.json

Run the eval with `--set answer.abstain_threshold=1.01` to replay every reply; the replay
then judges with this checkout's abstention decision (tuning.answer), or never abstains
with --never-abstain (which must reproduce the recorded rows: the script says how many).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from docq.config import load_settings
from docq.evaluation.metrics import bootstrap_interval, is_right, score_question, wilson_interval
from docq.evaluation.runner import load_set, scratch_settings
from docq.indexers import bm25
from docq.library.index import DocumentIndex
from docq.llm.backend import Generation
from docq.pipeline import answering, evidence
from docq.pipeline.answering import Abstention, abstain, abstention_model, refuses
from docq.pipeline.evidence import Evidence
from docq.pipeline.question import Question, Shape
from docq.tuning import Tuning
from docq.types import Chunk

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def _old_repeats(answer: str, question: str, choices: object) -> bool:
    """The rule before: every word of the answer is a word of the question."""
    words = {evidence.canonical(w) for w in evidence.WORD.findall(answer)} - evidence._FUNCTION_WORDS
    asked = {evidence.canonical(w) for w in evidence.WORD.findall(question)}
    return bool(words) and words <= asked


def _patched(module: object, name: str, value: object) -> Callable[[], contextlib.AbstractContextManager[None]]:
    @contextlib.contextmanager
    def patch() -> Iterator[None]:
        saved = getattr(module, name)
        setattr(module, name, value)
        try:
            yield
        finally:
            setattr(module, name, saved)

    return patch


def _with_flags(function: Callable[..., object], **flags: object) -> Callable[..., object]:
    return lambda *args, **kwargs: function(*args, **{**kwargs, **flags})


# Each rule, and how to take it out. "exact words" also recomputes the evidence of the
# question's terms (the corpus and passages matched word for word, no other forms).
RULES: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    "names widened (grow_span)": _patched(answering, "grow_span", _with_flags(evidence.grow_span, names=False)),
    "units kept (grow_span)": _patched(answering, "grow_span", _with_flags(evidence.grow_span, units=False)),
    "a cut needs a clause (extract_phrase)": _patched(
        answering, "extract_phrase", _with_flags(evidence.extract_phrase, clause=False)
    ),
    "repeats = phrase in question": _patched(answering, "repeats_question", _old_repeats),
    "option kept as named": _patched(answering, "_chosen_option", lambda reply, options: None),
    "word forms (same_word)": lambda: _both(
        _patched(evidence, "same_word", _exact)(), _patched(bm25, "same_word", _exact)()
    ),
}


def _exact(a: str, b: str) -> bool:
    return a == b


@contextlib.contextmanager
def _both(*managers: contextlib.AbstractContextManager[None]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for manager in managers:
            stack.enter_context(manager)
        yield


def _passages(read: list[str], chunks: dict[str, Chunk]) -> list[Chunk] | None:
    out = []
    for entry in read:
        chunk_id, _, span = entry.rpartition("@")
        chunk = chunks.get(chunk_id)
        if chunk is None:
            return None  # a whole document read by the full route, not a chunk
        start, end = (int(x) for x in span.split("-"))
        a, b = start - chunk.char_start, end - chunk.char_start
        out.append(dataclasses.replace(chunk, text=chunk.text[a:b], char_start=start, char_end=end))
    return out


def _replayable(row: dict) -> bool:
    if not row.get("reply") or not row.get("read") or refuses(row["reply"].strip()):
        return False
    question = Question.read(row["question"], Shape(row["shape"]))
    return question.shape is not Shape.DOCUMENT and not question.long_form


def replay(row: dict, index: DocumentIndex, chunks: dict[str, Chunk], tuning: Tuning, recompute: bool) -> tuple:
    """(text, abstained, cited files) of the answer step on the row's reply."""
    question = Question.read(row["question"], Shape(row["shape"]))
    passages = _passages(row["read"], chunks)
    if passages is None:
        return None
    signals = row["signals"]
    if recompute:
        found = answering.weigh_terms(index, question, passages)
    else:
        found = Evidence(**{k: signals[k] for k in ("corpus_names", "corpus_numbers", "passage_names")})
    model = abstention_model(tuning)
    if model.settled_before_reading(found, frozenset({"corpus_names", "corpus_numbers", "passage_names"})):
        draft = abstain(Abstention.MISSING_TERMS, "")
    else:
        generation = Generation(row["reply"], 0, 0, 0, 0.0, 0.0)
        draft = answering._short_answer(index, question, row["reply"].strip(), passages, generation, found, model)
    return draft.text, draft.abstained, {Path(c.source).name for c in draft.citations}


def score(row: dict, item: object, outcome: tuple | None) -> tuple[float, float, float]:
    """(F1, right, grounded) of an outcome; the recorded figures when there is none."""
    if outcome is None:
        grounded = row["grounded"] if row.get("grounded") is not None else row["right"]
        return row["f1"], float(row["right"]), float(grounded)
    text, abstained, cited = outcome
    f1 = score_question(text, abstained, item.answers, item.answerable).f1
    right = is_right(text, abstained, item.answers, item.all_of, item.answerable)
    required = item.sources or (item.source,)
    grounded = right and (not item.answerable or all(s in cited for s in required))
    return f1, float(right), float(grounded)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--never-abstain", action="store_true", help="judge with abstain_threshold 1.01")
    args = parser.parse_args()
    tuning = Tuning()
    if args.never_abstain:
        tuning = dataclasses.replace(tuning, answer=dataclasses.replace(tuning.answer, abstain_threshold=1.01))
    settings = load_settings({})
    for path in args.runs:
        report = json.loads(Path(path).read_text())
        set_dir = EVAL / report["set_name"]
        items = {item.id: item for item in load_set(set_dir)}
        scratch = scratch_settings(set_dir, settings)
        with DocumentIndex(scratch) as index:
            chunks = {c.id: c for record in index.files() for c in index.chunks_of(record)}
            rows = report["rows"]
            base = []
            for row in rows:
                outcome = replay(row, index, chunks, tuning, False) if _replayable(row) else None
                base.append(outcome)
            replayed = sum(o is not None for o in base)
            same = sum(o is not None and o[0] == r["prediction"] and o[1] == r["abstained"] for o, r in zip(base, rows))
            print(f"\n{report['set_name']} {report['split']} n={len(rows)}: {replayed} replayed, {same} as recorded")
            now = [score(r, items[r["id"]], o) for r, o in zip(rows, base)]
            _line("as docq does it", now, now)
            _abstentions([o[1] if o is not None else r["abstained"] for r, o in zip(rows, base)], rows, now)
            for name, take_out in RULES.items():
                recompute = name.startswith("word forms")
                reference = now
                if recompute:  # both sides with the terms' evidence recomputed
                    reference = [
                        score(r, items[r["id"]], replay(r, index, chunks, tuning, True) if _replayable(r) else None)
                        for r in rows
                    ]
                with take_out():
                    outcomes = [replay(r, index, chunks, tuning, recompute) if _replayable(r) else None for r in rows]
                without = [score(r, items[r["id"]], o) for r, o in zip(rows, outcomes)]
                _line(f"without: {name}", without, reference)


def _abstentions(abstained: list[bool], rows: list[dict], scores: list[tuple[float, float, float]]) -> None:
    """Abstention precision and recall, answerable questions refused, and intervals."""
    unanswerable = [not r["answerable"] for r in rows]
    hits = sum(a and u for a, u in zip(abstained, unanswerable))
    refused = sum(a and not u for a, u in zip(abstained, unanswerable))
    low, high = bootstrap_interval([s[0] for s in scores])
    grounded = sum(s[2] for s in scores)
    g_low, g_high = wilson_interval(grounded, len(scores))
    print(
        f"  {'':42} F1 95% {low:.2f}-{high:.2f}; grounded/right {grounded:.0f}/{len(scores)} "
        f"({g_low:.2f}-{g_high:.2f}); abstention P {hits}/{sum(abstained)} R {hits}/{sum(unanswerable)}; "
        f"answerable refused {refused}/{unanswerable.count(False)}"
    )


def _line(label: str, scores: list[tuple[float, float, float]], now: list[tuple[float, float, float]]) -> None:
    n = len(scores)
    f1 = sum(s[0] for s in scores) / n
    grounded = sum(s[2] for s in scores)
    changed = sum(a != b for a, b in zip(scores, now))
    delta = [b[0] - a[0] for a, b in zip(scores, now)]  # what the rule adds
    low, high = bootstrap_interval(delta)
    print(
        f"  {label:<42} F1 {f1:.3f}  grounded/right {grounded:.0f}/{n}  rows changed {changed:>3}  "
        f"rule adds F1 {sum(delta) / n:+.3f} ({low:+.3f}..{high:+.3f})"
    )


if __name__ == "__main__":
    main()
