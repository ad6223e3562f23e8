"""Embedding Switchyard in Python through ctypes (no HTTP, no extension module): open a runtime,
stream a chat answer through a callback, embed two sentences, and show an error.

    python3 examples/embed_python/embed.py --lib build/libswitchyard.so --config examples/embed.yaml

Exits non-zero when any step fails.
"""
import argparse
import ctypes
import json
import math
import sys

TOKEN_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p)
SY_OK, SY_ERR_NOT_FOUND = 0, 4


def load(path):
    lib = ctypes.CDLL(path)
    lib.sy_version.restype = ctypes.c_char_p
    lib.sy_last_error.restype = ctypes.c_char_p
    lib.sy_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.sy_close.argtypes = [ctypes.c_void_p]
    lib.sy_free.argtypes = [ctypes.c_void_p]
    lib.sy_chat.argtypes = [ctypes.c_void_p, ctypes.c_char_p, TOKEN_CALLBACK, ctypes.c_void_p,
                            ctypes.POINTER(ctypes.c_void_p)]
    lib.sy_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                             ctypes.POINTER(ctypes.POINTER(ctypes.c_float)), ctypes.POINTER(ctypes.c_size_t)]
    return lib


def take_string(lib, ptr):
    """Copies a library-owned string and frees it."""
    text = ctypes.string_at(ptr.value).decode("utf-8")
    lib.sy_free(ptr)
    return text


def chat(lib, rt, request, on_piece=None):
    pieces = []

    def collect(piece, length, _user):
        text = ctypes.string_at(piece, length).decode("utf-8", errors="replace")
        pieces.append(text)
        if on_piece:
            on_piece(text)
        return 0

    callback = TOKEN_CALLBACK(collect) if on_piece is not None else TOKEN_CALLBACK()
    out = ctypes.c_void_p()
    status = lib.sy_chat(rt, json.dumps(request).encode(), callback, None, ctypes.byref(out))
    if status != SY_OK:
        return status, lib.sy_last_error().decode(), pieces
    return status, json.loads(take_string(lib, out)), pieces


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lib", default="build/libswitchyard.so")
    p.add_argument("--config", default="examples/embed.yaml")
    args = p.parse_args()
    lib = load(args.lib)
    rt = ctypes.c_void_p()
    if lib.sy_open(args.config.encode(), ctypes.byref(rt)) != SY_OK:
        sys.exit("open failed: " + lib.sy_last_error().decode())
    print("switchyard", lib.sy_version().decode())

    request = {"model": "smol", "max_tokens": 12, "temperature": 0,
               "messages": [{"role": "user", "content": "What is the capital of France?"}]}
    print("answer: ", end="", flush=True)
    status, response, pieces = chat(lib, rt, request, on_piece=lambda t: print(t, end="", flush=True))
    print()
    if status != SY_OK:
        sys.exit(f"chat failed: {response}")
    content = response["choices"][0]["message"]["content"]
    print(f"streamed pieces: {len(pieces)}, model: {response['model']}, "
          f"completion tokens: {response['usage']['completion_tokens']}")
    ok = "".join(pieces) == content and len(pieces) > 0

    texts = (ctypes.c_char_p * 2)(b"The cat sat on the mat.", b"A kitten rested on the rug.")
    vectors = ctypes.POINTER(ctypes.c_float)()
    dims = ctypes.c_size_t()
    if lib.sy_embed(rt, b"minilm", texts, 2, ctypes.byref(vectors), ctypes.byref(dims)) != SY_OK:
        sys.exit("embed failed: " + lib.sy_last_error().decode())
    d = dims.value
    a, b = vectors[0:d], vectors[d:2 * d]
    lib.sy_free(vectors)
    print(f"embedding dims: {d}, cosine similarity: {sum(x * y for x, y in zip(a, b)):.3f}, "
          f"norm: {math.sqrt(sum(x * x for x in a)):.3f}")

    status, message, _ = chat(lib, rt, {"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]})
    print(f"unknown model: status {status}: {message}")
    ok = ok and status == SY_ERR_NOT_FOUND and d > 0

    lib.sy_close(rt)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
