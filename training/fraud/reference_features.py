"""An independent NumPy implementation of the handbook's 15 baseline features (chapter 3).

Not used to train the shipped models: those train on the stream's own offline replay
(consumers/features/replay), so training and serving share one feature implementation. This module
exists to cross-check that replay against the handbook's definitions (`python -m training.fraud.check_features`)
and to exercise the training code before the replay exists.

Definitions (pandas time-based rolling windows in the handbook, reproduced with binary search):
- customer windows (t - n days, t], the current transaction included;
- terminal windows (t - 7 - n days, t - 7 days]: only labels known at t (7-day delay); risk = frauds /
  transactions, 0 when the window is empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HANDBOOK_FEATURES = [
    "TX_AMOUNT",
    "TX_DURING_WEEKEND",
    "TX_DURING_NIGHT",
    "CUSTOMER_ID_NB_TX_1DAY_WINDOW",
    "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW",
    "CUSTOMER_ID_NB_TX_7DAY_WINDOW",
    "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW",
    "CUSTOMER_ID_NB_TX_30DAY_WINDOW",
    "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
    "TERMINAL_ID_NB_TX_1DAY_WINDOW",
    "TERMINAL_ID_RISK_1DAY_WINDOW",
    "TERMINAL_ID_NB_TX_7DAY_WINDOW",
    "TERMINAL_ID_RISK_7DAY_WINDOW",
    "TERMINAL_ID_NB_TX_30DAY_WINDOW",
    "TERMINAL_ID_RISK_30DAY_WINDOW",
]

DAY_MS = 86_400_000


def _grouped_window_sums(group: np.ndarray, t_ms: np.ndarray, values: np.ndarray, lo_ms: int, hi_ms: int):
    """For each row i: count and sum of `values` over rows j of the same group with
    t_i - lo_ms < t_j <= t_i - hi_ms and j <= i in (group, time) order (pandas rolling semantics).
    Returns arrays aligned with the input rows."""
    order = np.lexsort((np.arange(len(t_ms)), t_ms, group))
    g = group[order].astype(np.int64)
    t = t_ms[order].astype(np.int64)
    v = values[order].astype(np.float64)
    # One sortable key per row: groups far apart on the time axis.
    span = int(t.max() - t.min()) + 10 * (lo_ms + 1)
    key = g * span + (t - t.min())
    left = np.searchsorted(key, key - lo_ms, side="right")
    if hi_ms == 0:
        right = np.arange(len(key)) + 1  # current row included, later rows excluded
    else:
        right = np.searchsorted(key, key - hi_ms, side="right")
    csum = np.concatenate([[0.0], np.cumsum(v)])
    count = np.maximum(right - left, 0)
    total = np.where(right > left, csum[np.maximum(right, left)] - csum[left], 0.0)
    out_count = np.empty_like(count)
    out_sum = np.empty_like(total)
    out_count[order] = count
    out_sum[order] = total
    return out_count, out_sum


def handbook_features(tx: pd.DataFrame, delay_days: int = 7, windows=(1, 7, 30)) -> pd.DataFrame:
    """tx: columns occurredAt (epoch ms), customerId, terminalId, amount, isFraud.
    Returns a frame with the 15 HANDBOOK_FEATURES, index aligned with tx."""
    t = tx["occurredAt"].to_numpy(np.int64)
    amount = tx["amount"].to_numpy(np.float64)
    fraud = tx["isFraud"].to_numpy(np.float64)
    cust = pd.factorize(tx["customerId"])[0]
    term = pd.factorize(tx["terminalId"])[0]
    dt = pd.to_datetime(t, unit="ms", utc=True)
    out = {
        "TX_AMOUNT": amount,
        "TX_DURING_WEEKEND": (dt.day_of_week >= 5).astype(np.float64),
        "TX_DURING_NIGHT": (dt.hour <= 6).astype(np.float64),
    }
    for n in windows:
        count, total = _grouped_window_sums(cust, t, amount, n * DAY_MS, 0)
        out[f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW"] = count.astype(np.float64)
        out[f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW"] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    for n in windows:
        lo, hi = (delay_days + n) * DAY_MS, delay_days * DAY_MS
        count, frauds = _grouped_window_sums(term, t, fraud, lo, hi)
        out[f"TERMINAL_ID_NB_TX_{n}DAY_WINDOW"] = count.astype(np.float64)
        out[f"TERMINAL_ID_RISK_{n}DAY_WINDOW"] = np.where(count > 0, frauds / np.maximum(count, 1), 0.0)
    return pd.DataFrame({name: out[name] for name in HANDBOOK_FEATURES}, index=tx.index)


def features_table_from_simulator_csv(path: str) -> pd.DataFrame:
    """Reads the transaction simulator's CSV (producers/simulators/transactions/cli.ts --format csv)
    and returns the replay CSV's layout: ids, occurredAt ISO, the 15 features, TX_FRAUD, TX_FRAUD_SCENARIO."""
    raw = pd.read_csv(path, dtype={"customerId": str, "terminalId": str, "transactionId": str})
    tx = raw[raw["kind"] == "transaction"].reset_index(drop=True)
    feats = handbook_features(tx)
    table = pd.DataFrame(
        {
            "transactionId": tx["transactionId"],
            "occurredAt": pd.to_datetime(tx["occurredAt"], unit="ms", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "customerId": tx["customerId"],
            "terminalId": tx["terminalId"],
        }
    )
    table = pd.concat([table, feats], axis=1)
    table["TX_FRAUD"] = tx["isFraud"].astype(np.int64)
    table["TX_FRAUD_SCENARIO"] = tx["fraudScenario"].astype(np.int64)
    return table
