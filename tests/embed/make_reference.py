"""Reference embeddings for tests/embed/reference.json, computed independently
of candle: a plain-numpy BERT forward pass over the same weights, the way
sentence-transformers runs all-MiniLM-L6-v2 (word-piece tokens truncated at
256, 6 encoder layers with exact-erf GELU, mean pooling over the attention
mask, L2 normalisation).

Run once, outside the repository's tests, in a scratch virtualenv:
    python3 -m venv /tmp/zava-ref && /tmp/zava-ref/bin/pip install numpy safetensors tokenizers
    /tmp/zava-ref/bin/python tests/embed/make_reference.py MODEL_DIR > tests/embed/reference.json
(MODEL_DIR: what scripts/setup.sh installed, e.g. /usr/share/postgresql/15/extension/zava_models/all-MiniLM-L6-v2.)
Never part of CI: it needs packages the project does not install.
"""

import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

LONG = ("This heavy-duty cordless drill kit includes two lithium-ion batteries, a fast charger and a carrying "
        "case; the brushless motor delivers up to 1,800 RPM and 650 in-lbs of torque for driving lag screws "
        "into pressure-treated 2x4 framing, while the 24-position clutch prevents stripping delicate cabinet "
        "hardware. ")
TEXTS = [
    "cordless drill",
    "battery powered driver",
    "gather round a campfire at home",
    "R-13 fiberglass insulation roll, 15 in. x 32 ft.",
    "2x4 stud, 8 ft., kiln-dried",
    "NM-B 12/2 wire, 250 ft.",
    "Paint!!! Interior, eggshell finish... (1 gal.)",
    "Café crème — ¿dónde está la ferretería? 電動ドリル ☕",
    "",
    "   ",
    "What's the return policy on garden hoses bought online?",
    LONG * 3,    # more than 128 tokens, fewer than 256
    LONG * 8,    # more than 256 tokens: truncated
]


def layer_norm(x, w, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def embed(w, ids, types):
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
        + w["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]).astype(np.float64)
    heads, size = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."
        lin = lambda h, name: h @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = lin(x, "attention.self.query").reshape(n, heads, size).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, size).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, size).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        ctx = (scores @ v).transpose(1, 0, 2).reshape(n, heads * size)
        x = layer_norm(lin(ctx, "attention.output.dense") + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    mean = x.mean(0)  # one text, no padding: every token counts
    return mean / np.linalg.norm(mean)


def main():
    model_dir = sys.argv[1]
    w = {k.removeprefix("bert."): v.astype(np.float64) for k, v in load_file(f"{model_dir}/model.safetensors").items()}
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(max_length=256)
    out = {"model": "all-MiniLM-L6-v2", "made_by": "tests/embed/make_reference.py (numpy)", "texts": []}
    for t in TEXTS:
        e = tok.encode(t)
        v = embed(w, np.array(e.ids), np.array(e.type_ids))
        out["texts"].append({"text": t, "tokens": len(e.ids), "embedding": [float(f"{x:.7g}") for x in v]})
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
