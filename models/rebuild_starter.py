"""Rebuild the starter models shipped in models/ from the starter training set.

    python models/rebuild_starter.py              # models/dtors-starter, on the bundled MiniLM
    python models/rebuild_starter.py --fast       # models/dtors-starter-fast, on minilm-static
    python models/rebuild_starter.py --accurate   # models/dtors-starter-accurate, on mpnet

Training is deterministic (fixed folds, no random search), so the same training set, sentence
model and library version give the same model. The training set is illustrative and written by
the team (see models/dtors-starter/training-data/README.md). The fast model is trained on the
same set with the static embedding model that ``dtors-nlp annotate --fast`` uses (see
models/distill_static.py), the accurate one with all-mpnet-base-v2, which ``--accurate`` uses
(see ``dtors_nlp/accurate_model.py``); neither keeps a copy of the training data.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import dtors_nlp as dn
from dtors_nlp.persist import starter_mode

HERE = Path(__file__).resolve().parent
STARTER = HERE / "dtors-starter"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--fast", action="store_true", help="the fast mode's starter model")
    choice.add_argument("--accurate", action="store_true", help="the accurate mode's")
    args = parser.parse_args()
    mode = "fast" if args.fast else "accurate" if args.accurate else "default"
    suffix = "" if mode == "default" else f"-{mode}"
    folder = HERE / f"dtors-starter{suffix}"  # this checkout's, whatever is installed
    embedder = None if mode == "default" else starter_mode(mode)[1]  # None: the bundled MiniLM
    passages = dn.load_coded(STARTER / "training-data")
    model = dn.CodeSuggester(
        name=f"dtors-starter{suffix} {dn.__version__}", embedder=embedder, prior_data=None
    ).fit_coded(passages)
    if mode != "default":
        model.save(folder, force=True)
    else:  # keep training-data/ beside the model files
        staging = HERE / ".dtors-starter-new"
        model.save(staging, force=True)
        for file in staging.iterdir():
            shutil.move(str(file), STARTER / file.name)
        staging.rmdir()
    print(f"rebuilt {folder} from {len(passages)} passages")


if __name__ == "__main__":
    main()
