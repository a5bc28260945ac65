"""The embedding model file: our GGUF of all-MiniLM-L6-v2, written once from the carried weights."""

from __future__ import annotations

import logging
from pathlib import Path

from docq.errors import ModelError
from docq.models.files import check_gguf, slice_path
from docq.models.registry import MINILM_L6
from docq.progress import SILENT, Reporter, step


def ensure_embedding_model(models_dir: Path, ref: str = MINILM_L6.name, reporter: Reporter = SILENT) -> Path:
    """Path of a BERT-style embedding GGUF: the bundled model (converted on first use) or the user's file."""
    if ref != MINILM_L6.name:
        return check_gguf(Path(ref).expanduser())
    target = models_dir / MINILM_L6.filename
    if target.is_file():
        return target
    source = slice_path(MINILM_L6.source)
    if source is None:
        raise ModelError(f"embedding model {MINILM_L6.name} is not installed; run: {MINILM_L6.install}")
    from docq.models.bert_gguf import convert_zipped_model

    # gguf logs a harmless note for the [CLS] id it has no field for; keep the terminal clean.
    logging.getLogger("gguf").setLevel(logging.ERROR)
    with step(reporter, f"converting {MINILM_L6.name} to GGUF", None):
        convert_zipped_model(source, target, "all-MiniLM-L6-v2", MINILM_L6.weights_sha256)
    return target
