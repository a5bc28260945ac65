"""`docq doctor`: what docq will use and whether it works, checked rather than assumed."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field

from docq.config import Settings, describe
from docq.errors import DocqError
from docq.llm.backend import LLM
from docq.pipeline.status import IndexStatus
from docq.progress import SILENT, Reporter
from docq.version import __version__


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class DoctorReport:
    settings: list[tuple[str, str, str, str]]
    tuning: list[tuple[str, str, str]] = field(default_factory=list)  # decision constants: name, value, provenance
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "settings": [{"name": n, "value": v, "source": s, "env": e} for n, v, s, e in self.settings],
            "tuning": [{"name": n, "value": v, "provenance": w} for n, v, w in self.tuning],
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


# Prompt and answer sizes of a typical question, from `docq eval` means (docs/design.md,
# "Speed"): a phrase after ~700 prompt tokens, an explanation of ~120 tokens after ~900.
TYPICAL = {"a short answer": (700, 10), "an explanation": (900, 120)}


@dataclass(frozen=True)
class SpeedEstimate:
    prefill_per_s: float
    decode_per_s: float

    def seconds(self, prompt: int, generated: int) -> float:
        return prompt / self.prefill_per_s + generated / self.decode_per_s

    def describe(self) -> str:
        typical = ", ".join(f"{what} ~{self.seconds(p, g):.0f} s" for what, (p, g) in TYPICAL.items())
        return (
            f"prefill {self.prefill_per_s:.0f} tokens/s, generation {self.decode_per_s:.1f} tokens/s here: "
            f"{typical} (with the default passages)"
        )


def measure_speed(llm: LLM) -> SpeedEstimate:
    """Time one short real completion: prefill and generation rates on this machine."""
    from docq.llm.backend import Message

    text = " ".join(["The lighthouse keeper trims the wick and logs the passing ships each night."] * 12)
    generation = llm.complete([Message("user", f"{text}\nCount to twenty in words.")], max_tokens=16)
    prefill = generation.prompt_tokens / max(generation.prefill_ms / 1000, 1e-3)
    decode = max(generation.generated_tokens - 1, 1) / max(generation.generate_ms / 1000, 1e-3)
    return SpeedEstimate(prefill_per_s=prefill, decode_per_s=decode)


def _check(report: DoctorReport, name: str, probe) -> None:  # type: ignore[no-untyped-def]
    try:
        report.checks.append(Check(name, True, probe()))
    except DocqError as exc:
        report.checks.append(Check(name, False, str(exc)))


def run_doctor(
    settings: Settings,
    reporter: Reporter = SILENT,
    speed: bool = True,
    index_status: Callable[[], IndexStatus] | None = None,
) -> DoctorReport:
    import llama_cpp

    from docq.llm.device import gpu_layers, plan_kv, supports_gpu_offload
    from docq.models.embedder import ensure_embedding_model
    from docq.models.files import resolve_answer_model
    from docq.models.registry import ANSWER_MODELS

    report = DoctorReport(settings=describe(settings), tuning=settings.tuning.describe())
    report.checks.append(
        Check(
            "versions",
            True,
            f"docq {__version__}, Python {platform.python_version()}, llama-cpp-python {llama_cpp.__version__}",
        )
    )

    def answer_model() -> str:
        if settings.llm_url:
            from docq.llm.remote import RemoteLLM

            remote = RemoteLLM(settings.llm_url, fallback_ctx=settings.n_ctx)
            try:
                return f"server {settings.llm_url}: model {remote.name}, context {remote.n_ctx:,}"
            finally:
                remote.close()
        path = resolve_answer_model(settings.model, settings.models_dir, reporter)
        spec = ANSWER_MODELS.get(settings.model)
        verified = f", sha256 {spec.sha256[:12]}… verified" if spec else " (your own file: no known checksum)"
        return f"{path} ({path.stat().st_size / 2**20:,.0f} MB{verified})"

    _check(report, "answer model", answer_model)

    def question_time() -> str:
        from docq.llm.loading import open_llm

        llm = open_llm(settings, reporter)
        try:
            return f"{getattr(llm, 'name', settings.model)}: {measure_speed(llm).describe()}"
        finally:
            llm.close()

    if speed and report.checks[-1].ok:
        _check(report, "answer speed", question_time)
    _check(
        report,
        "embedding model",
        lambda: str(ensure_embedding_model(settings.models_dir, settings.embed_model, reporter)),
    )
    layers = gpu_layers(settings)
    report.checks.append(
        Check(
            "gpu offload",
            True,
            ("this llama.cpp build can offload to a GPU" if supports_gpu_offload() else "CPU-only llama.cpp build")
            + f"; n_gpu_layers {'all' if layers < 0 else layers}",
        )
    )
    _check(report, "kv cache", lambda: (lambda p: f"{p.kv_type}: {p.reason}")(plan_kv(settings)))

    def index() -> str:
        if index_status is None:
            return "not checked"
        st = index_status()
        if not st.consistent:
            raise DocqError(
                f"{st.chunks:,} chunks in the catalog, {st.vectors:,} vectors, {st.bm25_entries:,} BM25 entries"
                f"{'' if st.bm25_current else ' (BM25 out of date)'}; run `docq ingest` to repair or `docq reindex`"
            )
        mode = f"Chroma server {settings.chroma_url}" if settings.chroma_url else f"embedded Chroma at {st.chroma}"
        return f"{st.files:,} files, {st.chunks:,} chunks, consistent; {mode}"

    _check(report, "index", index)
    return report
