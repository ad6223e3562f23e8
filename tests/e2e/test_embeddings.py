"""Embeddings with all-MiniLM-L6-v2 (384 dimensions) through the openai client."""
import base64
import json

import numpy as np

from conftest import EMBED_MODEL

GUITAR = "A man is playing a guitar."
MUSIC = "Someone plays an instrument."
STOCKS = "The stock market fell today."


def cosine(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_single_input(client):
    r = client.embeddings.create(model=EMBED_MODEL, input=GUITAR, encoding_format="float")
    assert r.object == "list"
    assert r.model == EMBED_MODEL
    assert len(r.data) == 1
    assert r.data[0].object == "embedding" and r.data[0].index == 0
    v = np.asarray(r.data[0].embedding)
    assert v.shape == (384,)
    assert np.isfinite(v).all() and np.linalg.norm(v) > 0
    assert r.usage.prompt_tokens > 0 and r.usage.total_tokens == r.usage.prompt_tokens


def test_related_sentences_are_closer(client):
    r = client.embeddings.create(model=EMBED_MODEL, input=[GUITAR, MUSIC, STOCKS], encoding_format="float")
    g, m, s = (d.embedding for d in r.data)
    related, unrelated1, unrelated2 = cosine(g, m), cosine(g, s), cosine(m, s)
    assert related > unrelated1 + 0.1
    assert related > unrelated2 + 0.1


def test_batch_order_matches_input(client):
    texts = [STOCKS, GUITAR, MUSIC, "Cats sleep a lot."]
    batch = client.embeddings.create(model=EMBED_MODEL, input=texts, encoding_format="float")
    assert [d.index for d in batch.data] == [0, 1, 2, 3]
    for i, text in enumerate(texts):
        single = client.embeddings.create(model=EMBED_MODEL, input=text, encoding_format="float").data[0].embedding
        assert len(batch.data[i].embedding) == 384
        assert cosine(batch.data[i].embedding, single) > 0.9999, f"input {i} out of order or altered by batching"


def test_base64_matches_float(client, server):
    floats = client.embeddings.create(model=EMBED_MODEL, input=[GUITAR, STOCKS], encoding_format="float")
    # Raw request, so the base64 string itself is checked (the client would decode it for us).
    status, _, body = server.request("POST", "/v1/embeddings",
                                     {"model": EMBED_MODEL, "input": [GUITAR, STOCKS], "encoding_format": "base64"})
    assert status == 200
    data = json.loads(body)["data"]
    for i in range(2):
        assert isinstance(data[i]["embedding"], str)
        decoded = np.frombuffer(base64.b64decode(data[i]["embedding"]), dtype="<f4")
        assert decoded.shape == (384,)
        np.testing.assert_allclose(decoded, np.asarray(floats.data[i].embedding, dtype=np.float32), atol=1e-6, rtol=0)
    # And the client's own base64 path (its default encoding) agrees too.
    via_client = client.embeddings.create(model=EMBED_MODEL, input=[GUITAR, STOCKS])
    for i in range(2):
        np.testing.assert_allclose(np.asarray(via_client.data[i].embedding), np.asarray(floats.data[i].embedding), atol=1e-6, rtol=0)
