#!/usr/bin/env python3
"""Convert sentence-transformers/all-MiniLM-L6-v2 (Hugging Face BERT, F32 safetensors) into a
GGUF that llama.cpp loads as a `bert` embedding model with mean pooling.

Usage: convert_minilm_to_gguf.py MODEL OUT.gguf   (MODEL: the package's model.zip, or that zip extracted)

Needs only numpy and gguf: safetensors is parsed by hand, so no torch/transformers/safetensors.
The metadata mirrors what llama.cpp's own convert_hf_to_gguf.py (BertModel) writes, so the runtime
treats the file like any upstream BERT conversion. The output is deterministic (fixed key and tensor
order, no timestamps), which lets fetch-models.sh pin its SHA-256.
"""
from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import gguf

NAME = "all-MiniLM-L6-v2"
# Dropped: position_ids is a constant buffer; the pooler head is unused for mean-pooled embeddings.
SKIP = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")
# llama.cpp adds these 2-D tables as-is (not via matmul), so upstream keeps them F32 too.
KEEP_F32 = ("position_embd.weight", "token_types.weight")
ST_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2")}


class Source:
    """Reads the model's files from the zip directly, or from an extracted folder."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        self.dir = path

    def read(self, name: str) -> bytes:
        if self.zip is not None:
            return self.zip.read(name)
        return (self.dir / name).read_bytes()

    def json(self, name: str):
        return json.loads(self.read(name))


def load_safetensors(blob: bytes) -> dict[str, np.ndarray]:
    # Format: u64 LE header size, JSON header {name: {dtype, shape, data_offsets}}, raw data.
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    # File order (by offset) is stable for a given input, so the output order is too.
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        if name in SKIP:
            continue
        if info["dtype"] not in ST_DTYPES:
            raise ValueError(f"{name}: unsupported dtype {info['dtype']}")
        dt = ST_DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        arr = np.frombuffer(blob, dtype=dt, count=(end - start) // dt.itemsize, offset=base + start)
        out[name] = arr.reshape(info["shape"]).astype(np.float32)
    return out


def write_vocab(w: gguf.GGUFWriter, src: Source, n_vocab: int, type_vocab_size: int) -> None:
    tok = src.json("tokenizer.json")
    cfg = src.json("tokenizer_config.json")
    if tok["model"]["type"] != "WordPiece":
        raise ValueError("expected a WordPiece tokenizer")
    vocab: dict[str, int] = tok["model"]["vocab"]
    special = {t["id"] for t in tok.get("added_tokens", []) if t.get("special")}

    by_id: dict[int, str] = {i: t for t, i in vocab.items()}
    tokens, types = [], []
    for i in range(n_vocab):
        t = by_id.get(i)
        if t is None:  # hole in the id space: keep ids aligned with the embedding rows
            tokens.append(f"[PAD{i}]"); types.append(gguf.TokenType.UNUSED)
        elif i in special:
            tokens.append(t); types.append(gguf.TokenType.CONTROL)
        else:
            # llama.cpp's WPM tokenizer expects SentencePiece-style pieces: a word start carries a
            # leading U+2581 and a continuation ("##x") is stored bare.
            tokens.append(t[2:] if t.startswith("##") else "\u2581" + t)
            types.append(gguf.TokenType.NORMAL)

    w.add_token_type_count(type_vocab_size)
    w.add_tokenizer_model("bert")
    # Ignored by llama.cpp for WPM vocabs; this is what upstream's hash lookup yields for this vocab.
    w.add_tokenizer_pre("jina-v2-en")
    w.add_token_list(tokens)
    w.add_token_types(types)

    ids = {k: vocab[cfg[f"{k}_token"]] for k in ("unk", "sep", "pad", "cls", "mask")}
    # The single-sequence template is "[CLS] $A [SEP]": CLS plays BOS (GGUF has no CLS key) and SEP
    # plays EOS. The pair template "[CLS] $A [SEP] $B [SEP]" has no extra separator: add_sep = false.
    single = [next(iter(p.values()))["id"] for p in tok["post_processor"]["single"]]
    if single != [cfg["cls_token"], "A", cfg["sep_token"]]:
        raise ValueError(f"unexpected post-processor template {single}")
    w.add_bos_token_id(ids["cls"])
    w.add_eos_token_id(ids["sep"])
    w.add_unk_token_id(ids["unk"])
    w.add_sep_token_id(ids["sep"])
    w.add_pad_token_id(ids["pad"])
    w.add_mask_token_id(ids["mask"])
    w.add_add_bos_token(True)
    w.add_add_eos_token(True)
    w.add_add_sep_token(False)


def pooling_type(src: Source) -> gguf.PoolingType:
    for mod in src.json("modules.json"):
        if mod["type"].endswith("Pooling"):
            pc = src.json(f"{mod['path']}/config.json")
            if pc.get("pooling_mode_mean_tokens"):
                return gguf.PoolingType.MEAN
            if pc.get("pooling_mode_cls_token"):
                return gguf.PoolingType.CLS
            raise ValueError(f"unsupported pooling config {pc}")
    raise ValueError("no Pooling module in modules.json")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = Source(Path(sys.argv[1])), Path(sys.argv[2])
    hp = src.json("config.json")
    if hp.get("model_type") != "bert" or hp.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("expected an absolute-position BERT model")
    n_layer = hp["num_hidden_layers"]

    arch = gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT]
    w = gguf.GGUFWriter(out, arch)
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(NAME)
    w.add_block_count(n_layer)
    w.add_context_length(hp["max_position_embeddings"])
    w.add_embedding_length(hp["hidden_size"])
    w.add_feed_forward_length(hp["intermediate_size"])
    w.add_head_count(hp["num_attention_heads"])
    w.add_layer_norm_eps(hp["layer_norm_eps"])
    w.add_causal_attention(False)  # encoder: every token attends to the whole sequence
    w.add_pooling_type(pooling_type(src))
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    write_vocab(w, src, hp["vocab_size"], hp.get("type_vocab_size", 1))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layer)
    for name, data in load_safetensors(src.read("model.safetensors")).items():
        new = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ValueError(f"no GGUF name for tensor {name}")
        # Matrices go to F16 (half the size, llama.cpp's usual choice); norms, biases and the
        # additive embedding tables stay F32, which is what ggml's ops expect for them.
        f32 = data.ndim == 1 or new.endswith("_norm.weight") or new in KEEP_F32
        w.add_tensor(new, data if f32 else data.astype(np.float16))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
