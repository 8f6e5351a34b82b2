"""Loading the offline feature replay and the handbook's time-based splits (chapter 3 / chapter 5).

The replay CSV (consumers/features/replay/cli.ts) has one row per transaction: transactionId,
occurredAt (ISO 8601 UTC), customerId, terminalId, the 15 features, TX_FRAUD, TX_FRAUD_SCENARIO.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LABEL = "TX_FRAUD"
SCENARIO = "TX_FRAUD_SCENARIO"
ID_COLUMNS = ["transactionId", "occurredAt", "customerId", "terminalId"]


def load_features(path: str, feature_names: list[str]) -> pd.DataFrame:
    """Reads the replay CSV; checks that every declared feature is present; adds `date`
    (datetime64[D], UTC calendar day of the transaction)."""
    df = pd.read_csv(path, dtype={"transactionId": str, "customerId": str, "terminalId": str})
    missing = [c for c in [*ID_COLUMNS, *feature_names, LABEL] if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; found {list(df.columns)}")
    when = pd.to_datetime(df["occurredAt"], utc=True, format="ISO8601")
    df["date"] = when.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    df["occurredAtMs"] = when.dt.as_unit("ms").astype("int64")
    df = df.sort_values(["occurredAtMs", "transactionId"], kind="mergesort").reset_index(drop=True)
    bad = df[feature_names].isna().any(axis=1)
    if bad.any():
        raise ValueError(f"{path}: {int(bad.sum())} rows with missing feature values")
    return df


@dataclass(frozen=True)
class Split:
    """One train / test split of the handbook's protocol."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    train_start: str
    test_start: str


def time_split(
    df: pd.DataFrame,
    train_start: str,
    delta_train: int = 7,
    delta_delay: int = 7,
    delta_test: int = 7,
    name: str = "",
) -> Split:
    """The handbook's `get_train_test_set`: train on [train_start, +delta_train days); test on each day of
    [train_start + delta_train + delta_delay, + delta_test days), leaving out the cards already known to be
    compromised: frauds in the training set, plus, for test day d, frauds up to day train_start +
    delta_train + d - 1 (what investigators knew, given the delay)."""
    t0 = np.datetime64(train_start, "D")
    date = df["date"].to_numpy()
    train = df[(date >= t0) & (date < t0 + delta_train)]
    known = set(train.loc[train[LABEL] == 1, "customerId"])
    parts = []
    for d in range(delta_test):
        day = t0 + delta_train + delta_delay + d
        test_day = df[date == day]
        delay_day = df[date == t0 + delta_train + d - 1]
        known |= set(delay_day.loc[delay_day[LABEL] == 1, "customerId"])
        parts.append(test_day[~test_day["customerId"].isin(known)])
    test = pd.concat(parts)
    return Split(name or f"train@{train_start}", train, test, train_start, str(t0 + delta_train + delta_delay))


def chapter3_split(df: pd.DataFrame) -> Split:
    """Train 2018-07-25…31, delay 7 days, test 2018-08-08…14."""
    return time_split(df, "2018-07-25", name="chapter3")


def validation_splits(df: pd.DataFrame, folds: int = 4) -> list[Split]:
    """Prequential validation folds that end before the chapter-3 training week starts being scored:
    fold 0 trains on 2018-07-11…17 and tests on 07-25…31 (the chapter-3 training week, handbook ch. 5
    "validation set moved back by delay + test"), fold k moves back k weeks. No test-week data is used."""
    base = np.datetime64("2018-07-11", "D")
    return [time_split(df, str(base - 7 * k), name=f"valid-fold{k}") for k in range(folds)]
