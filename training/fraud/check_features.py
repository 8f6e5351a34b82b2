"""Cross-checks the stream's offline replay (training/data/fraud-features.csv) against an independent
NumPy implementation of the handbook's definitions, computed from the same simulated transactions.

    npx tsx producers/simulators/transactions/cli.ts --format csv --out /tmp/tx.csv
    training/.venv/bin/python -m training.fraud.check_features /tmp/tx.csv training/data/fraud-features.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from .reference_features import HANDBOOK_FEATURES, features_table_from_simulator_csv


def compare(simulator_csv: str, replay_csv: str) -> dict:
    ref = features_table_from_simulator_csv(simulator_csv).set_index("transactionId")
    got = pd.read_csv(replay_csv, dtype={"transactionId": str}).set_index("transactionId")
    # The replay drops what the ingest stage rejects; compare the transactions both have. The reference
    # still counts the dropped ones in its windows, so any row whose windows they touch may differ.
    common = ref.index.intersection(got.index)
    dropped = ref.loc[ref.index.difference(got.index)]
    ref, got = ref.loc[common], got.loc[common]
    out = {}
    for name in [*HANDBOOK_FEATURES, "TX_FRAUD"]:
        diff = np.abs(ref[name].to_numpy(np.float64) - got[name].to_numpy(np.float64))
        # The reference sums windows as differences of one running cumulative sum over the whole
        # table (~1e8), so its averages carry ~1e-8 of rounding: 1e-6 separates that from a real bug.
        out[name] = {"maxAbsDiff": float(diff.max()), "rowsOver1e-6": int((diff > 1e-6).sum())}
    out["_transactions"] = {
        "compared": int(len(common)),
        "onlyInReference": int(len(dropped)),
        "onlyInReferenceAmounts": sorted({float(a) for a in dropped["TX_AMOUNT"]}),
    }
    return out


if __name__ == "__main__":
    result = compare(sys.argv[1], sys.argv[2])
    print(f"compared {result.pop('_transactions')['compared']} transactions")
    width = max(map(len, result))
    for name, r in result.items():
        print(f"{name:<{width}}  max |Δ| {r['maxAbsDiff']:.3g}  rows > 1e-6: {r['rowsOver1e-6']}")
    sys.exit(1 if any(r["rowsOver1e-6"] for r in result.values()) else 0)
