"""Rebuild the starter model shipped in models/dtors-starter from its training set.

    python models/rebuild_starter.py

Training is deterministic (fixed folds, no random search), so the same training set, sentence
model and library version give the same model. The training set is illustrative and written by
the team (see models/dtors-starter/training-data/README.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dtors_nlp as dn

HERE = Path(__file__).resolve().parent
STARTER = HERE / "dtors-starter"
NAME = f"dtors-starter {dn.__version__}"


def main() -> None:
    passages = dn.load_coded(STARTER / "training-data")
    model = dn.CodeSuggester(name=NAME).fit_coded(passages)
    staging = HERE / ".dtors-starter-new"
    model.save(staging, force=True)
    for file in staging.iterdir():  # keep training-data/ beside the model files
        shutil.move(str(file), STARTER / file.name)
    staging.rmdir()
    print(f"rebuilt {STARTER} from {len(passages)} passages")


if __name__ == "__main__":
    main()
