"""The model cascade as one ONNX graph: the screen scores the whole batch, the rows it does not clear are
gathered, the decider scores only those, and their scores are scattered back. One session, one run per
batch; the scores equal `cascade_scores(screen, decider, clearBelow)` exactly.

An exploration, not a shipped model (BENCHMARKS.md, "Tenth pass"): it measures how far composing the
cascade inside ONNX Runtime moves micro-batched vs per-event rows/s. It writes a version folder that the
model registry accepts (the decider's model.json with this artifact's name, size and hash):

    training/.venv/bin/python -m training.fraud.cascade_graph --out /tmp/cascade-models
    npx tsx bench/inference.ts --model /tmp/cascade-models/fraud-cascade/1.0.0 --load-shares 0.5

The decider's thresholds and reference apply unchanged: a cleared row's score is below the screen's
cut-off, which is below the decider's review threshold, so it is approved either way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _prefixed(graph: onnx.GraphProto, prefix: str, renames: dict[str, str]):
    """The graph's nodes and initializers with every value name prefixed, except those in `renames`."""

    def name(value: str) -> str:
        if value == "":
            return value
        return renames.get(value, prefix + value)

    initializers = []
    for tensor in graph.initializer:
        copy = onnx.TensorProto()
        copy.CopyFrom(tensor)
        copy.name = prefix + tensor.name
        initializers.append(copy)
    nodes = []
    for i, node in enumerate(graph.node):
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        del copy.input[:]
        copy.input.extend(name(v) for v in node.input)
        del copy.output[:]
        copy.output.extend(name(v) for v in node.output)
        copy.name = f"{prefix}{node.name or node.op_type}_{i}"
        nodes.append(copy)
    return nodes, initializers


def compose(screen: onnx.ModelProto, decider: onnx.ModelProto, clear_below: float) -> onnx.ModelProto:
    """One graph: input `features` [N, F]; outputs `label` [N] and `probabilities` [N, 2]."""
    for model in (screen, decider):
        inputs = [i.name for i in model.graph.input]
        outputs = [o.name for o in model.graph.output]
        if inputs != ["features"] or "probabilities" not in outputs:
            raise ValueError(f"expected input [features] and an output probabilities, got {inputs} → {outputs}")
    s_nodes, s_inits = _prefixed(screen.graph, "screen/", {"features": "features"})
    d_nodes, d_inits = _prefixed(decider.graph, "decider/", {"features": "escalated_features"})
    select = [
        helper.make_node("Gather", ["screen/probabilities", "cascade/one"], ["cascade/screen_score"], axis=1),
        helper.make_node("GreaterOrEqual", ["cascade/screen_score", "cascade/clear_below"], ["cascade/escalate"]),
        helper.make_node("NonZero", ["cascade/escalate"], ["cascade/nonzero"]),
        helper.make_node("Transpose", ["cascade/nonzero"], ["cascade/rows"], perm=[1, 0]),
        helper.make_node("GatherND", ["features", "cascade/rows"], ["escalated_features"]),
    ]
    merge = [
        helper.make_node(
            "ScatterND",
            ["screen/probabilities", "cascade/rows", "decider/probabilities"],
            ["probabilities"],
        ),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    constants = [
        numpy_helper.from_array(np.array(1, dtype=np.int64), "cascade/one"),
        numpy_helper.from_array(np.array(clear_below, dtype=np.float32), "cascade/clear_below"),
    ]
    graph = helper.make_graph(
        [*s_nodes, *select, *d_nodes, *merge],
        "fraud-cascade",
        [screen.graph.input[0]],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ],
        [*s_inits, *d_inits, *constants],
    )
    opsets: dict[str, int] = {}
    for model in (screen, decider):
        for o in model.opset_import:
            opsets[o.domain] = max(opsets.get(o.domain, 0), o.version)
    opsets[""] = max(opsets.get("", 0), 16)  # GreaterOrEqual 12, ScatterND 16
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
    model.ir_version = max(screen.ir_version, decider.ir_version)
    onnx.checker.check_model(model)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--screen", default="fraud-mlp/1.0.0")
    parser.add_argument("--decider", default="fraud-gbt/1.0.0")
    parser.add_argument("--out", required=True, help="models root to write fraud-cascade/<version> into")
    parser.add_argument("--version", default="1.0.0")
    args = parser.parse_args(argv)

    root = Path(args.models_dir)
    screen_dir, decider_dir = root / args.screen, root / args.decider
    screen_json = json.loads((screen_dir / "model.json").read_text())
    clear_below = screen_json.get("screening", {}).get("clearBelow")
    if clear_below is None:
        print(f"{screen_dir}/model.json has no screening.clearBelow: run python -m training.fraud.cascade", file=sys.stderr)
        return 1
    model = compose(onnx.load(screen_dir / "model.onnx"), onnx.load(decider_dir / "model.onnx"), clear_below)

    out = Path(args.out) / "fraud-cascade" / args.version
    out.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    (out / "model.onnx").write_bytes(data)
    manifest_json = json.loads((decider_dir / "model.json").read_text())
    manifest_json.update(
        name="fraud-cascade",
        version=args.version,
        description=(
            f"Exploration: {args.screen} screens every row (clears below {clear_below}), "
            f"{args.decider} scores the rest, in one ONNX graph (training/fraud/cascade_graph.py)."
        ),
    )
    manifest_json["artifact"].update(
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        opsets={("ai.onnx" if o.domain == "" else o.domain): o.version for o in model.opset_import},
    )
    manifest_json.pop("parity", None)
    (out / "model.json").write_text(json.dumps(manifest_json, indent=2) + "\n")
    print(f"wrote {out} (clearBelow {clear_below}, {len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
