"""The text model: fast features equal scikit-learn's, save/load/tamper, calibration, training
reproducibility."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pantau.classify.corpus import LABELS, generate
from pantau.classify.model import MANIFEST_FILE, MODEL_FILE, TextModel
from pantau.errors import ModelError

from classify_helpers import shipped_model, small_model_dir  # noqa: F401  (fixtures)


def test_fast_features_equal_sklearn(small_model_dir: Path) -> None:
    model = TextModel.load(small_model_dir)
    texts = [r["text"].lower() for r in generate(seed=99)][:500] + ["", "   ", "#tag @who 02"]
    fast = model.transform(texts).toarray()
    slow = model.estimator.named_steps["features"].transform(texts).toarray()
    assert np.allclose(fast, slow, atol=1e-6)


def test_probabilities_are_calibrated_distributions(small_model_dir: Path) -> None:
    model = TextModel.load(small_model_dir)
    assert sorted(model.classes_) == sorted(LABELS)
    p = model.predict_proba(["ayo coblos nomor __num__ __cand__", "selamat pagi semua",
                             "kpu umumkan jadwal debat __cand__"])
    assert p.shape == (3, len(LABELS))
    assert np.all((p >= 0) & (p <= 1)) and np.allclose(p.sum(axis=1), 1.0)
    top = [model.classes_[i] for i in p.argmax(axis=1)]
    assert top == ["invitation", "private", "neutral_election"]
    assert model.predict_proba([]).shape == (0, len(LABELS))


def test_explain_names_features_of_the_text(small_model_dir: Path) -> None:
    model = TextModel.load(small_model_dir)
    feats = model.explain("ayo coblos nomor __num__ jangan lupa", k=3)
    assert 1 <= len(feats) <= 3
    assert all(any(part in "ayo coblos nomor __num__ jangan lupa" for part in f.split())
               for f in feats)


def test_save_load_roundtrip_and_threshold(small_model_dir: Path, tmp_path: Path) -> None:
    model = TextModel.load(small_model_dir)
    metrics = json.loads((small_model_dir / "metrics.json").read_text())
    assert model.threshold == metrics["threshold"]
    copy = tmp_path / "copy"
    model.save(copy)
    again = TextModel.load(copy)
    text = ["pokoknya __num__ menang! __tag__"]
    assert np.allclose(again.predict_proba(text), model.predict_proba(text))
    assert again.version == model.version
    # the vocabularies travel as string arrays (fast skops load) and come back as dicts,
    # in the saver's memory too
    for m in (model, again):
        for _name, vec in m.estimator.named_steps["features"].transformer_list:
            assert isinstance(vec.vocabulary_, dict) and "vocabulary_array_" not in vars(vec)
    names = again.estimator.named_steps["features"].get_feature_names_out()
    assert list(names) == list(model.estimator.named_steps["features"].get_feature_names_out())
    with zipfile.ZipFile(copy / MODEL_FILE) as archive:
        schema = archive.read("schema.json").decode()
    assert "vocabulary_array_" in schema and '"vocabulary_"' not in schema


def test_missing_and_tampered_models_are_clear_errors(small_model_dir: Path,
                                                      tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model here"):
        TextModel.load(tmp_path / "nothing")
    bad = tmp_path / "bad"
    shutil.copytree(small_model_dir, bad)
    data = bytearray((bad / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bad / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="altered"):
        TextModel.load(bad)
    manifest = json.loads((bad / MANIFEST_FILE).read_text())
    manifest["sha256"] = "0" * 64
    (bad / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="does not match"):
        TextModel.load(bad)


def test_default_model_missing_is_model_error(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    from pantau.config import get_settings

    monkeypatch.setenv("PANTAU_CLASSIFIER__MODEL_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    with pytest.raises(ModelError, match="pantau train"):
        TextModel.load()


@pytest.mark.slow
def test_training_metrics_and_reproducibility(small_model_dir: Path, tmp_path: Path) -> None:
    from pantau.classify.train import train

    first = json.loads((small_model_dir / "metrics.json").read_text())
    again = train(tmp_path / "again", seed=7, scale=0.08, models=(("svm", 0.3),))
    for key in ("threshold", "version"):
        assert again.metrics[key] == first[key]
    assert again.metrics["validation"]["per_class"] == first["validation"]["per_class"]
    assert again.metrics["validation"]["per_rule"] == first["validation"]["per_rule"]
    v = first["validation"]
    assert set(v["per_rule"]) == {"KE-02", "DS-02", "DS-08", "DS-05"}
    assert first["corpus"]["validation_election"] not in {
        e for e in first["corpus"]["elections"] if e != first["corpus"]["validation_election"]}
    # calibration: observed share of campaign texts rises with the predicted probability
    bins = v["reliability_p_campaign"]
    assert bins[0]["observed"] < 0.2 and bins[-1]["observed"] > 0.8
    card = (small_model_dir / "README.md").read_text()
    assert "Known limits" in card and "held-out election" in card


def test_shipped_model_metrics(shipped_model: TextModel) -> None:  # noqa: F811
    metrics = json.loads((shipped_model.path / "metrics.json").read_text())
    assert metrics["version"] == shipped_model.version
    assert 0.3 <= metrics["threshold"] <= 0.9
    assert metrics["validation"]["macro_f1"] > 0.9
    for bin_ in metrics["validation"]["reliability_p_campaign"]:
        if bin_["n"] >= 50:  # well-populated bins: prediction within 0.25 of the observed rate
            assert abs(bin_["mean_predicted"] - bin_["observed"]) < 0.25
