"""Turn a model reference (a known name, a GGUF path, or hf:org/repo/file) into a verified file.

Known models are assembled once from installed PyPI packages into the models dir and
checked against their sha256; a mismatch is refused, never loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from docq.errors import ModelError
from docq.hashing import sha256_file
from docq.models.registry import ANSWER_MODELS, ModelSpec, Slice
from docq.progress import SILENT, Reporter, step
from docq.store.writes import read_regular, temporary_beside, write_file

GGUF_MAGIC = b"GGUF"
_CHUNK = 8 << 20


def slice_path(part: Slice) -> Path | None:
    """Where an installed package keeps a data file, found without importing the package."""
    spec = importlib.util.find_spec(part.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / part.path
    return path if path.is_file() else None


def _marker(path: Path, models_dir: Path) -> Path:
    # Kept in the models dir, never beside the file: site-packages may be read-only.
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return models_dir / "verified" / f"{path.name}.{key}"


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def is_verified(path: Path, sha256: str, models_dir: Path) -> bool:
    """True when this exact file (size, mtime) was hashed before and matched."""
    record = read_regular(_marker(path, models_dir), 4096)  # damaged or planted: simply not verified
    try:
        return record is not None and record.decode("ascii").split("\n")[:2] == [_stat_key(path), sha256]
    except (OSError, UnicodeDecodeError):
        return False


def _mark_verified(path: Path, sha256: str, models_dir: Path) -> None:
    marker = _marker(path, models_dir)
    marker.parent.mkdir(parents=True, exist_ok=True)
    write_file(marker, f"{_stat_key(path)}\n{sha256}\n".encode())


def verify(path: Path, sha256: str, models_dir: Path, reporter: Reporter = SILENT) -> None:
    if is_verified(path, sha256, models_dir):
        return
    with step(reporter, f"verifying {path.name}", path.stat().st_size, "B"):
        actual = sha256_file(path, reporter)
    if actual != sha256:
        raise ModelError(
            f"{path}: sha256 {actual[:12]}… does not match the expected {sha256[:12]}…; "
            "delete the file and run `docq doctor` to rebuild it"
        )
    _mark_verified(path, sha256, models_dir)


def assemble(spec: ModelSpec, models_dir: Path, reporter: Reporter = SILENT) -> Path:
    """Concatenate the carried slices into one GGUF (once), verify it, return its path."""
    target = models_dir / spec.filename
    if target.is_file() and target.stat().st_size == spec.size:
        verify(target, spec.sha256, models_dir, reporter)
        return target
    if len(spec.slices) == 1:
        # A single carried file is used where pip put it; no copy needed.
        only = slice_path(spec.slices[0])
        if only is None:
            raise ModelError(f"model {spec.name} is not installed; run: {spec.install}")
        verify(only, spec.sha256, models_dir, reporter)
        return only
    parts = [slice_path(s) for s in spec.slices]
    missing = [s.package for s, p in zip(spec.slices, parts) if p is None]
    if missing:
        raise ModelError(
            f"model {spec.name}: {len(missing)} of {len(parts)} parts are not installed "
            f"({', '.join(missing[:3])}{'…' if len(missing) > 3 else ''}); run: {spec.install}"
        )
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = temporary_beside(target, "partial")
    digest = hashlib.sha256()
    try:
        with step(reporter, f"assembling {spec.filename}", spec.size, "B"), partial.open("r+b") as out:
            for part in parts:
                assert part is not None
                with part.open("rb") as f:
                    while block := f.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        reporter.advance(len(block))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"model {spec.name}: assembled file has sha256 {digest.hexdigest()[:12]}…, "
                f"expected {spec.sha256[:12]}…; reinstall the parts: {spec.install} --force-reinstall"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _mark_verified(target, spec.sha256, models_dir)
    return target


def check_gguf(path: Path) -> Path:
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a directory, expected a .gguf file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file ({exc.strerror})") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path}: not a GGUF file (llama.cpp needs GGUF; convert it first)")
    return path


def download_from_hub(ref: str) -> Path:
    """`hf:org/repo/file.gguf[@revision]`: fetch through huggingface_hub's cache.

    Honours HF_HUB_OFFLINE and HF_HOME like every Hugging Face tool, so an already
    downloaded file is found without network.
    """
    body = ref.removeprefix("hf:")
    body, _, revision = body.partition("@")
    pieces = body.split("/")
    if len(pieces) < 3:
        raise ModelError(f"{ref}: expected hf:ORG/REPO/FILE.gguf")
    repo_id, filename = "/".join(pieces[:2]), "/".join(pieces[2:])
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:  # pragma: no cover - huggingface_hub comes with chromadb
        raise ModelError("hf: models need the huggingface_hub package: pip install huggingface_hub") from None
    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename, revision=revision or None))
    except Exception as exc:  # the hub raises many types; all mean "could not get it"
        raise ModelError(f"{ref}: could not download ({type(exc).__name__}: {exc})") from None


def resolve_answer_model(ref: str, models_dir: Path, reporter: Reporter = SILENT) -> Path:
    """A known model name, a path to a GGUF, or hf:org/repo/file."""
    if ref in ANSWER_MODELS:
        return assemble(ANSWER_MODELS[ref], models_dir, reporter)
    if ref.startswith("hf:"):
        return check_gguf(download_from_hub(ref))
    path = Path(ref).expanduser()
    if not path.exists() and os.sep not in ref and not ref.endswith(".gguf"):
        known = ", ".join(ANSWER_MODELS)
        raise ModelError(f"unknown model {ref!r}: give a path to a .gguf file or one of: {known}")
    return check_gguf(path)
