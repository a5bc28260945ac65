"""Generation overhead: docq's backend vs raw llama-cpp-python on the same prompt and
settings (the limit), and the KV-cache types side by side (speed and KV memory).

    python bench/generation.py [--prompt-tokens 1500] [--gen-tokens 64]
"""

from __future__ import annotations

import argparse
import time

from _common import EVAL, machine, scratch_settings, table
from docq.llm.backend import Message
from docq.llm.device import GGML_TYPES, plan_kv
from docq.llm.loading import silence_llama_logs
from docq.llm.local import LocalLLM
from docq.models.files import resolve_answer_model

KV_BYTES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}  # bytes per element (ggml block sizes)


def prompt_text(tokens_wanted: int) -> str:
    text = (EVAL / "haystack" / "worked.txt").read_text()
    return " ".join(text.split()[: int(tokens_wanted * 0.75)])


def raw_llama(path, prompt_tokens, gen_tokens, n_ctx, threads, kv_type, flash):  # type: ignore[no-untyped-def]
    from llama_cpp import Llama

    silence_llama_logs()
    model = Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=512,
        type_k=GGML_TYPES[kv_type],
        type_v=GGML_TYPES[kv_type],
        flash_attn=flash,
        verbose=False,
    )
    # Measured as docq measures itself: prefill ends when the first token arrives,
    # decode rate over the tokens after it.
    started = time.perf_counter()
    first = started
    produced = 0
    for _ in model.generate(prompt_tokens, temp=0.0, top_k=1):
        produced += 1
        if produced == 1:
            first = time.perf_counter()
        if produced >= gen_tokens:
            break
    done = time.perf_counter()
    model.close()
    return first - started, done - first, produced - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt-tokens", type=int, default=1500)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    args = parser.parse_args()
    settings = scratch_settings(model=args.model, n_ctx=4096)
    path = resolve_answer_model(args.model, settings.models_dir)
    rows = []
    for kv_type in ("f16", "q8_0", "q4_0"):
        kv = plan_kv(settings.__class__(**{**settings.__dict__, "kv_type": kv_type}))
        llm = LocalLLM(path, n_ctx=4096, n_threads=settings.threads, n_batch=512, n_gpu_layers=0, kv=kv)
        messages = [Message("user", prompt_text(args.prompt_tokens) + "\n\nContinue the essay.")]
        tokens = llm.tokenize(llm.render(messages))
        # docq: a streamed completion; the first token's arrival ends the prefill
        out = llm.complete(messages, max_tokens=args.gen_tokens)
        layers = int(llm.model.metadata.get(f"{llm.model.metadata['general.architecture']}.block_count", 0))
        kv_heads = int(
            llm.model.metadata.get(f"{llm.model.metadata['general.architecture']}.attention.head_count_kv", 0)
        )
        heads = int(llm.model.metadata.get(f"{llm.model.metadata['general.architecture']}.attention.head_count", 1))
        width = int(llm.model.metadata.get(f"{llm.model.metadata['general.architecture']}.embedding_length", 0))
        llm.close()
        prefill, decode, produced = raw_llama(
            path, tokens, args.gen_tokens, 4096, settings.threads, kv_type, kv.flash_attn
        )
        kv_mb = 2 * layers * kv_heads * (width // heads) * 4096 * KV_BYTES[kv_type] / 2**20
        docq_prefill = out.prompt_tokens / (out.prefill_ms / 1000)
        docq_decode = max(out.generated_tokens - 1, 1) / max(out.generate_ms / 1000, 1e-6)
        rows.append(
            [
                kv_type,
                f"{kv.flash_attn}",
                f"{docq_prefill:.0f}",
                f"{len(tokens) / prefill:.0f}",
                f"{docq_prefill / (len(tokens) / prefill):.2f}",
                f"{docq_decode:.1f}",
                f"{max(produced, 1) / decode:.1f}",
                f"{docq_decode / (max(produced, 1) / decode):.2f}",
                f"{kv_mb:.0f}",
            ]
        )
    print(
        f"machine: {machine()}; model {args.model}; prompt {len(tokens)} tokens, {args.gen_tokens} generated; n_ctx 4096"
    )
    print(
        table(
            [
                "KV",
                "flash",
                "docq prefill t/s",
                "raw prefill t/s",
                "ratio",
                "docq decode t/s",
                "raw decode t/s",
                "ratio",
                "KV MB @4096",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
