"""The two fraud models, their ONNX export, and the small hyper-parameter grids searched on the
validation folds (never on the test week).

Both take the 15 raw stream features; derived.py adds seven ratios to the card's own history inside
the graph.
- fraud-gbt: LightGBM (gradient-boosted trees) on the 15 + 7 inputs (trees are scale-invariant, so no
  scaling), exported with onnxmltools as an ai.onnx.ml TreeEnsembleClassifier.
- fraud-mlp: scikit-learn MLPClassifier (feed-forward network, ReLU, Adam) on log1p of the 15 + 7
  inputs (or those and their log1p: a grid dimension) after a StandardScaler fitted on the training
  week (the handbook standardises on train); exported with skl2onnx. Everything is inside model.onnx:
  the stream feeds raw features.
"""

from __future__ import annotations

import itertools

import lightgbm as lgb
import numpy as np
import onnx
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType as MlFloatTensorType
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from . import derived
from .ensemble import Bagged, average_onnx

# Members per shipped model (seed bagging, see ensemble.py).
BAG = 5

TARGET_OPSET = 17
ML_OPSET = 3
# onnxmltools' LightGBM converter supports opsets up to 15.
GBT_OPSET = 15

GBT_BASE = {
    "objective": "binary",
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "n_jobs": 1,  # one thread: deterministic, and faster than contended OpenMP on a small box
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
GBT_GRID = {
    "num_leaves": [15, 31],
    "n_estimators": [300],
    "learning_rate": [0.02],
    "min_child_samples": [100, 200],
}

MLP_BASE = {
    "activation": "relu",
    "solver": "adam",
    "batch_size": 256,
    "max_iter": 60,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "n_iter_no_change": 8,
}
MLP_GRID = {
    "inputs": ["raw+log"],
    "hidden_layer_sizes": [(100, 50)],
    "alpha": [1e-3, 1e-2],
}


def grid(space: dict) -> list[dict]:
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


class Augmented:
    """An estimator trained on derived.augment(X): fit / predict_proba take the raw 15 features."""

    def __init__(self, estimator, features: list[str], mode: str):
        self.estimator, self.features, self.mode = estimator, list(features), mode

    def fit(self, X: np.ndarray, y: np.ndarray) -> "Augmented":
        self.estimator.fit(derived.augment(X, self.features, self.mode), y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(derived.augment(X, self.features, self.mode))


def make_gbt(params: dict, seed: int, features: list[str]) -> Bagged:
    params = {**GBT_BASE, **params}
    return Bagged([
        Augmented(lgb.LGBMClassifier(**params, random_state=seed + i), features, "ratios") for i in range(BAG)
    ])


def make_mlp(params: dict, seed: int, features: list[str]) -> Bagged:
    params = dict(params)
    mode = params.pop("inputs", "log")

    def member(i: int) -> Augmented:
        pipe = Pipeline(
            [
                ("scaler", StandardScaler()),
                ("mlp", MLPClassifier(**MLP_BASE, **params, random_state=seed + i)),
            ]
        )
        return Augmented(pipe, features, mode)

    return Bagged([member(i) for i in range(BAG)])


def export_gbt(model: Bagged, name: str) -> onnx.ModelProto:
    width = derived.width(model.features, model.mode)
    cores = [
        convert_lightgbm(
            m.estimator,
            name=f"{name}_{i}",
            initial_types=[(derived.AUGMENTED, MlFloatTensorType([None, width]))],
            zipmap=False,
            target_opset=GBT_OPSET,
        )
        for i, m in enumerate(model.members)
    ]
    return derived.with_prefix(average_onnx(cores, derived.AUGMENTED, name), model.features, model.mode)


def export_mlp(model: Bagged, name: str) -> onnx.ModelProto:
    width = derived.width(model.features, model.mode)
    cores = []
    for i, m in enumerate(model.members):
        pipe = m.estimator
        cores.append(
            convert_sklearn(
                pipe,
                name=f"{name}_{i}",
                initial_types=[(derived.AUGMENTED, FloatTensorType([None, width]))],
                options={id(pipe.named_steps["mlp"]): {"zipmap": False}},
                target_opset={"": TARGET_OPSET, "ai.onnx.ml": ML_OPSET},
            )
        )
    return derived.with_prefix(average_onnx(cores, derived.AUGMENTED, name), model.features, model.mode)


def describe_preprocessing(kind: str, model: Bagged) -> dict:
    steps = derived.describe(model.features, model.mode)
    if kind == "gbt":
        return {
            "inGraph": True,
            "description": (
                "Inside model.onnx: seven derived ratios appended to the 15 raw features; no scaling (trees are "
                f"invariant to monotone transforms); {BAG} boosters (seeds seed … seed + {BAG - 1}), probabilities "
                "averaged. The stream feeds the raw features."
            ),
            "steps": steps,
        }
    # Every member's scaler is fitted on the same training week: identical.
    scaler: StandardScaler = model.members[0].estimator.named_steps["scaler"]
    cols = [*model.features, *derived.derived_names()]
    if model.mode == "raw+log":
        cols = [*cols, *(f"LOG1P_{c}" for c in cols)]
    steps.append(
        {
            "op": "standardize",
            "fittedOn": f"training week (on the {model.mode} columns)",
            "mean": {f: float(f"{m:.9g}") for f, m in zip(cols, scaler.mean_)},
            "scale": {f: float(f"{s:.9g}") for f, s in zip(cols, scaler.scale_)},
        }
    )
    return {
        "inGraph": True,
        "description": (
            f"Inside model.onnx: seven derived ratios, {'log1p' if model.mode == 'log' else 'the columns and their log1p'}, "
            f"then standardisation (x − mean) / scale fitted on the training week (ai.onnx.ml Scaler); {BAG} "
            "networks (seeds seed … seed + 4), probabilities averaged. The stream feeds the raw features."
        ),
        "steps": steps,
    }


def positive_scores(model, X: np.ndarray) -> np.ndarray:
    return model.predict_proba(X)[:, 1].astype(np.float64)
