"""The model cascade's cut-off: a cheap screen model scores every transaction, and only those it does not
clear (screen score ≥ clearBelow) go to the expensive decider. The cut-off is chosen on validation days the
shipped models never trained on, never on the test week, and written into the screen's model.json
(`screening`), where the inference stage reads it (consumers/inference, `models.fraud.screen`).

    training/.venv/bin/python -m training.fraud.cascade [--models-dir models] [--version 1.0.0]

Rule: the largest cleared share (of a fixed grid) whose cascade keeps the validation selection metric
(AP + CP@100, as in model selection) within `TOLERANCE` of the decider alone, and whose cut-off stays at or
below the screen's own review threshold (a record the screen clears is always approved, whichever
thresholds the scoring stage applies).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..common import manifest
from .data import LABEL, chapter3_split, load_features, validation_splits
from .metrics import fraud_metrics

#: Cleared shares tried, smallest first.
SHARES = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99)
#: Largest loss of validation AP + CP@100 against the decider alone the cascade may cost.
TOLERANCE = 0.002


def cascade_scores(screen: np.ndarray, decider: np.ndarray, clear_below: float) -> np.ndarray:
    """What the stream emits: the screen's score where it clears the record, the decider's elsewhere."""
    return np.where(screen < clear_below, screen, decider)


@dataclass(frozen=True)
class Choice:
    clear_below: float
    cleared_share: float
    objective: float
    decider_objective: float
    tried: list[dict]


def choose_clear_below(
    screen: np.ndarray,
    decider: np.ndarray,
    objective: Callable[[np.ndarray], float],
    review_threshold: float,
    shares: tuple[float, ...] = SHARES,
    tolerance: float = TOLERANCE,
) -> Choice | None:
    """The cut-off at the largest share in `shares` that keeps `objective` (higher is better) within
    `tolerance` of the decider alone and stays ≤ `review_threshold`. None when no share qualifies."""
    base = objective(decider)
    tried, best = [], None
    for share in shares:
        cut = float(np.quantile(screen, share))
        if cut > review_threshold:
            tried.append({"share": share, "clearBelow": cut, "refused": "above the screen's review threshold"})
            continue
        value = objective(cascade_scores(screen, decider, cut))
        ok = value >= base - tolerance
        tried.append({"share": share, "clearBelow": cut, "cleared": float(np.mean(screen < cut)),
                      "objective": round(value, 5), "ok": ok})
        if ok:
            best = (cut, float(np.mean(screen < cut)), value)
    if best is None:
        return None
    return Choice(best[0], best[1], best[2], base, tried)


def _onnx_scores(model_dir: Path, frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    import onnxruntime as ort

    doc = json.loads((model_dir / "model.json").read_text())
    sess = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    out = doc["output"]
    x = frame[doc["features"] or features].to_numpy(np.float32)
    return sess.run([out["name"]], {doc["inputs"][0]["name"]: x})[0][:, out.get("index", 0)].astype(np.float64)


def _metrics(frame: pd.DataFrame, score: np.ndarray) -> dict:
    m = fraud_metrics(frame["date"].to_numpy(), frame["customerId"].to_numpy(), frame[LABEL].to_numpy(), score)
    return {k: round(m[k], 4) for k in ("aucRoc", "averagePrecision", "cardPrecisionAt100")}


def screen_for(df: pd.DataFrame, features: list[str], models_dir: Path, version: str,
               screen: str = "fraud-mlp", decider: str = "fraud-gbt", log=print) -> dict | None:
    """Chooses the screen's cut-off for `decider`, evaluates the cascade on the chapter-3 test week, and
    writes `screening` into models/<screen>/<version>/model.json. Returns the block (None: no cut-off)."""
    screen_dir, decider_dir = models_dir / screen / version, models_dir / decider / version
    doc = json.loads((screen_dir / "model.json").read_text())
    decider_doc = json.loads((decider_dir / "model.json").read_text())
    # Validation days: folds 1–3 test 2018-07-04…07-24, before the shipped models' training week (fold 0
    # tests on that week itself, so it is left out) and before the test week.
    val = pd.concat([f.test for f in validation_splits(df)[1:]])
    test = chapter3_split(df).test
    sv, dv = _onnx_scores(screen_dir, val, features), _onnx_scores(decider_dir, val, features)

    def objective(score: np.ndarray) -> float:
        m = _metrics(val, score)
        return m["averagePrecision"] + m["cardPrecisionAt100"]

    choice = choose_clear_below(sv, dv, objective, doc["thresholds"]["review"])
    if choice is None:
        log(f"[cascade] no cut-off keeps {decider}'s validation AP + CP@100 within {TOLERANCE}; {screen} gets no screening block")
        doc.pop("screening", None)
        manifest.validate(doc)
        (screen_dir / "model.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return None
    st, dt = _onnx_scores(screen_dir, test, features), _onnx_scores(decider_dir, test, features)
    cut = choice.clear_below
    cleared = st < cut
    decider_review = decider_doc["thresholds"]["review"]
    block = {
        "clearBelow": round(cut, 6),
        "decider": {"name": decider, "version": decider_doc["version"]},
        "method": (
            f"Largest cleared share of {list(SHARES)} whose cascade ({screen} clears below the cut-off, {decider} "
            f"scores the rest) keeps mean AP + CP@100 within {TOLERANCE} of {decider} alone, with the cut-off at or "
            f"below {screen}'s review threshold; on validation days 2018-07-04…07-24 ({len(val):,} transactions, "
            "which neither model trained on), never the test week."
        ),
        "validation": {
            "clearedShare": round(choice.cleared_share, 4),
            "cascade": _metrics(val, cascade_scores(sv, dv, cut)),
            "deciderAlone": _metrics(val, dv),
            "tried": choice.tried,
        },
        "chapter3Test": {
            "clearedShare": round(float(np.mean(cleared)), 4),
            "cascade": _metrics(test, cascade_scores(st, dt, cut)),
            "deciderAlone": _metrics(test, dt),
            "screenAlone": _metrics(test, st),
            # Records the decider alone would have sent to review or declined, cleared by the screen instead.
            "deciderFlaggedCleared": int(np.sum(cleared & (dt >= decider_review))),
            "deciderFlagged": int(np.sum(dt >= decider_review)),
            "fraudsCleared": int(np.sum(cleared & (test[LABEL].to_numpy() == 1))),
            "frauds": int(test[LABEL].sum()),
        },
    }
    doc["screening"] = block
    manifest.validate(doc)
    (screen_dir / "model.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    t = block["chapter3Test"]
    log(f"[cascade] {screen} clears below {block['clearBelow']} ({choice.cleared_share:.1%} of validation records); "
        f"test: cascade {t['cascade']} vs {decider} alone {t['deciderAlone']}, cleared {t['clearedShare']:.1%}")
    return block


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m training.fraud.cascade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default="training/data")
    p.add_argument("--models-dir", default="models")
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--screen", default="fraud-mlp")
    p.add_argument("--decider", default="fraud-gbt")
    a = p.parse_args(argv)
    spec = json.loads((Path(a.data_dir) / "feature-spec.json").read_text())
    features = spec["fraud"]["features"]
    df = load_features(str(Path(a.data_dir) / "fraud-features.csv"), features)
    screen_for(df, features, Path(a.models_dir), a.version, a.screen, a.decider,
               log=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
