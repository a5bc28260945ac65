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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """An end-to-end test is a slow one: `-m "not slow"` leaves both out."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.slow)


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


# The bundled sample (the SQuAD v2 article "Normans"): real prose that every clone has.
def write_tex_type3_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF set the way old TeX output is (the PageRank paper, most papers
    before 2000): a Type 3 font whose glyphs are named by their own character ("/1",
    "/.", "/#0C" for the fi ligature at its OT1 code), no ToUnicode map, and words
    spaced and kerned by TJ offsets instead of space glyphs. pypdf reads digits in such
    a font as glyph names ("/1/9/9/8"); written byte by byte so no TeX is needed."""
    codes: dict[int, str] = {}

    def name_for(ch: str) -> str:
        if ch == "\x0c":
            return "/#0C"  # OT1 position of the fi ligature
        return "/" + ch if ch.isalnum() or ch in ".,:;()-" else f"/#{ord(ch):02X}"

    text_ops = []
    y = 720
    for line in lines:
        parts = []
        for word in line.replace("fi", "\x0c").split(" "):
            # a kern inside the word after its first letter, as TeX kerns "P" and "a"
            chunks = [word[:1], word[1:]] if len(word) > 3 else [word]
            for i, c in enumerate(chunks):
                for ch in c:
                    codes[ord(ch)] = name_for(ch)
                esc = c.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                parts.append(f"({esc})")
                if i == 0 and len(chunks) > 1:
                    parts.append("80")
            parts.append("-333")
        text_ops.append(f"1 0 0 1 72 {y} Tm [{' '.join(parts)}] TJ")
        y -= 14
    content = ("BT /T1 10 Tf " + " ".join(text_ops) + " ET").encode("latin-1")
    first, last = min(codes), max(codes)
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    procs: dict[str, int] = {}
    glyph = b"500 0 0 0 450 650 d1 40 0 400 620 re f"
    for name in codes.values():
        procs[name] = add(b"<< /Length %d >>\nstream\n" % len(glyph) + glyph + b"\nendstream")
    diffs = " ".join(f"{c} {codes[c]}" for c in sorted(codes))
    charprocs = " ".join(f"{n} {i} 0 R" for n, i in procs.items())
    widths = " ".join("500" if c in codes else "0" for c in range(first, last + 1))
    font = add(
        f"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 500 700] /FontMatrix [0.001 0 0 0.001 0 0] "
        f"/CharProcs << {charprocs} >> /Encoding << /Type /Encoding /Differences [{diffs}] >> "
        f"/FirstChar {first} /LastChar {last} /Widths [{widths}] /Resources << >> >>".encode()
    )
    stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    pages_id = len(objects) + 2
    page = add(
        f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 612 792] /Contents {stream} 0 R "
        f"/Resources << /Font << /T1 {font} 0 R >> >> >>".encode()
    )
    add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>".encode())
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    path.write_bytes(bytes(out))
    return path


# The bundled sample (the SQuAD v2 article "Normans"): real prose that every clone has.
NORMANS_PARAGRAPHS = [p.strip() for p in (SAMPLES / "normans.txt").read_text().split("\n\n") if p.strip()]
assert len(NORMANS_PARAGRAPHS) > 30, "samples/normans.txt is missing or cut short"


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


# -- the library, one call at a time (as a script would use it) ---------------------------


def ingest(paths: list[Path], settings: Settings):  # type: ignore[no-untyped-def]
    from docq.library import Library

    with Library(settings=settings) as docs:
        return docs.ingest(paths)


def forget(paths: list[Path], settings: Settings) -> list[str]:
    from docq.library import Library

    with Library(settings=settings) as docs:
        return docs.forget(paths)


def reindex(settings: Settings) -> None:
    from docq.library import Library

    with Library(settings=settings) as docs:
        docs.reindex()
