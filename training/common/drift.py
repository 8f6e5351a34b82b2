"""Reference distributions for drift monitoring (PSI) written into model.json.

Binning convention (shared with the stream's drift monitor):
  edges e_0 < e_1 < … < e_{k-1} (ascending, unique); a value x falls in bin b(x) = #{ j : e_j < x },
  i.e. bins (-inf, e_0], (e_0, e_1], …, (e_{k-1}, +inf): k + 1 bins, `proportions` has k + 1 entries
  summing to 1. Edges are the reference sample's deciles (duplicates dropped, so a binary feature has
  one edge and two bins).
PSI = Σ_b (p_b − q_b) · ln(p_b / q_b) with a small floor (1e-4) on both proportions.
"""

from __future__ import annotations

import numpy as np

QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
PSI_FLOOR = 1e-4


def _round(x: float) -> float:
    # 9 significant digits: stable JSON across platforms, far finer than any drift signal.
    return float(f"{float(x):.9g}")


def bin_edges(values: np.ndarray) -> list[float]:
    v = np.asarray(values, dtype=np.float64)
    edges = np.unique(np.quantile(v, QUANTILES, method="linear"))
    return [_round(e) for e in edges]


def bin_index(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """b(x) = number of edges strictly below x."""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), np.asarray(values, dtype=np.float64), side="left")


def distribution(values: np.ndarray) -> dict:
    v = np.asarray(values, dtype=np.float64)
    edges = bin_edges(v)
    counts = np.bincount(bin_index(v, edges), minlength=len(edges) + 1)
    props = counts / counts.sum()
    return {
        "edges": edges,
        "proportions": [_round(p) for p in props],
        "count": int(len(v)),
        "mean": _round(v.mean()),
        "std": _round(v.std()),
        "min": _round(v.min()),
        "max": _round(v.max()),
    }


def psi(reference: dict, values: np.ndarray) -> float:
    edges = reference["edges"]
    p = np.maximum(np.asarray(reference["proportions"], dtype=np.float64), PSI_FLOOR)
    counts = np.bincount(bin_index(values, edges), minlength=len(edges) + 1)
    q = np.maximum(counts / max(counts.sum(), 1), PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))
