"""ONNX helpers: sessions, metadata, hashes and the parity samples the TypeScript tests replay."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort


def session(path: str | Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def set_metadata(model: onnx.ModelProto, props: dict[str, str], doc: str) -> None:
    """Stamp name/version into the graph so a stray .onnx file still says what it is."""
    del model.metadata_props[:]
    for key, value in sorted(props.items()):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.doc_string = doc
    model.producer_name = "verdict-training"


def opsets(model: onnx.ModelProto) -> dict[str, int]:
    return {(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import}


def io_signature(sess: ort.InferenceSession) -> tuple[list[dict], list[dict]]:
    def describe(arg):
        dtype = arg.type.replace("tensor(", "").replace(")", "")
        dtype = {"float": "float32", "double": "float64"}.get(dtype, dtype)
        shape = [d if isinstance(d, int) else None for d in arg.shape]
        return {"name": arg.name, "dtype": dtype, "shape": shape}

    return [describe(a) for a in sess.get_inputs()], [describe(a) for a in sess.get_outputs()]


def write_parity_sample(
    path: Path,
    model_name: str,
    version: str,
    scores: np.ndarray,
    note: str,
    rows: np.ndarray | None = None,
    features: list[str] | None = None,
    texts: list[str] | None = None,
) -> None:
    """The registry's parity-sample.json: `rows` (feature rows in model order, with `features`) or
    `texts`, and `scores` = the positive-class probability Python onnxruntime (CPU) gave each one.
    models/parity.test.ts replays them through onnxruntime-node; the inference stage uses them as the
    provider self-check."""
    doc: dict = {"model": model_name, "version": version, "note": note, "tolerance": 1e-5}
    if features is not None:
        doc["features"] = list(features)
    if rows is not None:
        # float32 is what the graph sees; repr of the float32 value round-trips exactly.
        doc["rows"] = [[float(np.float32(v)) for v in row] for row in np.asarray(rows)]
    if texts is not None:
        doc["texts"] = list(texts)
    doc["scores"] = [float(s) for s in np.asarray(scores, dtype=np.float64)]
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
