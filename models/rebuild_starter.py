"""Rebuild the starter model shipped in models/dtors-starter from its training set.

    python models/rebuild_starter.py          # models/dtors-starter, on the bundled MiniLM
    python models/rebuild_starter.py --fast   # models/dtors-starter-fast, on models/minilm-static

Training is deterministic (fixed folds, no random search), so the same training set, sentence
model and library version give the same model. The training set is illustrative and written by
the team (see models/dtors-starter/training-data/README.md). The fast model is trained on the
same set with the static embedding model that ``dtors-nlp annotate --fast`` uses (see
models/distill_static.py); it keeps no copy of the training data.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import dtors_nlp as dn

HERE = Path(__file__).resolve().parent
STARTER = HERE / "dtors-starter"
FAST = HERE / "dtors-starter-fast"
STATIC_EMBEDDER = HERE / "minilm-static"
NAME = f"dtors-starter {dn.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="the fast mode's starter model")
    fast = parser.parse_args().fast
    passages = dn.load_coded(STARTER / "training-data")
    if fast:
        model = dn.CodeSuggester(
            name=f"dtors-starter-fast {dn.__version__}", embedder=STATIC_EMBEDDER, prior_data=None
        )
        model.fit_coded(passages).save(FAST, force=True)
        print(f"rebuilt {FAST} from {len(passages)} passages")
        return
    model = dn.CodeSuggester(name=NAME, prior_data=None).fit_coded(passages)
    staging = HERE / ".dtors-starter-new"
    model.save(staging, force=True)
    for file in staging.iterdir():  # keep training-data/ beside the model files
        shutil.move(str(file), STARTER / file.name)
    staging.rmdir()
    print(f"rebuilt {STARTER} from {len(passages)} passages")


if __name__ == "__main__":
    main()
