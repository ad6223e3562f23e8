#!/usr/bin/env python3
"""Gives a converted GGUF the base model's tokenizer metadata: copy_tokenizer.py BASE.gguf IN.gguf OUT.gguf

Fine-tuning does not change the tokenizer, but the tokenizer that transformers rebuilds from a
GGUF does not convert back faithfully (SmolLM2's GPT-2 BPE vocabulary came back as a
SentencePiece "llama" vocabulary with the wrong end-of-turn token, which llama.cpp cannot use).
So every `tokenizer.*` key (vocabulary, merges, special tokens, chat template) is taken from
the base GGUF as it was; everything else, and every tensor, from the converted file. Run by
`switchyard distil` in the training virtualenv (gguf-py, the same version as the pinned llama.cpp).
"""
import sys

import gguf


def copy_field(writer, field):
    kind = field.types[0]
    sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
    writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.splitlines()[0])
    base, conv = gguf.GGUFReader(sys.argv[1]), gguf.GGUFReader(sys.argv[2])
    arch = conv.fields[gguf.Keys.General.ARCHITECTURE].contents()
    if base.fields[gguf.Keys.General.ARCHITECTURE].contents() != arch:
        sys.exit("the base and the converted model have different architectures")
    writer = gguf.GGUFWriter(sys.argv[3], arch=arch, endianess=conv.endianess)
    skip = {gguf.Keys.General.ARCHITECTURE}
    for field in conv.fields.values():
        if field.name in skip or field.name.startswith("GGUF.") or field.name.startswith("tokenizer."):
            continue
        copy_field(writer, field)
    for field in base.fields.values():
        if field.name.startswith("tokenizer."):
            copy_field(writer, field)
    for tensor in conv.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in conv.tensors:
        writer.write_tensor_data(tensor.data)
    writer.close()


if __name__ == "__main__":
    main()
