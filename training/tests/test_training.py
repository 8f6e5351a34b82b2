"""Unit tests of the training code on small synthetic data (no replay, no network):
    training/.venv/bin/python -m unittest discover -s training/tests -t .
"""

from __future__ import annotations

import unittest

import numpy as np
import pandas as pd

from training.common.drift import bin_index, distribution, psi
from training.fraud.cascade import cascade_scores, choose_clear_below
from training.fraud.cascade_graph import compose
from training.fraud.data import time_split
from training.fraud.derived import augment, prefix_graph
from training.fraud.metrics import card_precision_top_k, operating_point
from training.fraud.reference_features import HANDBOOK_FEATURES, handbook_features
from training.fraud.thresholds import choose_thresholds


class CardPrecisionTest(unittest.TestCase):
    def test_handbook_definition_with_detected_cards_removed(self):
        # Day 0: cards a (fraud), b, c; k = 2 → top-2 by max score: a (0.9), c (0.8) → 1 hit of 2.
        # Day 1: a is removed (detected on day 0); b (fraud) now tops → 1 hit of 2.
        day = np.array([0, 0, 0, 0, 1, 1, 1])
        card = np.array(["a", "a", "b", "c", "a", "b", "c"])
        label = np.array([1, 0, 0, 0, 1, 1, 0])
        score = np.array([0.1, 0.9, 0.2, 0.8, 0.99, 0.7, 0.6])
        cp = card_precision_top_k(day, card, label, score, k=2)
        self.assertEqual(cp.per_day, [0.5, 0.5])
        self.assertEqual(cp.mean, 0.5)
        self.assertEqual(cp.compromised_cards_per_day, [1, 1])  # a already detected on day 1
        kept = card_precision_top_k(day, card, label, score, k=2, remove_detected=False)
        self.assertEqual(kept.per_day, [0.5, 1.0])  # without removal, day 1's top 2 are a and b
        self.assertEqual(card_precision_top_k(day, card, label, score, k=1, remove_detected=False).per_day, [1.0, 1.0])

    def test_operating_point(self):
        op = operating_point(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.2, 0.1]), 0.5)
        self.assertEqual((op["precision"], op["recall"], op["flagged"]), (0.5, 0.5, 2))


class SplitTest(unittest.TestCase):
    def test_known_compromised_cards_leave_the_test_set(self):
        dates = pd.date_range("2018-07-25", "2018-08-14", freq="D").values.astype("datetime64[D]")
        rows = []
        for d in dates:
            for c in ("x", "y", "z"):
                rows.append({"date": d, "customerId": c, "TX_FRAUD": 0})
        df = pd.DataFrame(rows)
        df.loc[(df.date == np.datetime64("2018-07-26")) & (df.customerId == "x"), "TX_FRAUD"] = 1  # train
        df.loc[(df.date == np.datetime64("2018-08-03")) & (df.customerId == "y"), "TX_FRAUD"] = 1  # delay
        s = time_split(df, "2018-07-25")
        self.assertEqual(len(s.train), 21)
        self.assertNotIn("x", set(s.test.customerId))
        # y's fraud on 08-03 (delay day 2) is known from test day 08-11 on (train + 7 + d − 1 = 08-03 for d = 3).
        y_days = sorted(s.test.loc[s.test.customerId == "y", "date"].astype(str))
        self.assertEqual(y_days, ["2018-08-08", "2018-08-09", "2018-08-10"])


