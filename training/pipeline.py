"""The training pipeline: `python -m training.pipeline` (normally through `bash training/train.sh`,
which first simulates and replays the features with the stream's own TypeScript code).

Writes models/<name>/<version>/{model.onnx, model.json, parity-sample.json} for fraud-gbt, fraud-mlp
and moderation-text (fraud-mlp's model.json with its cut-off as fraud-gbt's screen, fraud/cascade.py), plus
models/fraud/EVALUATION.md and models/fraud/metrics.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .common import provenance


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.pipeline", description=__doc__)
    p.add_argument("--seed", type=int, default=42, help="training seed (model initialisation, subsampling, samples)")
    p.add_argument("--data-dir", default="training/data", help="replay outputs and fetched inputs (gitignored)")
    p.add_argument("--models-dir", default="models")
    p.add_argument("--version", default="1.0.0", help="version folder to write")
    p.add_argument("--only", choices=["fraud", "moderation", "all"], default="all")
    p.add_argument("--fraud-kinds", default="gbt,mlp", help="comma list of gbt,mlp")
    p.add_argument("--sim-seed", type=int, default=42, help="the simulator seed the replay used (provenance)")
    p.add_argument("--command", default=None, help="the outer command, for provenance")
    return p.parse_args(argv)


def run_fraud(a: argparse.Namespace, libs: dict, commit) -> None:
    from .fraud.data import load_features
    from .fraud.report import write_report
    from .fraud.train import train_one

    spec = json.loads((Path(a.data_dir) / "feature-spec.json").read_text())
    features = spec["fraud"]["features"]
    feature_set = spec["fraud"]["featureSet"]
    csv = Path(a.data_dir) / "fraud-features.csv"
    started = time.time()
    df = load_features(str(csv), features)
    log(f"[fraud] loaded {len(df):,} rows from {csv} in {time.time() - started:.0f}s")
    data_desc = (
        f"{len(df):,} simulated transactions ({str(df['date'].min())[:10]} … {str(df['date'].max())[:10]}; simulator seed {a.sim_seed}, "
        f"handbook scale), features by the stream's own code (consumers/features/replay/cli.ts, {feature_set})"
    )
    for kind in a.fraud_kinds.split(","):
        train_one(kind.strip(), df, features, feature_set, a.seed, Path(a.models_dir), a.version,
                  data_desc, a.command or provenance.command_line(), libs, commit, log)
    kinds = {k.strip() for k in a.fraud_kinds.split(",")}
    if {"gbt", "mlp"} <= kinds:
        from .fraud.cascade import screen_for

        screen_for(df, features, Path(a.models_dir), a.version, "fraud-mlp", "fraud-gbt", log)
    check = None
    sim_csv = Path(a.data_dir) / "transactions.csv"
    if sim_csv.exists():
        from .fraud.check_features import compare

        started = time.time()
        check = compare(str(sim_csv), str(csv))
        worst = max(v["maxAbsDiff"] for k, v in check.items() if not k.startswith("_"))
        log(f"[fraud] feature check vs the handbook's definitions: max |Δ| {worst:.1e} ({time.time() - started:.0f}s)")
        (Path(a.data_dir) / "feature-check.json").write_text(json.dumps(check, indent=1))
    elif (Path(a.data_dir) / "feature-check.json").exists():
        check = json.loads((Path(a.data_dir) / "feature-check.json").read_text())
    write_report(Path(a.models_dir) / "fraud", Path(a.models_dir), a.version, check)


def run_moderation(a: argparse.Namespace, libs: dict, commit) -> None:
    from .moderation.card import write_moderation

    write_moderation(a, libs, commit, log)


def main(argv: list[str]) -> int:
    provenance.fix_hash_seed("training.pipeline", argv)
    a = parse_args(argv)
    libs = provenance.library_versions()
    commit = provenance.git_commit(".")
    started = time.time()
    if a.only in ("moderation", "all"):
        run_moderation(a, libs, commit)
    if a.only in ("fraud", "all"):
        run_fraud(a, libs, commit)
    log(f"[pipeline] done in {time.time() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
