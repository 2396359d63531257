"""The text model: character + word n-grams, a linear classifier, calibrated probabilities.

    model = TextModel.load()                  # newest under models/ (or settings.classifier.model_dir)
    p = model.predict_proba(prepared_texts)   # rows sum to 1, columns = model.classes_
    model.explain(prepared_text, k=5)         # strongest features for the predicted class

Texts given to the model are *prepared*: normalised and with candidate mentions masked by the
linker (`pipeline.prepare`), so the model reads "ayo coblos nomor __num__ __tag__" and learns
the pattern of support, not the names of one race.

Saved with skops (no pickle): `model.skops` + `manifest.json` holding its SHA-256. Loading
checks the hash and refuses any type outside scikit-learn / numpy / scipy, so a missing or
altered model is a `ModelError`, never code execution.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError

MODEL_FILE = "model.skops"
MANIFEST_FILE = "manifest.json"
METRICS_FILE = "metrics.json"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.")


def build_estimator(kind: str = "svm", seed: int = 0, c: float | None = None) -> Any:
    """An unfitted scikit-learn pipeline: FeatureUnion(char_wb 2-5, word 1-2) -> calibrated linear."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion([
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                 min_df=2, max_features=100_000, dtype=np.float32)),
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                 min_df=2, token_pattern=r"(?u)[#@]?\w+",
                                 max_features=50_000, dtype=np.float32)),
    ])
    if kind == "svm":
        base = LinearSVC(C=c or 0.3, random_state=seed)
    elif kind == "logreg":
        base = LogisticRegression(C=c or 8.0, max_iter=3000, random_state=seed)
    else:
        raise ValueError(f"unknown model kind {kind!r} (svm or logreg)")
    # Sigmoid calibration fitted on 3-fold out-of-fold scores (the threshold is read as a
    # probability); ensemble=False keeps one linear model: a third of the size and the time.
    clf = CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False)
    return Pipeline([("features", features), ("clf", clf)])


class TextModel:
    """A fitted classifier with its version and metadata."""

    def __init__(self, estimator: Any, version: str, meta: dict[str, Any] | None = None,
                 path: Path | None = None) -> None:
        self.estimator = estimator
        self.version = version
        self.meta = meta or {}
        self.path = path
        self._names: np.ndarray | None = None
        self._coef: np.ndarray | None = None
        self._fast: Any = None
        self._classes: list[str] | None = None

    @property
    def classes_(self) -> list[str]:
        if self._classes is None:
            self._classes = [str(c) for c in self.estimator.classes_]
        return self._classes

    @property
    def threshold(self) -> float | None:
        """The flagging threshold tuned on the validation election (metrics.json)."""
        value = self.meta.get("threshold")
        return float(value) if value is not None else None

    # --- training ------------------------------------------------------------------------
    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], *, kind: str = "svm",
            seed: int = 0, c: float | None = None, version: str = "",
            meta: dict[str, Any] | None = None) -> TextModel:
        estimator = build_estimator(kind, seed, c)
        estimator.fit(list(texts), list(labels))
        return cls(estimator, version, meta)

    # --- prediction ----------------------------------------------------------------------
    def transform(self, texts: Sequence[str]) -> Any:
        """The feature matrix (CSR) of prepared texts, by the fast batch path."""
        if self._fast is None:
            from .features import FastFeatures

            self._fast = FastFeatures(self.estimator.named_steps["features"])
        return self._fast.transform(texts)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities for prepared texts (one row per text)."""
        if len(texts) == 0:
            return np.zeros((0, len(self.classes_)))
        return self.proba_from_features(self.transform(texts))

    def proba_from_features(self, x: Any) -> np.ndarray:
        return self.estimator.named_steps["clf"].predict_proba(x)

    def _coefficients(self) -> np.ndarray:
        """The linear weights (classes x features), averaged over the calibration folds."""
        if self._coef is None:
            clf = self.estimator.named_steps["clf"]
            coefs = [c.estimator.coef_ for c in clf.calibrated_classifiers_]
            self._coef = np.mean(coefs, axis=0)
        return self._coef

    def explain(self, text: str, k: int = 5, label: str | None = None) -> list[str]:
        """The `k` features of `text` that push hardest towards `label` (default: predicted)."""
        x = self.transform([text])
        if label is None:
            label = self.classes_[int(np.argmax(self.proba_from_features(x)[0]))]
        return self.explain_row(x, 0, label, k)

    def explain_row(self, x: Any, i: int, label: str, k: int = 5) -> list[str]:
        """Like `explain`, for row `i` of an already computed feature matrix `x`."""
        start, end = x.indptr[i], x.indptr[i + 1]
        if start == end:
            return []
        indices, data = x.indices[start:end], x.data[start:end]
        coef = self._coefficients()
        if coef.shape[0] == 1:  # binary models keep one row
            coef = np.vstack([-coef[0], coef[0]])
        contrib = data * coef[self.classes_.index(label), indices]
        top = np.argsort(-contrib)[: 8 * k]
        top = top[contrib[top] > 0]
        if self._names is None:
            self._names = self.estimator.named_steps["features"].get_feature_names_out()
        names = [str(n) for n in self._names[indices[top]]]
        # Whole words and word pairs read better in a reason than character n-grams; the
        # overlapping n-grams of one word ("cobl", "oblos") are shown once.
        ranked = [n for n in names if n.startswith("word__")] + [
            n for n in names if not n.startswith("word__")]
        out: list[str] = []
        for full in ranked:
            name = full.split("__", 1)[-1].strip()
            if name and not any(name in o or o in name for o in out):
                out.append(name)
                if len(out) >= k:
                    break
        return out

    # --- persistence ---------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write model.skops and manifest.json (with the file's SHA-256) into `directory`."""
        import skops.io as sio

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / MODEL_FILE
        _drop_stop_words(self.estimator)
        _pack_vocabulary(self.estimator)
        try:
            sio.dump(self.estimator, target, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        finally:
            _unpack_vocabulary(self.estimator)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        manifest = {"version": self.version, "file": MODEL_FILE, "sha256": digest,
                    "classes": self.classes_, **{k: v for k, v in self.meta.items()
                                                 if k not in {"version", "sha256"}}}
        (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                               + "\n", encoding="utf-8")
        self.path = directory
        return directory

    @classmethod
    def load(cls, directory: str | Path | None = None) -> TextModel:
        """Load a saved model; `None`: the configured or newest shipped one. ModelError if bad."""
        import skops.io as sio

        directory = Path(directory) if directory is not None else default_model_dir()
        manifest_path = directory / MANIFEST_FILE
        target = directory / MODEL_FILE
        if not manifest_path.is_file() or not target.is_file():
            raise ModelError(f"{directory}: no model here (expected {MODEL_FILE} and "
                             f"{MANIFEST_FILE}; build one with `pantau train`)")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"{manifest_path}: unreadable manifest: {exc}") from None
        data = target.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != manifest.get("sha256"):
            raise ModelError(f"{target}: SHA-256 {digest[:12]}… does not match the manifest "
                             f"({str(manifest.get('sha256'))[:12]}…): the model file was altered "
                             "or replaced; retrain with `pantau train`")
        try:
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as exc:  # skops raises various errors for a broken archive
            raise ModelError(f"{target}: not a readable skops model: {exc}") from None
        bad = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if bad:
            raise ModelError(f"{target}: refuses to load unexpected types {bad}")
        try:
            estimator = sio.loads(data, trusted=untrusted)
        except Exception as exc:
            raise ModelError(f"{target}: cannot load the model: {exc}") from None
        _unpack_vocabulary(estimator)
        meta = dict(manifest)
        metrics_path = directory / METRICS_FILE
        if metrics_path.is_file():
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
            meta.setdefault("threshold", metrics.get("threshold"))
        return cls(estimator, str(manifest.get("version", directory.name)), meta, directory)