class FeaturesTest(unittest.TestCase):
    def test_windows_follow_the_handbook(self):
        day = 86_400_000
        t0 = 1_532_476_800_000  # 2018-07-25 00:00 UTC, a Wednesday
        tx = pd.DataFrame({
            "occurredAt": [t0, t0 + day // 2, t0 + 2 * day, t0 + 9 * day],
            "customerId": ["c", "c", "c", "d"],
            "terminalId": ["t", "t", "u", "t"],
            "amount": [10.0, 30.0, 50.0, 7.0],
            "isFraud": [1, 0, 0, 0],
        })
        f = handbook_features(tx)
        self.assertEqual(list(f.columns), HANDBOOK_FEATURES)
        self.assertEqual(f["CUSTOMER_ID_NB_TX_1DAY_WINDOW"].tolist(), [1, 2, 1, 1])
        self.assertEqual(f["CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW"].tolist()[:3], [10.0, 20.0, 30.0])
        # Terminal t at t0 + 9 d: window (t − 8 d, t − 7 d] = (t0 + 1 d, t0 + 2 d] is empty;
        # the 7-day window (t0 − 5 d, t0 + 2 d] holds both earlier t transactions, one fraud.
        self.assertEqual(f["TERMINAL_ID_NB_TX_1DAY_WINDOW"].tolist()[3], 0)
        self.assertEqual(f["TERMINAL_ID_NB_TX_7DAY_WINDOW"].tolist()[3], 2)
        self.assertEqual(f["TERMINAL_ID_RISK_7DAY_WINDOW"].tolist()[3], 0.5)

    def test_in_graph_derivation_matches_numpy(self):
        import onnxruntime as ort

        from training.fraud.reference_features import HANDBOOK_FEATURES as F

        rng = np.random.default_rng(0)
        X = rng.uniform(0, 300, size=(50, len(F)))
        X[0, F.index("CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW")] = 0.0
        import onnx

        for mode in ("ratios", "log", "raw+log"):
            model = prefix_graph(F, mode, [onnx.helper.make_opsetid("", 17)], 8)
            sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            got = sess.run(None, {"features": X.astype(np.float32)})[0]
            np.testing.assert_allclose(got, augment(X, F, mode), rtol=1e-5, atol=1e-4)


class DriftAndThresholdTest(unittest.TestCase):
    def test_bins_and_psi(self):
        d = distribution(np.array([0, 0, 0, 1, 1]))
        self.assertEqual(d["edges"], sorted(set(d["edges"])))
        self.assertEqual(len(d["proportions"]), len(d["edges"]) + 1)
        self.assertAlmostEqual(sum(d["proportions"]), 1.0)
        self.assertEqual(bin_index(np.array([-1.0, 0.0, 0.5, 5.0]), [0.0, 1.0]).tolist(), [0, 0, 1, 2])
        same = psi(d, np.array([0, 0, 0, 1, 1]))
        self.assertLess(same, 1e-9)
        self.assertGreater(psi(d, np.array([1, 1, 1, 1, 1])), 0.1)

    def test_thresholds(self):
        scores = np.linspace(1, 0, 1000, endpoint=False)
        labels = (np.arange(1000) < 20).astype(int)  # the 20 highest scores are fraud
        th = choose_thresholds(labels, scores, days=1, review_per_day=100, decline_precision=0.9)
        self.assertAlmostEqual(th["review"], scores[99], places=5)
        self.assertAlmostEqual(th["decline"], scores[21], places=5)  # 20 / 22 ≥ 0.9, 20 / 23 < 0.9
        self.assertGreaterEqual(th["decline"], th["review"])


if __name__ == "__main__":
    unittest.main()


class CascadeTest(unittest.TestCase):
    def test_scores_are_the_screens_where_it_clears(self):
        out = cascade_scores(np.array([0.01, 0.2, 0.05]), np.array([0.9, 0.8, 0.7]), 0.1)
        self.assertEqual(out.tolist(), [0.01, 0.8, 0.05])

    def test_largest_share_within_tolerance_below_the_review_threshold(self):
        rng = np.random.default_rng(0)
        label = (rng.random(2000) < 0.05).astype(int)
        decider = np.clip(0.6 * label + rng.normal(0.1, 0.1, 2000), 0, 1)
        screen = np.clip(0.5 * label + rng.normal(0.1, 0.1, 2000), 0, 1)

        def objective(s):  # positives ranked above negatives: share of positives in the top 100
            return float(label[np.argsort(-s)[:100]].mean())

        c = choose_clear_below(screen, decider, objective, review_threshold=1.0, tolerance=0.0)
        self.assertIsNotNone(c)
        self.assertGreaterEqual(c.objective, c.decider_objective)
        ok = [t["share"] for t in c.tried if t.get("ok")]
        self.assertAlmostEqual(c.clear_below, float(np.quantile(screen, max(ok))))
        # A low review threshold caps the cut-off: nothing above it is ever tried.
        capped = choose_clear_below(screen, decider, objective, review_threshold=0.05, tolerance=0.0)
        self.assertTrue(capped is None or capped.clear_below <= 0.05)
        self.assertTrue(all(t.get("refused") for t in (capped.tried if capped else []) if t["clearBelow"] > 0.05))

    def test_one_graph_scores_like_the_cascade(self):
        """The shipped screen and decider composed into one graph score the parity rows (and an all-cleared
        batch, where the decider gets zero rows) exactly as cascade_scores does."""
        import json
        from pathlib import Path

        import onnx
        import onnxruntime as ort

        models = Path(__file__).resolve().parents[2] / "models"
        rows = np.array(json.loads((models / "fraud-gbt/1.0.0/parity-sample.json").read_text())["rows"], np.float32)
        sessions = {}
        for name in ("fraud-mlp", "fraud-gbt"):
            sessions[name] = ort.InferenceSession(str(models / name / "1.0.0/model.onnx"), providers=["CPUExecutionProvider"])
        score = lambda s, x: s.run(["probabilities"], {"features": x})[0][:, 1]  # noqa: E731
        screen, decider = score(sessions["fraud-mlp"], rows), score(sessions["fraud-gbt"], rows)
        clear = float(np.median(screen))  # half the rows each way
        graph = compose(onnx.load(models / "fraud-mlp/1.0.0/model.onnx"), onnx.load(models / "fraud-gbt/1.0.0/model.onnx"), clear)
        one = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
        np.testing.assert_array_equal(score(one, rows), cascade_scores(screen, decider, np.float32(clear)))
        cleared = rows[screen < clear]
        np.testing.assert_array_equal(score(one, cleared), screen[screen < clear])

    def test_none_when_every_share_costs_too_much(self):
        label = np.array([1, 0] * 50)
        decider = label * 0.9 + 0.05
        screen = 1 - decider  # inverted: clearing by it throws away the positives
        objective = lambda s: float(label[np.argsort(-s)[:50]].mean())  # noqa: E731
        self.assertIsNone(choose_clear_below(screen, decider, objective, review_threshold=1.0))



class ModerationGraph(unittest.TestCase):
    def test_sparse_term_counts_score_like_scikit_learn(self):
        """The converted graph (fast_linear_head, then sparse_term_counts) scores like the scikit-learn
        pipeline it came from, on texts with repeated words, unknown words, no words and a long one,
        alone and batched together (the Tokenizer pads a batch to its longest text)."""
        import onnxruntime as ort
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        from training.moderation.build import convert

        rng = np.random.default_rng(3)
        words = [f"w{i}" for i in range(40)] + ["idiot", "stupid", "lovely", "café"]
        corpus = [" ".join(rng.choice(words, size=rng.integers(1, 12))) for _ in range(300)]
        labels = np.array([int("idiot" in t or "stupid" in t) for t in corpus])
        vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w\w+\b").fit(corpus)
        classifier = CalibratedClassifierCV(LinearSVC(), cv=3).fit(vectorizer.transform(corpus), labels)
        graph = convert(vectorizer, classifier)
        self.assertNotIn("TfIdfVectorizer", {n.op_type for n in graph.graph.node})
        session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
        texts = ["idiot idiot idiot w1", "w1 w2 w2 w3 lovely", "", "a", "unknown words only", "café w7 café",
                 " ".join(["stupid", "w3"] * 150)] + corpus[:20]
        expected = classifier.predict_proba(vectorizer.transform(texts))[:, 1]
        run = lambda t: session.run(["probabilities"], {"text": np.array(t, dtype=object).reshape(-1, 1)})[0][:, 1]  # noqa: E731
        np.testing.assert_allclose(run(texts), expected, atol=1e-5)
        np.testing.assert_allclose([run([t])[0] for t in texts], expected, atol=1e-5)


class ProvenanceTest(unittest.TestCase):
    def test_fix_hash_seed_reruns_the_module_with_seed_zero(self):
        """Set iteration order (skl2onnx's opset domains) follows the hash seed, which only a fresh
        interpreter can change: the entry point re-runs itself with PYTHONHASHSEED=0, whatever it
        was started with, so two runs write the same bytes."""
        import os
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "probe_seed.py").write_text(
                "import sys\nfrom training.common.provenance import fix_hash_seed\n"
                "fix_hash_seed('probe_seed', sys.argv[1:])\nprint(sys.argv[1:], hash('verdict'))\n"
            )
            env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{root}"}

            def run(seed: str) -> str:
                return subprocess.run(
                    [sys.executable, "-m", "probe_seed", "--x", "1"],
                    env={**env, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True, cwd=tmp,
                ).stdout

            outputs = {run(seed) for seed in ("0", "1", "random", "12345")}
        self.assertEqual(len(outputs), 1, outputs)
        self.assertIn("['--x', '1']", outputs.pop())
