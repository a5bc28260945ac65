"""Model files from installed packages, user paths and the Hugging Face cache, all local."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docq.errors import ModelError
from docq.models.files import assemble, check_gguf, is_verified, resolve_answer_model
from docq.models.registry import ModelSpec, Slice


def _carrier(root: Path, package: str, payload: bytes) -> Slice:
    """A real importable package holding one data slice, like the PyPI carriers."""
    (root / package / "data").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "data" / "part.bin").write_bytes(payload)
    return Slice(package, "data/part.bin")


@pytest.fixture
def carriers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelSpec, bytes, Path]:
    root = tmp_path / "site"
    parts = [b"GGUF" + os.urandom(1000), os.urandom(3000), os.urandom(7)]
    slices = tuple(_carrier(root, f"docq_test_carrier_{tmp_path.name}_{i}", p) for i, p in enumerate(parts))
    monkeypatch.syspath_prepend(str(root))
    whole = b"".join(parts)
    spec = ModelSpec(
        "test-model", "test-model.gguf", len(whole), hashlib.sha256(whole).hexdigest(), slices, "pip install …", "test"
    )
    return spec, whole, root


def test_assembles_verifies_and_reuses(carriers: tuple[ModelSpec, bytes, Path], tmp_path: Path) -> None:
    spec, whole, _ = carriers
    models = tmp_path / "models"
    path = assemble(spec, models)
    assert path.read_bytes() == whole
    assert is_verified(path, spec.sha256, models)
    assert not list(models.glob("*.partial-*"))
    mtime = path.stat().st_mtime_ns
    assert assemble(spec, models) == path and path.stat().st_mtime_ns == mtime  # not rebuilt


def test_a_corrupted_slice_is_refused(carriers: tuple[ModelSpec, bytes, Path], tmp_path: Path) -> None:
    spec, _, root = carriers
    part = root / spec.slices[1].package / "data" / "part.bin"
    part.write_bytes(b"x" * part.stat().st_size)
    with pytest.raises(ModelError, match="expected"):
        assemble(spec, tmp_path / "models")
    assert not (tmp_path / "models" / spec.filename).exists()


def test_a_damaged_assembled_file_is_refused(carriers: tuple[ModelSpec, bytes, Path], tmp_path: Path) -> None:
    spec, _, _ = carriers
    path = assemble(spec, tmp_path / "models")
    with path.open("r+b") as f:
        f.seek(10)
        f.write(b"\x00\x00")
    with pytest.raises(ModelError, match="does not match"):
        assemble(spec, tmp_path / "models")


def test_a_missing_slice_names_the_install_command(tmp_path: Path) -> None:
    spec = ModelSpec(
        "gone", "gone.gguf", 1, "0" * 64, (Slice("docq_no_such_carrier", "x.bin"),) * 2, "pip install gone", ""
    )
    with pytest.raises(ModelError, match="pip install gone"):
        assemble(spec, tmp_path)


def test_user_paths_must_be_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not gguf")
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_answer_model(str(fake), tmp_path)
    with pytest.raises(ModelError, match="not found"):
        check_gguf(tmp_path / "absent.gguf")
    with pytest.raises(ModelError, match="unknown model"):
        resolve_answer_model("gpt-17", tmp_path)
    real = tmp_path / "ok.gguf"
    real.write_bytes(b"GGUF\x03\x00")
    assert resolve_answer_model(str(real), tmp_path) == real


def test_hub_reference_resolves_from_the_local_cache(tmp_path: Path) -> None:
    """hf:ORG/REPO/FILE goes through huggingface_hub's cache: with HF_HUB_OFFLINE the
    already-downloaded file is found and nothing touches the network."""
    commit = "a" * 40
    repo = tmp_path / "hub" / "models--someorg--somerepo"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "tiny.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    code = "from docq.models.files import resolve_answer_model as r; from pathlib import Path; print(r('hf:someorg/somerepo/tiny.gguf', Path('.')))"
    found = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).read_bytes().startswith(b"GGUF")
    code_missing = code.replace("tiny.gguf", "absent.gguf")
    missing = subprocess.run([sys.executable, "-c", code_missing], env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "could not download" in missing.stderr