def _drop_stop_words(estimator: Any) -> None:
    """Delete the fitted vectorizers' `stop_words_` before saving.

    It holds every n-gram cut by min_df / max_features (hundreds of thousands of strings):
    scikit-learn documents it as only for introspection and safe to delete, and it dominated
    the skops file's size and load time.
    """
    for vec in _vectorizers(estimator):
        if hasattr(vec, "stop_words_"):
            del vec.stop_words_


# skops writes a dict node by node (seconds for the ~70,000 n-grams of the vocabularies, on
# both the type check and the load); a numpy string array is one .npy entry in the archive.
_VOCAB_ARRAY = "vocabulary_array_"


def _vectorizers(estimator: Any) -> list[Any]:
    steps = getattr(estimator, "named_steps", None)
    union = steps.get("features") if steps is not None else None
    return [vec for _name, vec in getattr(union, "transformer_list", [])]


def _pack_vocabulary(estimator: Any) -> None:
    """Replace each fitted `vocabulary_` dict by the array of terms in index order."""
    for vec in _vectorizers(estimator):
        vocab = getattr(vec, "vocabulary_", None)
        if isinstance(vocab, dict):
            terms = np.empty(len(vocab), dtype=object)
            for term, index in vocab.items():
                terms[index] = term
            setattr(vec, _VOCAB_ARRAY, terms.astype(str))
            del vec.vocabulary_


def _unpack_vocabulary(estimator: Any) -> None:
    """Inverse of `_pack_vocabulary` (after saving, and after loading a packed model)."""
    for vec in _vectorizers(estimator):
        terms = vec.__dict__.pop(_VOCAB_ARRAY, None)
        if terms is not None:
            vec.vocabulary_ = {str(t): i for i, t in enumerate(terms.tolist())}


def models_root() -> Path:
    """`models/` of the source tree (where `pantau train` writes and the default model ships)."""
    return Path(__file__).resolve().parents[3] / "models"


def default_model_dir() -> Path:
    """settings.classifier.model_dir if set, else the newest version under models/."""
    from ..config import get_settings

    configured = get_settings().classifier.model_dir
    if configured is not None:
        return Path(configured)
    root = models_root()
    candidates = sorted((p for p in root.glob("*/") if (p / MANIFEST_FILE).is_file()),
                        key=lambda p: _version_key(p.name))
    if not candidates:
        raise ModelError(f"{root}: no model found; build one with `pantau train`")
    return candidates[-1]


def _version_key(name: str) -> tuple[int, ...]:
    head = name.split("-", 1)[0]
    try:
        return tuple(int(p) for p in head.split("."))
    except ValueError:
        return (0,)


def make_version(fingerprint: str, today: date | None = None) -> str:
    """'2026.11.0-1a2b3c4d': the month of training and a hash of data + settings."""
    today = today or date.today()
    return f"{today.year}.{today.month}.0-{fingerprint[:8]}"


__all__ = ["TextModel", "build_estimator", "default_model_dir", "make_version", "models_root"]
