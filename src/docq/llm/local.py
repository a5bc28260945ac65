"""The in-process backend: llama.cpp through llama-cpp-python.

Rope settings are left to the GGUF (passing rope_freq_base=10000 is the trap that turns
Qwen's 32K context into gibberish). The chat template comes from the GGUF too. A stable
prompt prefix (system prompt + documents) can be saved as a KV state and loaded by the
next process, so its prefill is paid once (see store.kvcache).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from docq import interrupts
from docq.errors import ModelError
from docq.llm.backend import Generation, Message, Prompt, TokenSink, defuse_control_tokens
from docq.llm.device import KVPlan
from docq.llm.passages import PassageStates, two_sequences
from docq.llm.states import Shape, sequence_file_ok

if TYPE_CHECKING:
    from llama_cpp import Llama

    from docq.llm.kvcache import KVCache

T = TypeVar("T")
PASSAGE_MEMORY = 512 * 2**20  # passage states kept in memory (chat, eval); the disk cache holds more

# For GGUFs without a template: ChatML, which most instruct models accept.
_CHATML = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class LocalLLM:
    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int,
        n_threads: int,
        n_batch: int,
        n_gpu_layers: int,
        kv: KVPlan,
        kv_cache: KVCache | None = None,
        identity: str = "",
        kv_reuse: str = "off",
        recompute: int = 0,
    ) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.path = model_path
        self.name = model_path.name
        self.kv = kv
        self.kv_cache = kv_cache
        self.recompute = recompute  # a reused passage's first tokens computed again in context (EPIC)

        def load(context: int) -> Llama:
            return load_quietly(
                model_path,
                lambda: Llama(
                    model_path=str(model_path),
                    n_ctx=context,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    n_batch=n_batch,
                    n_gpu_layers=n_gpu_layers,
                    flash_attn=kv.flash_attn,
                    type_k=kv.ggml_type,
                    type_v=kv.ggml_type,
                    verbose=False,
                ),
            )

        interrupts.install()
        # llama.cpp logs through a Python callback while loading; passage reuse needs a
        # second sequence in the context (llm.passages).
        with interrupts.native(), two_sequences() if kv_reuse == "passages" else contextlib.nullcontext():
            self.model: Llama = load(n_ctx)
            trained = int(self.model._model.n_ctx_train())
            if 0 < trained < n_ctx:
                # Past its trained length a model degrades: never ask for more than it learned.
                self.model.close()
                self.model = load(trained)
        self._abort = _abort_on_interrupt(self.model)
        import llama_cpp

        # What a saved state must agree with before llama.cpp is let near it (llm.states).
        self.shape = Shape(n_layer=int(llama_cpp.llama_model_n_layer(self.model.model)), n_ctx=self.n_ctx)
        self._states_supported = True  # until a state this process saved fails the check
        self._first_token_at: float | None = None
        # What a saved KV state depends on besides the tokens themselves.
        self.identity = f"{identity or model_path.name}|ctx={self.n_ctx}|kv={kv.kv_type}|fa={kv.flash_attn}"
        self._passages = (
            PassageStates(self.model, kv_cache, self.identity, PASSAGE_MEMORY, self.shape)
            if kv_reuse == "passages"
            else None
        )
        template = self.model.metadata.get("tokenizer.chat_template") or _CHATML
        vocab = self.model._model
        self._eos = vocab.token_get_text(self.model.token_eos()) if self.model.token_eos() >= 0 else ""
        bos = vocab.token_get_text(self.model.token_bos()) if self.model.token_bos() >= 0 else ""
        self._formatter = Jinja2ChatFormatter(template=template, eos_token=self._eos, bos_token=bos)

    @property
    def n_ctx(self) -> int:
        return int(self.model.n_ctx())

    def render(self, messages: Sequence[Message]) -> Rendered:
        """The prompt text the model sees, chat template applied, ready for the answer, with
        where each message's content lies in it (content is data: see `tokenize`)."""
        marks = [f"\ue000{i}\ue001" for i in range(len(messages))]
        chat: list[Any] = [{"role": m.role, "content": mark} for m, mark in zip(messages, marks)]
        template = self._formatter(messages=chat).prompt
        pieces: list[str] = []
        spans: list[tuple[int, int]] = []
        at = length = 0
        for message, mark in zip(messages, marks):
            found = template.find(mark, at)
            if found < 0 or template.count(mark) != 1:  # a template that rewrites content
                return _rendered_without_spans(self._formatter, messages)
            pieces.append(template[at:found])
            length += found - at
            spans.append((length, length + len(message.content)))
            pieces.append(message.content)
            length += len(message.content)
            at = found + len(mark)
        pieces.append(template[at:])
        return Rendered("".join(pieces), tuple(spans))

    def tokenize(self, rendered: Rendered | str, start: int = 0, end: int | None = None) -> list[int]:
        """Tokens of `rendered[start:end]`: the chat template's own text may hold control
        tokens (<|im_start|>...), message content never does. A document, question, title or
        file name that writes "<|im_end|><|im_start|>system" is read as those characters,
        not as a turn of the conversation (llama.cpp's `special=False`)."""
        if isinstance(rendered, str):  # text alone is content
            return self.model.tokenize(rendered[start:end].encode("utf-8"), add_bos=False, special=False)
        end = len(rendered.text) if end is None else end
        tokens: list[int] = []
        at = start
        for a, b in (*rendered.spans, (end, end)):
            a, b = max(a, start), min(b, end)
            if a < at or a > end:
                continue
            if a > at:  # template text before this content
                tokens += self.model.tokenize(rendered.text[at:a].encode("utf-8"), add_bos=False, special=True)
            if b > a:
                tokens += self.model.tokenize(rendered.text[a:b].encode("utf-8"), add_bos=False, special=False)
            at = max(at, b)
        return tokens

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(
        self,
        prompt: Prompt | Sequence[Message],
        *,
        max_tokens: int,
        grammar: str | None = None,
        stop: Sequence[str] = (),
        on_text: TokenSink | None = None,
    ) -> Generation:
        request = Prompt.of(prompt)
        text = self.render(request.messages)
        prefix = stable_prefix(text, request)
        # Tokenized piece by piece, so a prefix's or a passage's tokens are the same whatever
        # surrounds them (that is what lets their KV states be reused).
        pieces_of_prompt = self._pieces(text, request, prefix)
        tokens = [t for piece, _ in pieces_of_prompt for t in piece]
        if len(tokens) + 1 >= self.n_ctx:
            raise ModelError(
                f"prompt of {len(tokens):,} tokens does not fit the {self.n_ctx:,}-token context; "
                "lower --max-context-tokens or raise --n-ctx"
            )
        started = time.perf_counter()
        pieces: list[str] = []
        reuse = True
        while True:
            try:
                cached = self._generate(
                    tokens,
                    pieces_of_prompt if prefix is not None else None,
                    reuse,
                    pieces,
                    max_tokens,
                    grammar,
                    stop,
                    on_text,
                )
                break
            except KeyboardInterrupt:
                self._forget_context()  # an aborted decode leaves the context half-written
                raise
            except RuntimeError as exc:  # llama_decode failed
                self._forget_context()
                if not reuse or pieces:
                    raise ModelError(f"{self.path.name}: llama.cpp failed to answer ({exc})") from None
                # A saved state that passed its checks and still broke the context: never trusted
                # again, and the question is read from scratch.
                self._drop_states(pieces_of_prompt if prefix is not None else None)
                reuse = False
        first = self._first_token_at or time.perf_counter()
        done = time.perf_counter()
        generated = max(0, int(self.model.n_tokens) - len(tokens))
        return Generation(
            text="".join(pieces),
            prompt_tokens=len(tokens),
            generated_tokens=generated,
            cached_tokens=cached,
            prefill_ms=(first - started) * 1000,
            generate_ms=(done - first) * 1000,
        )

    def _generate(
        self,
        tokens: list[int],
        pieces_of_prompt: list[tuple[list[int], bool]] | None,
        reuse: bool,
        pieces: list[str],
        max_tokens: int,
        grammar: str | None,
        stop: Sequence[str],
        on_text: TokenSink | None,
    ) -> int:
        """Prefill (from saved states where `reuse`) and stream the answer into `pieces`;
        returns the prompt tokens whose state was reused."""
        from llama_cpp import LlamaGrammar

        self._first_token_at = None
        with interrupts.native():
            cached = self._shared_prefix(tokens)  # already in this process's context
            if reuse and pieces_of_prompt is not None:
                if self.kv_cache is not None:
                    cached = max(cached, self._restore_or_save_prefix(pieces_of_prompt[0][0]))
                if self._passages is not None and len(pieces_of_prompt) > 2:
                    cached = self._place_passages(pieces_of_prompt)
            stream = self.model.create_completion(
                prompt=tokens,
                max_tokens=max(1, min(max_tokens, self.n_ctx - len(tokens) - 1)),
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                stop=[s for s in (*stop, self._eos) if s],
                stream=True,
                grammar=LlamaGrammar.from_string(grammar, verbose=False) if grammar else None,
            )
            for part in stream:
                piece = part["choices"][0]["text"]  # type: ignore[index]
                if self._first_token_at is None:
                    self._first_token_at = time.perf_counter()
                if piece:
                    pieces.append(piece)
                    if on_text is not None:
                        on_text(piece)
        return cached

    def _drop_states(self, pieces_of_prompt: list[tuple[list[int], bool]] | None) -> None:
        """Forget the saved states this prompt would load (prefix and passages)."""
        if pieces_of_prompt is None:
            return
        prefix = pieces_of_prompt[0][0]
        if self.kv_cache is not None:
            path = self.kv_cache.lookup(self.identity, prefix)
            if path is not None:
                self.kv_cache.discard(path)
        if self._passages is not None:
            for passage, reusable in pieces_of_prompt[1:]:
                if reusable:
                    self._passages.forget(prefix, passage)

    def judge(self, prompt: Prompt | Sequence[Message], options: Sequence[str]) -> tuple[dict[str, float], Generation]:
        """The model's own probabilities for the first token of each option (in lower and
        capital case), read from its logits after the prompt, normalised over the options."""
        import llama_cpp
        import numpy as np

        generation = self.complete(prompt, max_tokens=1)  # the prompt read; logits of its last token kept
        row = llama_cpp.llama_get_logits_ith(self.model.ctx, -1)
        logits = np.ctypeslib.as_array(row, shape=(self.model.n_vocab(),)).astype(np.float64)
        scores = {}
        for option in options:
            ids = {self.tokenize(form)[0] for form in (option, option.capitalize()) if self.tokenize(form)}
            scores[option] = float(np.logaddexp.reduce([logits[i] for i in ids]))
        top = max(scores.values())
        weights = {o: math.exp(s - top) for o, s in scores.items()}
        total = sum(weights.values())
        return {o: w / total for o, w in weights.items()}, generation

    # -- KV reuse ----------------------------------------------------------------------

    def _pieces(self, text: Rendered, request: Prompt, prefix: int | None) -> list[tuple[list[int], bool]]:
        """The prompt's tokens in pieces: (tokens, from the passage cache?). The first piece
        is the stable prefix (the rendered text up to character `prefix`) when there is one."""
        if prefix is None:
            return [(self.tokenize(text), False)]
        cuts: list[tuple[int, int]] = []
        if self._passages is not None and request.reusable and text.spans:
            start = text.spans[-1][0]
            cuts = [(start + a, start + b) for a, b in request.reusable if start + a >= prefix]
        pieces = [(self.tokenize(text, 0, prefix), False)]
        at = prefix
        for a, b in cuts:
            if a > at:
                pieces.append((self.tokenize(text, at, a), False))
            pieces.append((self.tokenize(text, a, b), True))
            at = b
        pieces.append((self.tokenize(text, at), False))
        return [(tokens, reusable) for tokens, reusable in pieces if tokens]

    def prepare(self, prompt: Prompt) -> int:
        """Compute and keep the states of the prompt's reusable passages that are not kept
        yet, without answering (`docq cache warm`); returns how many were computed."""
        if self._passages is None:
            return 0
        text = self.render(prompt.messages)
        prefix = stable_prefix(text, prompt)
        if prefix is None:
            return 0
        pieces = self._pieces(text, prompt, prefix)
        with interrupts.native():
            if self.kv_cache is not None:
                self._restore_or_save_prefix(pieces[0][0])
            if self._shared_prefix([*pieces[0][0], -1]) < len(pieces[0][0]):
                self.model.reset()
                self.model.eval(pieces[0][0])
            computed = 0
            for tokens, reusable in pieces[1:]:
                if reusable and self._passages.lookup(pieces[0][0], tokens) is None:
                    self._passages.compute(pieces[0][0], tokens)
                    computed += 1
        return computed

    def _place_passages(self, pieces: list[tuple[list[int], bool]]) -> int:
        """Fill the context up to the last passage: the prefix (already there), the pieces
        between passages decoded, each passage's state loaded (computed after the prefix
        on a miss). Returns the prompt tokens that came from saved states."""
        import llama_cpp

        assert self._passages is not None
        prefix = pieces[0][0]
        if self._shared_prefix([*prefix, -1]) < len(prefix):  # no saved prefix to load: compute it
            self.model.reset()
            self.model.eval(prefix)
        self.model.n_tokens = len(prefix)
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(self.model.ctx), -1, len(prefix), -1)
        reused = len(prefix)
        last = max(i for i, (_, reusable) in enumerate(pieces) if reusable)
        for tokens, reusable in pieces[1 : last + 1]:
            if not reusable:
                self.model.eval(tokens)
                continue
            at = self.model.n_tokens
            blob = self._passages.lookup(prefix, tokens)
            if blob is not None:
                if self._passages.place(blob, len(prefix), tokens, at):
                    reused += len(tokens) - self._passages.refresh(at, tokens, self.recompute)
                    continue
                self._passages.forget(prefix, tokens)  # damaged or stale: never trusted, recomputed
            blob = self._passages.compute(prefix, tokens)
            if self._passages.place(blob, len(prefix), tokens, at):
                self._passages.refresh(at, tokens, self.recompute)
            else:
                self.model.eval(tokens)  # never expected; reading it as usual is always right
        return reused

    def _shared_prefix(self, tokens: Sequence[int]) -> int:
        """Tokens at the start of `tokens` whose KV state is already in the context."""
        held = self.model.input_ids[: self.model.n_tokens]
        shared = 0
        for a, b in zip(held, tokens[:-1]):
            if a != b:
                break
            shared += 1
        return shared

    def _restore_or_save_prefix(self, prefix: list[int]) -> int:
        """Put the prefix's KV state in the context: already there, loaded from the cache
        (returns the tokens reused), or computed now and saved for next time (returns 0)."""
        assert self.kv_cache is not None
        if self._shared_prefix([*prefix, -1]) == len(prefix):
            return len(prefix)
        path = self.kv_cache.lookup(self.identity, prefix)
        if path is not None:
            if self._load_sequence(path, prefix):
                return len(prefix)
            self.kv_cache.discard(path)  # stale or damaged: never trusted, rebuilt below
        self.model.reset()
        self.model.eval(prefix)
        if self._states_supported:
            saved = self.kv_cache.store(self.identity, prefix, self._save_sequence)
            if saved is not None and not sequence_file_ok(saved, prefix, self.shape):
                # this model's memory is laid out otherwise: its states cannot be checked, so none is kept
                self.kv_cache.discard(saved)
                self._states_supported = False
        return 0

    def _save_sequence(self, path: Path) -> None:
        import llama_cpp

        n = self.model.n_tokens
        tokens = (llama_cpp.llama_token * n)(*self.model.input_ids[:n])
        written = llama_cpp.llama_state_seq_save_file(self.model.ctx, str(path).encode(), 0, tokens, n)
        if written == 0:
            raise OSError(f"llama.cpp could not write {path}")

    def _load_sequence(self, path: Path, expected: Sequence[int]) -> bool:
        """Load a saved prefix; False (and a clean context) unless it holds exactly `expected`
        (checked before llama.cpp reads it: llm.states)."""
        import llama_cpp

        if not sequence_file_ok(path, expected, self.shape):
            return False
        self.model.reset()
        memory = llama_cpp.llama_get_memory(self.model.ctx)
        llama_cpp.llama_memory_clear(memory, True)
        capacity = len(expected) + 1
        tokens = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        read = llama_cpp.llama_state_seq_load_file(
            self.model.ctx, str(path).encode(), 0, tokens, capacity, ctypes.byref(count)
        )
        if read == 0 or count.value != len(expected) or list(tokens[: count.value]) != list(expected):
            llama_cpp.llama_memory_clear(memory, True)
            return False
        self.model.input_ids[: count.value] = tokens[: count.value]
        self.model.n_tokens = count.value
        return True

    def _forget_context(self) -> None:
        import llama_cpp

        self.model.reset()
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.model.ctx), True)

    def close(self) -> None:
        self.model.close()


