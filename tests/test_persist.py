"""Model folders: saved without pickle, checked on loading, refused when they do not fit."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import dtors_nlp as dn
from dtors_nlp.persist import starter_model_path

TEXTS = ["I was rattling all night and had to score first thing.", "The weather was grand."]


@pytest.fixture(scope="module")
def saved(small_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models") / "mine"
    small_model.save(folder)
    return folder


def test_a_saved_model_predicts_the_same(small_model, saved, embedder):
    loaded = dn.load_model(saved, embedder=embedder)
    assert loaded.codes == small_model.codes
    assert np.allclose(loaded.predict_proba(TEXTS), small_model.predict_proba(TEXTS))
    assert loaded.thresholds_ == small_model.thresholds_


def test_the_folder_holds_no_pickle_and_a_model_card(saved):
    with zipfile.ZipFile(saved / "arrays.npz") as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    np.load(saved / "arrays.npz", allow_pickle=False)  # would raise on object arrays
    card = (saved / "README.md").read_text("utf-8")
    assert "Out-of-fold figures" in card and "`outcome/relapsed`" in card
    settings = json.loads((saved / "model.json").read_text("utf-8"))
    assert set(settings["checksums"]) == {"arrays.npz", "exemplars.json", "README.md"}
    assert settings["embedder"]["name"] == "all-MiniLM-L6-v2"


def test_saving_over_an_existing_folder_needs_force(small_model, saved):
    with pytest.raises(dn.DtorsError, match="already exists"):
        small_model.save(saved)


@pytest.mark.parametrize("name", ["arrays.npz", "exemplars.json", "README.md"])
def test_a_tampered_or_truncated_file_is_refused(saved, tmp_path, name):
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in saved.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    data = (copy / name).read_bytes()
    (copy / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(dn.ModelError, match=f"{name} was changed or truncated"):
        dn.load_model(copy)


def test_a_model_for_another_codebook_is_refused(saved, tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "name: Mine\ndimensions:\n  - name: talk\n    multi_label: false\n"
        "    codes:\n      - name: change\n      - name: sustain\n",
        "utf-8",
    )
    with pytest.raises(dn.ModelError, match="codes the model lacks: talk/change"):
        dn.load_model(saved, codebook=dn.load_codebook(mine))


def test_a_model_for_another_sentence_model_is_refused(saved, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in saved.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    settings = json.loads((copy / "model.json").read_text("utf-8"))
    settings["embedder"]["identity"] = "all-MiniLM-L6-v2@0000000000000000"
    (copy / "model.json").write_text(json.dumps(settings), "utf-8")
    with pytest.raises(dn.ModelError, match="trained with sentence model"):
        dn.load_model(copy)


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(dn.ModelError, match="not a model folder"):
        dn.load_model(tmp_path)


def test_the_starter_model_loads_and_describes_itself():
    model = dn.load_model()
    assert model.name.startswith("dtors-starter")
    assert starter_model_path().joinpath("README.md").is_file()
    assert len(model.codes) == len(dn.load_codebook().codes)
    assert model.trained_on_["passages"] >= 1000
