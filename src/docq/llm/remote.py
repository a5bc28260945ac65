"""A llama.cpp server over its OpenAI-compatible API (`llama-server` or `python -m llama_cpp.server`).

Chat completions stream over server-sent events; a GBNF grammar travels in the
`grammar` field both servers accept. Token counts come from the server's tokenizer
endpoint (`/tokenize` on llama-server, `/extras/tokenize` on llama_cpp.server).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence

import httpx

from docq.errors import DocqError
from docq.llm.backend import Generation, Message, Prompt, TokenSink, defuse_control_tokens


class RemoteLLM:
    def __init__(self, url: str, fallback_ctx: int, timeout: float = 600.0) -> None:
        self.base = url.rstrip("/").removesuffix("/v1")
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0))
        try:
            models = self._client.get(f"{self.base}/v1/models")
            models.raise_for_status()
            data = models.json().get("data") or [{}]
        except (httpx.HTTPError, ValueError) as exc:
            raise DocqError(f"cannot reach the LLM server at {url} ({type(exc).__name__}); is it running?") from None
        self.name = str(data[0].get("id", "remote"))
        self._n_ctx = self._server_context() or fallback_ctx
        self._tokenize_path: str | None = None

    def _server_context(self) -> int | None:
        try:
            props = self._client.get(f"{self.base}/props")
            if props.status_code == 200:
                return int(props.json()["default_generation_settings"]["n_ctx"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
        return None

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        attempts = [self._tokenize_path] if self._tokenize_path else ["/tokenize", "/extras/tokenize"]
        for path in attempts:
            assert path is not None
            body = {"content": text} if path == "/tokenize" else {"input": text}
            try:
                response = self._client.post(f"{self.base}{path}", json=body)
            except httpx.HTTPError as exc:
                raise DocqError(f"LLM server at {self.base} failed to tokenize ({type(exc).__name__})") from None
            if response.status_code == 200:
                self._tokenize_path = path
                return len(response.json()["tokens"])
        raise DocqError(f"LLM server at {self.base} offers no tokenizer endpoint (/tokenize or /extras/tokenize)")

    def complete(
        self,
        prompt: Prompt | Sequence[Message],
        *,
        max_tokens: int,
        grammar: str | None = None,
        stop: Sequence[str] = (),
        on_text: TokenSink | None = None,
    ) -> Generation:
        messages = Prompt.of(prompt).messages
        body: dict[str, object] = {
            # The server parses control tokens in the whole prompt: content is defused first.
            "messages": [{"role": m.role, "content": defuse_control_tokens(m.content)} for m in messages],
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "top_k": 1,
            "stream": True,
            "stream_options": {"include_usage": True},
            # The server keeps the previous prompt's KV state and reuses the shared start: a
            # stable prefix (Prompt.stable) is served from there, whatever its length.
            "cache_prompt": True,
        }
        if stop:
            body["stop"] = list(stop)
        if grammar:
            body["grammar"] = grammar
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        usage: dict[str, int] = {}
        cached = 0
        try:
            with self._client.stream("POST", f"{self.base}/v1/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise DocqError(f"LLM server answered {response.status_code}: {response.text[:200]}")
                for event in _events(response.iter_lines()):
                    if event.get("usage"):
                        usage = event["usage"]
                    timings = event.get("timings") or {}
                    cached = int(timings.get("cache_n", cached) or 0)
                    for choice in event.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content") or ""
                        if text:
                            first = first or time.perf_counter()
                            pieces.append(text)
                            if on_text is not None:
                                on_text(text)
        except httpx.HTTPError as exc:
            raise DocqError(f"LLM server at {self.base} failed mid-answer ({type(exc).__name__})") from None
        done = time.perf_counter()
        first = first or done
        text = "".join(pieces)
        prompt_tokens = int(usage.get("prompt_tokens") or 0) or self.count_tokens(
            "\n".join(m.content for m in messages)
        )
        generated = int(usage.get("completion_tokens") or 0) or (self.count_tokens(text) if text else 0)
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            generated_tokens=generated,
            cached_tokens=cached,
            prefill_ms=(first - started) * 1000,
            generate_ms=(done - first) * 1000,
        )

    def judge(self, prompt: Prompt | Sequence[Message], options: Sequence[str]) -> tuple[dict[str, float], Generation]:
        """A server's reply read as a choice (its probabilities are not asked for): the
        option it starts with gets 1."""
        generation = self.complete(prompt, max_tokens=2)
        said = generation.text.strip().lower()
        chosen = next((o for o in options if said.startswith(o.lower())), None)
        return {o: 1.0 if o == chosen else 0.0 for o in options}, generation

    def close(self) -> None:
        self._client.close()


def _events(lines: Iterator[str]) -> Iterator[dict]:
    """Server-sent events: `data: {...}` lines until `data: [DONE]`."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        try:
            yield json.loads(payload)
        except ValueError:
            continue