@dataclass(frozen=True)
class Rendered:
    """A prompt as the chat template writes it, and the character spans of the messages'
    contents in it (empty when the template rewrote them: see `_rendered_without_spans`)."""

    text: str
    spans: tuple[tuple[int, int], ...]


def _rendered_without_spans(formatter: Any, messages: Sequence[Message]) -> Rendered:
    """A template that transforms content (trims, escapes) hides where content lies: render
    it with every control-token look-alike in the contents defused, and tokenize it whole."""
    chat = [{"role": m.role, "content": defuse_control_tokens(m.content)} for m in messages]
    text = formatter(messages=chat).prompt
    return Rendered(text, ())


def stable_prefix(rendered: Rendered, prompt: Prompt) -> int | None:
    """Where the prompt's stable part ends in the rendered text: `stable` characters into
    the last message's content."""
    if prompt.stable <= 0 or not prompt.messages or len(rendered.spans) != len(prompt.messages):
        return None
    return rendered.spans[-1][0] + prompt.stable


def load_quietly(path: Path, make: Callable[[], T]) -> T:
    """`make()` a llama.cpp model, or raise ModelError in one line. A file llama.cpp cannot
    load leaves a half-made object whose destructor fails noisily ("Exception ignored
    in..."): it is collected here, with such reports silenced, before the error is raised."""
    quiet, sys.unraisablehook = sys.unraisablehook, lambda _unraisable: None
    try:
        return make()
    except ValueError as exc:  # llama-cpp-python reports every load failure as ValueError
        reason = " ".join(str(exc).split())
    finally:
        gc.collect()
        sys.unraisablehook = quiet
    raise ModelError(f"{path}: llama.cpp could not load it ({reason}); is it a whole GGUF file?")


def _abort_on_interrupt(model: Llama) -> object:
    """Make llama.cpp poll for Ctrl-C between graph nodes, so a prefill stops within
    milliseconds (the cost: ~1,000 Python calls per decode, unmeasurable on 2 cores).
    Returns the callback, which must stay referenced while the model lives."""
    import llama_cpp

    callback = llama_cpp.ggml_abort_callback(lambda _data: interrupts.requested())
    llama_cpp.llama_set_abort_callback(model.ctx, callback, None)
    return callback
