"""Shared fixtures: real files on disk, a scratch data dir, the real models.

Models are assembled once per machine into the shared models dir (the user cache), so
every test's scratch data dir reuses them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from docq.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
SAMPLES = ROOT / "samples"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a scratch index, ignoring the developer's own config and DOCQ_* env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_")}
    if "DOCQ_MODELS_DIR" in os.environ:
        env["DOCQ_MODELS_DIR"] = os.environ["DOCQ_MODELS_DIR"]
    return load_settings({"data_dir": data_dir, **overrides}, env=env, config_file=data_dir / "no-config.toml")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def write_pdf(path: Path, pages: list[str], *, encrypt_with: str | None = None) -> Path:
    """A real PDF with one text page per entry (fpdf2), optionally AES-encrypted (pypdf)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    if encrypt_with is not None:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt(user_password=encrypt_with, algorithm="AES-256")
        with path.open("wb") as f:
            writer.write(f)
    return path


def write_image_only_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    pdf.rect(20, 20, 100, 60, style="F")  # a drawing, no text layer: what a scan looks like
    pdf.output(str(path))
    return path


NORMANS_PARAGRAPHS = (
    [p.strip() for p in (SHARED_EVAL / "squad-normans" / "docs" / "normans.txt").read_text().split("\n\n") if p.strip()]
    if (SHARED_EVAL / "squad-normans").exists()
    else []
)


@pytest.fixture
def run_cli() -> Iterator[object]:
    """Run the real `docq` console script in a subprocess (the e2e path)."""
    import subprocess

    exe = shutil.which("docq", path=str(Path(sys.executable).parent)) or "docq"

    def run(*args: str, data_dir: Path, input: str | None = None, timeout: float = 600, env: dict | None = None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQ_") or k == "DOCQ_MODELS_DIR"}
        full_env.update({"NO_COLOR": "1", "DOCQ_CONFIG": str(data_dir.parent / "no-config.toml")})
        full_env.update(env or {})
        return subprocess.run(
            [exe, "--data-dir", str(data_dir), *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
        )

    yield run


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(command: list[str], ready_url: str, what: str) -> subprocess.Popen[bytes]:
    """Start a real server process on loopback and wait until `ready_url` answers 200."""
    import time

    import httpx

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    process.terminate()
    pytest.fail(f"{what} did not start")
