"""Real, human-coded transcripts: train on AnnoMI client utterances, then pre-code AnnoMI.

AnnoMI (../shared/data/annomi) is used for evaluation only and never copied into the project;
these tests skip when it is not beside the clone.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main

REPO = Path(__file__).resolve().parents[1]
ANNOMI = REPO.parent / "shared" / "data" / "annomi" / "AnnoMI-simple.csv"
CODEBOOK = REPO / "examples" / "annomi-codebook.yaml"


@pytest.fixture(scope="module")
def annomi_subset(tmp_path_factory) -> Path:
    """The first 12 AnnoMI conversations, as the original table."""
    if not ANNOMI.is_file():
        pytest.skip("the shared AnnoMI data is not beside the clone")
    with ANNOMI.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = [row for row in reader if int(row["transcript_id"]) < 12]
        fields = reader.fieldnames
    subset = tmp_path_factory.mktemp("annomi") / "annomi-subset.csv"
    with subset.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return subset


def test_train_on_annomi_talk_types_and_precode_annomi(annomi_subset, tmp_path, load_script):
    converter = load_script("examples/annomi_to_training.py")
    rows = [r for r in converter.training_rows(annomi_subset) if int(r["transcript"][7:]) < 8]
    training = tmp_path / "train.csv"
    with training.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    model = tmp_path / "annomi-model"
    runner = CliRunner()
    result = runner.invoke(
        main, ["--quiet", "train", str(training), "--codebook", str(CODEBOOK), "--out", str(model)]
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((model / "model.json").read_text("utf-8"))
    assert settings["uses_context"] is True  # the therapist's question is used
    assert set(settings["thresholds"]) == {"talk/change", "talk/sustain"}

    out = tmp_path / "draft"
    result = runner.invoke(
        main, ["--quiet", "annotate", str(annomi_subset), "--out", str(out), "--model", str(model)]
    )
    assert result.exit_code == 0, result.output
    suggestions = [json.loads(line) for line in (out / "suggestions.jsonl").open(encoding="utf-8")]
    assert {s["code"] for s in suggestions} <= {"talk/change", "talk/sustain"}
    assert len({s["transcript"] for s in suggestions}) >= 8
    assert all(s["speaker"] == "client" for s in suggestions)
