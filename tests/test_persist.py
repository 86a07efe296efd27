"""Model folders: saved without pickle, checked on loading, refused when they do not fit."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import dtors_nlp as dn
from dtors_nlp.persist import (
    MODEL_FILES,
    CodebookChangedWarning,
    folder_fingerprint,
    starter_model_path,
)

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


def test_a_model_for_another_sentence_model_is_refused(small_model, tmp_path):
    other = copy.copy(small_model)
    other.embedder_ = SimpleNamespace(name="all-MiniLM-L6-v2", identity=f"all-MiniLM-L6-v2@{0:016}")
    other.save(tmp_path / "other")
    with pytest.raises(dn.ModelError, match="trained with sentence model"):
        dn.load_model(tmp_path / "other")


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(dn.ModelError, match="not a model folder"):
        dn.load_model(tmp_path)


def test_the_starter_model_loads_and_describes_itself():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = dn.load_model()
    assert model.name.startswith("dtors-starter")
    assert starter_model_path().joinpath("README.md").is_file()
    assert set(model.codes) <= set(dn.load_codebook().codes)  # 1.0 models lack the 1.1 codes
    assert model.trained_on_["passages"] >= 1000
    notes = [w for w in caught if issubclass(w.category, CodebookChangedWarning)]
    assert len(notes) == int(model.codebook_ != dn.load_codebook())  # one line while it is older


# --- fingerprints -----------------------------------------------------------------------------


def _copy_model(folder: Path, to: Path) -> Path:
    to.mkdir()
    for name in MODEL_FILES:
        shutil.copyfile(folder / name, to / name)
    return to


def _byte_positions(data: bytes, fingerprint: str) -> set[int]:
    """First, last and middle byte, 20 more spread over the file, every byte of the
    fingerprint where the file holds it, and the first letter of each of model.json's keys."""
    spread = {len(data) * i // 20 for i in range(20)} | {0, len(data) // 2, len(data) - 1}
    keys = {found.end() for found in re.finditer(rb'\n  "', data)}
    at = data.find(fingerprint.encode())
    return spread | keys | (set(range(at, at + len(fingerprint))) if at >= 0 else set())


@pytest.mark.parametrize("name", MODEL_FILES)
def test_any_byte_changed_in_the_starter_model_changes_its_fingerprint_and_is_refused(
    name, tmp_path
):
    starter = starter_model_path()
    fingerprint = json.loads((starter / "model.json").read_text("utf-8"))["fingerprint"]
    twin = _copy_model(starter, tmp_path / "copy")
    original = (starter / name).read_bytes()
    for position in sorted(_byte_positions(original, fingerprint)):
        changed = bytearray(original)
        changed[position] ^= 0x01
        (twin / name).write_bytes(bytes(changed))
        assert folder_fingerprint(twin, fingerprint) != fingerprint, position
        with pytest.raises(dn.ModelError) as refused:
            dn.load_model(twin)
        message = str(refused.value)
        assert message.startswith(f"{twin}: ") and "\n" not in message, position
    (twin / name).write_bytes(original)
    assert dn.model_info(twin)["fingerprint"] == fingerprint


def test_two_saves_of_the_same_state_give_the_same_fingerprint(small_model, tmp_path):
    small_model.save(tmp_path / "a")
    small_model.save(tmp_path / "b")
    first, second = (dn.load_model(tmp_path / name).folder_.fingerprint for name in "ab")
    assert first == second == small_model.folder_.fingerprint
    for name in MODEL_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    settings = json.loads((tmp_path / "a" / "model.json").read_text("utf-8"))
    assert settings["fingerprint"] == first and len(first) == 64
    assert f"Fingerprint: `{first}`" in (tmp_path / "a" / "README.md").read_text("utf-8")


def test_an_edited_setting_in_model_json_is_refused(saved, tmp_path):
    twin = _copy_model(saved, tmp_path / "copy")
    settings = json.loads((twin / "model.json").read_text("utf-8"))
    settings["parameters"]["likely_precision"] = 0.1
    (twin / "model.json").write_text(json.dumps(settings, indent=2), "utf-8")
    with pytest.raises(dn.ModelError, match="model.json was changed after saving"):
        dn.load_model(twin)


def test_a_folder_saved_before_fingerprints_loads_and_gets_one_computed(saved, tmp_path):
    twin = _copy_model(saved, tmp_path / "old")
    settings = json.loads((twin / "model.json").read_text("utf-8"))
    card = (twin / "README.md").read_text("utf-8")
    card = "".join(line for line in card.splitlines(True) if "Fingerprint" not in line)
    (twin / "README.md").write_text(card, "utf-8")
    del settings["fingerprint"]
    settings["checksums"]["README.md"] = hashlib.sha256(card.encode()).hexdigest()
    (twin / "model.json").write_text(json.dumps(settings, indent=2), "utf-8")
    folder = dn.load_model(twin).folder_
    assert not folder.recorded and folder.fingerprint == folder_fingerprint(twin)
    assert dn.model_info(twin)["fingerprint_recorded"] is False


@pytest.mark.parametrize("name", ["dtors-starter", "dtors-starter-fast"])
def test_the_shipped_models_carry_their_fingerprint(name):
    info = dn.model_info(starter_model_path(name))
    assert info["fingerprint_recorded"] and info["name"].startswith(name)
    card = starter_model_path(name).joinpath("README.md").read_text("utf-8")
    assert info["fingerprint"] in card
