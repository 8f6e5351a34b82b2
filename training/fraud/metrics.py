"""Fraud detection metrics, exactly as the handbook defines them (chapter 4, "Performance metrics").

- AUC ROC and Average Precision over the test transactions (scikit-learn).
- Card Precision@k: per day, one row per card (customer) with its max score and max label, the top k
  cards by score; CP@k(day) = compromised cards among them / k; the mean over days. A card detected
  (compromised and in the top k) on one day is removed from the later days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


@dataclass(frozen=True)
class CardPrecision:
    mean: float
    per_day: list[float]
    compromised_cards_per_day: list[int]


def card_precision_top_k(
    day: np.ndarray,
    card: np.ndarray,
    label: np.ndarray,
    score: np.ndarray,
    k: int = 100,
    remove_detected: bool = True,
) -> CardPrecision:
    """Card Precision@k averaged over the distinct values of `day` (ascending)."""
    df = pd.DataFrame({"day": day, "card": card, "label": label.astype(np.int64), "score": score})
    detected: set = set()
    per_day: list[float] = []
    compromised: list[int] = []
    for d in sorted(df["day"].unique()):
        df_day = df[df["day"] == d]
        if detected:
            df_day = df_day[~df_day["card"].isin(detected)]
        compromised.append(int(df_day.loc[df_day["label"] == 1, "card"].nunique()))
        cards = df_day.groupby("card", sort=True).agg(score=("score", "max"), label=("label", "max"))
        # Stable sort (ties keep card order) so the metric is a pure function of the scores.
        cards = cards.sort_values("score", ascending=False, kind="mergesort").head(k)
        hits = cards.index[cards["label"] == 1]
        per_day.append(len(hits) / k)
        if remove_detected:
            detected.update(hits.tolist())
    return CardPrecision(float(np.mean(per_day)) if per_day else float("nan"), per_day, compromised)


def fraud_metrics(
    day: np.ndarray, card: np.ndarray, label: np.ndarray, score: np.ndarray, k: int = 100
) -> dict:
    """AUC ROC, Average Precision and CP@k (with detected cards removed), unrounded."""
    cp = card_precision_top_k(day, card, label, score, k=k)
    return {
        "aucRoc": float(roc_auc_score(label, score)),
        "averagePrecision": float(average_precision_score(label, score)),
        f"cardPrecisionAt{k}": cp.mean,
        f"cardPrecisionAt{k}PerDay": cp.per_day,
        "transactions": int(len(label)),
        "frauds": int(np.sum(label)),
    }


def operating_point(label: np.ndarray, score: np.ndarray, threshold: float) -> dict:
    """Precision / recall / alert rate when flagging score >= threshold."""
    flagged = score >= threshold
    tp = int(np.sum(flagged & (label == 1)))
    fp = int(np.sum(flagged & (label == 0)))
    fn = int(np.sum(~flagged & (label == 1)))
    return {
        "threshold": float(threshold),
        "flagged": int(np.sum(flagged)),
        "alertRate": float(np.mean(flagged)) if len(flagged) else 0.0,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "truePositives": tp,
        "falsePositives": fp,
    }
