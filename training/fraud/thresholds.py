"""Decision thresholds for fraud models, chosen on validation predictions (never on the test week).

- review: the score at which the validation folds would have sent, on average, `review_per_day`
  transactions a day to investigators (default 100: the handbook's daily investigation budget behind
  CP@100).
- decline: the lowest score whose validation precision (frauds among transactions at or above it) is
  at least `decline_precision` (default 0.9): decline automatically only when nine in ten would be
  fraud. It never goes below review.
"""

from __future__ import annotations

import numpy as np


def choose_thresholds(
    labels: np.ndarray,
    scores: np.ndarray,
    days: int,
    review_per_day: int = 100,
    decline_precision: float = 0.9,
) -> dict:
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    y = labels[order].astype(np.int64)
    n_review = min(len(s), review_per_day * days)
    review = float(s[n_review - 1])
    tp = np.cumsum(y)
    precision = tp / np.arange(1, len(y) + 1)
    # Candidate cut-offs only where the score changes (flag everything >= s[i]).
    last_of_value = np.r_[s[1:] != s[:-1], True]
    ok = np.where(last_of_value & (precision >= decline_precision))[0]
    decline = float(s[ok.max()]) if len(ok) else float(s[0])
    decline = max(decline, review)
    return {
        "review": float(f"{review:.6g}"),
        "decline": float(f"{decline:.6g}"),
        "method": (
            f"Chosen on pooled out-of-sample predictions of the validation folds ({days} days, never the test "
            f"week): review = the score above which {review_per_day} transactions a day would be flagged on "
            f"average (the handbook's 100-cards-a-day investigation budget); decline = the lowest score with "
            f"validation precision ≥ {decline_precision:.0%} (not below review)."
        ),
    }
