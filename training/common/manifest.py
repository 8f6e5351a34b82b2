"""Assembles and validates model.json (the contract in models/model-json.schema.json)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema

from . import onnx_io

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "models" / "model-json.schema.json"


def validate(doc: dict) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    dists = doc["reference"]["features"]
    for name in doc["features"]:
        if name not in dists:
            raise ValueError(f"{doc['name']}: no reference distribution for feature {name}")
    for name, d in [*dists.items(), ("score", doc["reference"]["score"])]:
        if len(d["proportions"]) != len(d["edges"]) + 1:
            raise ValueError(f"{doc['name']}: {name}: proportions must have len(edges) + 1 entries")
    top = doc["thresholds"]["decline" if doc["domain"] == "fraud" else "block"]
    if top < doc["thresholds"]["review"]:
        raise ValueError(f"{doc['name']}: review threshold above the upper one")


def write(out_dir: Path, doc: dict) -> dict:
    """Adds the artifact block (hash, size, opsets) and `created`, validates, writes model.json."""
    model_path = out_dir / "model.onnx"
    doc = {
        "schemaVersion": 1,
        **doc,
        "created": doc.get("created") or datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    doc["artifact"] = {
        "file": "model.onnx",
        "sha256": onnx_io.sha256(model_path),
        "bytes": model_path.stat().st_size,
        "opsets": doc.pop("opsets"),
    }
    doc["parity"] = {"file": "parity-sample.json", "tolerance": 1e-5}
    validate(doc)
    (out_dir / "model.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    # A model's first version becomes active; later ones wait for an explicit promotion (models/README.md).
    active = out_dir.parent / "ACTIVE"
    if not active.exists():
        active.write_text(doc["version"] + "\n")
    return doc
