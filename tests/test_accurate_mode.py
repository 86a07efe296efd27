"""The accurate mode: all-mpnet-base-v2, from its five packages (``accurate_model.INSTALL``), and
its starter model. Tests that need the model skip when it is not installed."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp import accurate_model
from dtors_nlp.cli import main
from dtors_nlp.errors import ModelError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "transcripts"
ONE_TRANSCRIPT = EXAMPLES / "p01-keyworker.txt"
STARTER_DATA = Path(__file__).resolve().parents[1] / "models" / "dtors-starter" / "training-data"
needs_the_model = pytest.mark.skipif(
    accurate_model.installed_parts() is None,
    reason=f"all-mpnet-base-v2 is not installed ({accurate_model.INSTALL})",
)

WITHOUT_THE_MODEL = """
import dtors_nlp as dn
from dtors_nlp import accurate_model
accurate_model.PACKAGES = ("no-such-package-for-dtors-nlp",)
dn.load_model(mode="accurate")
"""


def test_without_the_model_the_accurate_mode_says_how_to_install_it(tmp_path):
    env = os.environ | {
        "DTORS_NLP_CACHE": str(tmp_path / "cache"),
        "HF_HUB_CACHE": str(tmp_path / "hub"),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_MODEL], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("dtors_nlp.errors.ModelError:")
    assert accurate_model.INSTALL in last and "all-mpnet-base-v2" in last


def _split_zip(folder: Path, files: dict[str, bytes], pieces: int = 3) -> list[Path]:
    """A zip of ``files`` under ``all-mpnet-base-v2/``, cut into ``pieces`` files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(f"{accurate_model.NAME}/{name}", data)
    data = buffer.getvalue()
    cut = len(data) // pieces + 1
    parts = []
    for i in range(pieces):
        part = folder / f"{accurate_model.NAME}.zip.{i + 1:03d}"
        part.write_bytes(data[i * cut : (i + 1) * cut])
        parts.append(part)
    return parts


def test_weights_that_are_not_the_measured_ones_are_refused_and_nothing_is_left(tmp_path):
    files = {"modules.json": b"[]", "model.safetensors": b"not the weights", "desktop.ini": b""}
    parts = _split_zip(tmp_path, files)
    target = tmp_path / "models" / accurate_model.NAME
    with pytest.raises(ModelError, match="SHA-256"):
        accurate_model.unpack(parts, target)
    assert not target.exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == []  # no staging folder left


def test_a_damaged_split_zip_is_a_one_line_error(tmp_path):
    parts = _split_zip(tmp_path, {"model.safetensors": b"x" * 1000})
    parts[1].write_bytes(b"damaged")
    with pytest.raises(ModelError, match="cannot unpack all-mpnet-base-v2 from its packages"):
        accurate_model.unpack(parts, tmp_path / "models" / accurate_model.NAME)


@needs_the_model
def test_the_model_is_unpacked_once_from_the_packages(tmp_path, monkeypatch):
    folder = tmp_path / "models" / accurate_model.NAME
    assert accurate_model.unpack(accurate_model.installed_parts(), folder) == folder
    assert (folder / "model.safetensors").is_file() and (folder / "modules.json").is_file()
    assert not list(folder.rglob("desktop.ini"))
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [accurate_model.NAME]
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    monkeypatch.setenv("DTORS_NLP_CACHE", str(tmp_path))
    assert accurate_model.accurate_model_path() == folder  # found, not unpacked again
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    embedder = dn.Embedder(accurate_model.NAME, cache=False)
    assert embedder.model_path == folder and embedder.name == accurate_model.NAME
    assert embedder.encode(["I was rattling."]).shape == (1, 768)


@needs_the_model
def test_annotate_accurate_uses_the_accurate_starter_model(tmp_path):
    out = tmp_path / "draft"
    args = ["--quiet", "annotate", str(ONE_TRANSCRIPT), "--out", str(out), "--accurate"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "suggestions.jsonl").open(encoding="utf-8")]
    assert rows and {row["model"] for row in rows} == {f"dtors-starter-accurate {dn.__version__}"}
    model = dn.load_model(mode="accurate")  # the Python API gives the same suggestions
    assert model.embedder_.name == accurate_model.NAME
    expected = [s.to_dict() for s in model.suggest(dn.load_transcript(ONE_TRANSCRIPT))]
    assert [{k: row[k] for k in expected[0]} for row in rows] == expected


