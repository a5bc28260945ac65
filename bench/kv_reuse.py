"""KV-cache reuse: time to first token for a first and a repeat question on the same
document, at several document sizes, each question in a fresh process-like model load.

    python bench/kv_reuse.py [--sizes 2000 8000 16000]

The document is haystack text (../shared/eval/haystack) cut to the size in model tokens.
The first question prefills the document and saves its KV state; the repeat question
(a new model instance, as a new `docq ask` would be) loads it and prefills only itself.
"""

from __future__ import annotations

import argparse
import shutil

from _common import EVAL, machine, scratch_settings, table
from docq.llm.loading import open_llm
from docq.pipeline import prompts
from docq.pipeline.question import Question
from docq.types import Chunk


def document(llm, tokens: int) -> Chunk:  # type: ignore[no-untyped-def]
    text = "\n\n".join(p.read_text() for p in sorted((EVAL / "haystack").glob("*.txt")))
    ids = llm.tokenize(text)[:tokens]
    body = llm.model.detokenize(ids).decode("utf-8", errors="ignore")
    return Chunk("doc", "/bench/haystack.txt", -1, body, tokens, 0, len(body), None, None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000, 16000])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    settings = scratch_settings(model=args.model, n_ctx=max(args.sizes) + 2048)
    rows = []
    for size in args.sizes:
        timings = []
        for question in ("What did the author learn from startups?", "Which essay mentions Lisp?"):
            llm = open_llm(settings)  # a new instance each time: what a new process sees
            doc = document(llm, size)
            prompt = prompts.answer_prompt(Question.read(question), [doc], keep_documents=True)
            out = llm.complete(prompt, max_tokens=8)
            timings.append(out)
            llm.close()
        first, repeat = timings
        rows.append(
            [
                f"{size:,}",
                f"{first.prefill_ms / 1000:.2f}",
                f"{repeat.prefill_ms / 1000:.2f}",
                f"{repeat.cached_tokens:,}",
                f"{first.prefill_ms / max(repeat.prefill_ms, 1e-3):.1f}x",
            ]
        )
    print(f"machine: {machine()}; model {args.model}")
    print(table(["doc tokens", "TTFT first (s)", "TTFT repeat (s)", "tokens reused", "speed-up"], rows))
    shutil.rmtree(settings.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
