"""`docq doctor` with the real tiny model: what answers, and how long a question takes here."""

from __future__ import annotations

from pathlib import Path

import pytest

from docq.pipeline.doctor import SpeedEstimate, run_doctor

from ..conftest import make_settings


def test_the_estimate_adds_prefill_and_generation() -> None:
    estimate = SpeedEstimate(prefill_per_s=100.0, decode_per_s=10.0)
    assert estimate.seconds(700, 10) == pytest.approx(8.0)
    assert "a short answer ~8 s" in estimate.describe()


@pytest.mark.slow
def test_doctor_names_the_answer_model_and_times_it(tmp_path: Path) -> None:
    report = run_doctor(make_settings(tmp_path / "data", model="smollm2-135m", n_ctx=2048))
    checks = {c.name: c for c in report.checks}
    assert report.ok, [c for c in report.checks if not c.ok]
    assert "SmolLM2-135M-Instruct" in checks["answer model"].detail
    speed = checks["answer speed"].detail
    assert "tokens/s" in speed and "a short answer ~" in speed and "an explanation ~" in speed
    quick = run_doctor(make_settings(tmp_path / "data", model="smollm2-135m"), speed=False)
    assert "answer speed" not in {c.name for c in quick.checks}
