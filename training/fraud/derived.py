"""Derived inputs computed inside the model graph from the 15 stream features.

The stream feeds exactly FRAUD_FEATURE_NAMES; the models add, inside model.onnx, seven ratios that
compare a transaction and a card's recent days with the card's own history: the amount over the
customer's 1/7/30-day average amount (a compromised card's ×5 amounts, handbook scenario 3, stand out
against the card's history far better than in absolute terms), and the 1- and 7-day average amounts
and counts over the 30-day ones (a card whose recent spending jumps). Modes:
- "ratios": the 15 inputs + 7 ratios (trees);
- "log": log1p(max(x, 0)) of those 22 columns (heavy-tailed counts and amounts, for the MLP);
- "raw+log": the 22 columns followed by their log1p (44 columns; the MLP's grid tries both).
The NumPy function here is what training sees; `prefix_graph` is the same arithmetic in ONNX
(float32), merged in front of the exported model, so serving cannot drift from training.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# name → (numerator, denominator); each derived input is numerator / max(denominator, EPS).
RATIOS = {
    "AMOUNT_TO_CUSTOMER_AVG_1DAY": ("TX_AMOUNT", "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"),
    "AMOUNT_TO_CUSTOMER_AVG_7DAY": ("TX_AMOUNT", "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW"),
    "AMOUNT_TO_CUSTOMER_AVG_30DAY": ("TX_AMOUNT", "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"),
    "CUSTOMER_AVG_1DAY_TO_30DAY": ("CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"),
    "CUSTOMER_AVG_7DAY_TO_30DAY": ("CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"),
    "CUSTOMER_NB_TX_1DAY_TO_30DAY": ("CUSTOMER_ID_NB_TX_1DAY_WINDOW", "CUSTOMER_ID_NB_TX_30DAY_WINDOW"),
    "CUSTOMER_NB_TX_7DAY_TO_30DAY": ("CUSTOMER_ID_NB_TX_7DAY_WINDOW", "CUSTOMER_ID_NB_TX_30DAY_WINDOW"),
}
EPS = 1e-3
AUGMENTED = "augmented"


def derived_names() -> list[str]:
    return list(RATIOS)


MODES = ("ratios", "log", "raw+log")


def width(features: list[str], mode: str) -> int:
    base = len(features) + len(RATIOS)
    return 2 * base if mode == "raw+log" else base


def augment(X: np.ndarray, features: list[str], mode: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    num = X[:, [features.index(n) for n, _ in RATIOS.values()]]
    den = X[:, [features.index(d) for _, d in RATIOS.values()]]
    Z = np.hstack([X, num / np.maximum(den, EPS)])
    if mode == "ratios":
        return Z
    L = np.log1p(np.maximum(Z, 0.0))
    return L if mode == "log" else np.hstack([Z, L])


def describe(features: list[str], mode: str) -> list[dict]:
    steps = [
        {
            "op": "derive",
            "outputs": derived_names(),
            "formula": {name: f"{n} / max({d}, {EPS})" for name, (n, d) in RATIOS.items()},
            "appended": "after the 15 inputs, in this order",
        }
    ]
    if mode == "log":
        steps.append({"op": "log1p", "formula": "log(1 + max(x, 0)) on all 22 columns"})
    if mode == "raw+log":
        steps.append({"op": "concat-log1p", "formula": "the 22 columns followed by log(1 + max(x, 0)) of each (44 columns)"})
    return steps


def prefix_graph(features: list[str], mode: str, opset_imports, ir_version: int) -> onnx.ModelProto:
    log = mode != "ratios"
    n = len(features)
    num_idx = numpy_helper.from_array(
        np.array([features.index(n) for n, _ in RATIOS.values()], dtype=np.int64), "aug_num_idx"
    )
    den_idx = numpy_helper.from_array(
        np.array([features.index(d) for _, d in RATIOS.values()], dtype=np.int64), "aug_den_idx"
    )
    eps = numpy_helper.from_array(np.array(EPS, dtype=np.float32), "aug_eps")
    zero = numpy_helper.from_array(np.array(0.0, dtype=np.float32), "aug_zero")
    one = numpy_helper.from_array(np.array(1.0, dtype=np.float32), "aug_one")
    nodes = [
        helper.make_node("Gather", ["features", "aug_num_idx"], ["aug_num"], axis=1),
        helper.make_node("Gather", ["features", "aug_den_idx"], ["aug_den"], axis=1),
        helper.make_node("Max", ["aug_den", "aug_eps"], ["aug_den_floor"]),
        helper.make_node("Div", ["aug_num", "aug_den_floor"], ["aug_ratios"]),
        helper.make_node("Concat", ["features", "aug_ratios"], ["aug_cat" if log else AUGMENTED], axis=1),
    ]
    if log:
        nodes += [
            helper.make_node("Max", ["aug_cat", "aug_zero"], ["aug_pos"]),
            helper.make_node("Add", ["aug_pos", "aug_one"], ["aug_plus1"]),
            helper.make_node("Log", ["aug_plus1"], [AUGMENTED if mode == "log" else "aug_log"]),
        ]
    if mode == "raw+log":
        nodes.append(helper.make_node("Concat", ["aug_cat", "aug_log"], [AUGMENTED], axis=1))
    graph = helper.make_graph(
        nodes,
        "derived_inputs",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, n])],
        [helper.make_tensor_value_info(AUGMENTED, TensorProto.FLOAT, [None, width(features, mode)])],
        initializer=[num_idx, den_idx, eps, *([zero, one] if log else [])],
    )
    model = helper.make_model(graph, opset_imports=list(opset_imports))
    model.ir_version = ir_version
    return model


def with_prefix(core: onnx.ModelProto, features: list[str], mode: str) -> onnx.ModelProto:
    """core takes input `augmented` [N, width]; returns a model taking `features` [N, 15]."""
    prefix = prefix_graph(features, mode, core.opset_import, core.ir_version)
    merged = onnx.compose.merge_models(prefix, core, io_map=[(AUGMENTED, AUGMENTED)])
    onnx.checker.check_model(merged)
    return merged