@pytest.fixture(scope="module")
def small_training_data(tmp_path_factory) -> Path:
    """The first 150 starter vignettes on pressures and motivation, as a CSV of their own."""
    lines = (STARTER_DATA / "vignettes" / "pressure_motivation.csv").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(lines)))
    path = tmp_path_factory.mktemp("coded") / "coded.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows[:151])
    return path


@needs_the_model
def test_the_spacy_component_runs_the_accurate_starter_model():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("dtors_codes", config={"model": "starter-accurate"})
    model = nlp.get_pipe("dtors_codes").model
    assert model.name == f"dtors-starter-accurate {dn.__version__}"
    transcript = dn.load_transcript(ONE_TRANSCRIPT)
    doc = nlp(dn.to_doc(transcript, nlp, process=False))
    group = doc.spans["dtors_codes"]
    expected = model.suggest(transcript)
    assert [(s.start_char, s.end_char, s.label_) for s in group] == [
        (s.start, s.end, s.code) for s in expected
    ]
    assert list(group.attrs["scores"]) == [s.confidence for s in expected]


@needs_the_model
def test_cluster_workers_look_the_accurate_model_up_themselves():
    from dtors_nlp.distributed import model_spec

    spec = model_spec(dn.load_model(mode="accurate"))
    assert spec.embedder == accurate_model.NAME  # not a path on the client's disk


@needs_the_model
def test_a_model_trained_accurate_finds_its_sentence_model_when_loaded(
    tmp_path, small_training_data
):
    out = tmp_path / "ours"
    data = small_training_data
    args = ["--quiet", "train", str(data), "--out", str(out), "--accurate", "--prior", "none"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "model.json").read_text("utf-8"))
    assert settings["embedder"]["name"] == accurate_model.NAME
    model = dn.load_model(out)  # no embedder named: the accurate mode's is found
    assert model.embedder_.identity == settings["embedder"]["identity"]
    assert model.predict_proba(["I only drank to get through the week."]).shape == (
        1,
        len(model.codes),
    )


@needs_the_model
def test_evaluate_accurate_embeds_with_all_mpnet_base_v2(small_training_data, tmp_path):
    cache = Path(os.environ["DTORS_NLP_CACHE"])
    args = ["--quiet", "evaluate", str(small_training_data), "--accurate", "--folds", "3"]
    args += ["--no-learning-curve", "--prior", "none", "--report", str(tmp_path / "report")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report" / "report.json").read_text("utf-8"))
    assert report["summary"]["passages"] == 150
    assert list(cache.glob(f"embeddings-{accurate_model.NAME}-*.sqlite"))


@needs_the_model
def test_audit_accurate_checks_every_coding_with_all_mpnet_base_v2(small_training_data):
    cache = Path(os.environ["DTORS_NLP_CACHE"])
    args = ["audit", str(small_training_data), "--accurate", "--prior", "none", "--folds", "3"]
    result = CliRunner().invoke(main, [*args, "-n", "5"])
    assert result.exit_code == 0, result.output
    assert "(150 passages x" in result.output and "listed the 5 most doubted" in result.output
    assert list(cache.glob(f"embeddings-{accurate_model.NAME}-*.sqlite"))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--fast"], "--fast and --accurate exclude each other"),
        (["--model", "m"], "--accurate uses the accurate starter model"),
    ],
)
def test_annotate_accurate_refuses_other_models(tmp_path, extra, message):
    args = ["annotate", str(ONE_TRANSCRIPT), "--out", str(tmp_path / "d"), "--accurate", *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output


def test_train_accurate_refuses_another_sentence_model(tmp_path):
    args = ["train", str(STARTER_DATA), "--out", str(tmp_path / "m"), "--accurate"]
    result = CliRunner().invoke(main, [*args, "--embedder", str(tmp_path)])
    assert result.exit_code == 2 and "--accurate sets the sentence model" in result.output


def test_load_model_refuses_a_mode_with_a_folder_and_an_unknown_mode(tmp_path):
    with pytest.raises(dn.DtorsError, match="picks a starter model"):
        dn.load_model(tmp_path, mode="accurate")
    with pytest.raises(dn.DtorsError, match="'default', 'fast' or 'accurate'"):
        dn.load_model(mode="precise")
