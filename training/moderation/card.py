"""models/moderation-text/<version>/: model.onnx, model.json, parity-sample.json, the upstream licence;
and models/moderation-text/MODEL_CARD.md. The rule stage's word list is the feature stage's vendored
cuss@2.2.0 list (consumers/features/moderation/blocklist-en.tsv, MIT); it is also our word-level
evaluation set."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path

from ..common import manifest
from . import build

WORDLIST_SOURCE = "cuss@2.2.0 (npm; © 2016 Titus Wormer; MIT), vendored as consumers/features/moderation/blocklist-en.tsv"
BLOCKLIST = Path(__file__).resolve().parents[2] / "consumers" / "features" / "moderation" / "blocklist-en.tsv"


def load_blocklist() -> dict | None:
    if not BLOCKLIST.exists():
        return None
    words = {}
    for line in BLOCKLIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            term, rating = line.split("\t")
            words[term] = int(rating)
    return words


def _load_json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _normalizer(data: Path):
    """The feature stage's normalizeText(), applied offline by train.sh (training/moderation/normalize.ts)
    to every evaluation text: training/data/normalized-texts.json = {text: normalizedText}."""
    table = _load_json(data / "normalized-texts.json")
    if not table:
        return None
    return lambda t: table[t] if t in table else t


def _load_posts(data: Path, normalize) -> list[dict] | None:
    """Simulated posts (producers/simulators/posts, jsonl) with the feature stage's normalizedText."""
    path = data / "posts.jsonl"
    if not path.exists():
        return None
    posts = []
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            text = r["event"]["text"]
            posts.append({
                "text": text,
                "normalizedText": normalize(text) if normalize else text.lower(),
                "isAbusive": bool(r["truth"]["isAbusive"]),
                "category": r["truth"]["category"],
            })
    return posts


def write_moderation(a, libs: dict, commit, log) -> None:
    data = Path(a.data_dir)
    out_dir = Path(a.models_dir) / build.NAME / a.version
    cuss = load_blocklist()
    wordlist = {"words": cuss, "source": WORDLIST_SOURCE, "license": "MIT"} if cuss else None
    normalize = _normalizer(data)
    normalized = normalize is not None
    posts = _load_posts(data, normalize)
    spec = _load_json(data / "feature-spec.json") or {}
    feature_set = (spec.get("moderation") or {}).get("featureSet")
    log(f"[moderation] converting alt-profanity-check → ONNX; word list: {'yes' if cuss else 'no'}; "
        f"posts: {len(posts) if posts else 0}; feature-stage normalization: {'yes' if normalized else 'no'}")
    built = build.build(out_dir, a.version, wordlist, posts, normalize)

    dist = importlib.metadata.distribution("alt-profanity-check")
    lic_files = [f for f in (dist.files or []) if f.name.upper().startswith("LICENSE")]
    if lic_files:
        shutil.copyfile(dist.locate_file(lic_files[0]), out_dir / "LICENSE.alt-profanity-check")

    m = built["metrics"]
    inputs = [{**i, "source": "text"} for i in built["inputs"]]
    doc = {
        "name": build.NAME,
        "version": a.version,
        "domain": "moderation",
        "task": "binary-classification",
        "description": (
            "Offensive-language classifier over the feature stage's normalizedText: alt-profanity-check's "
            "calibrated linear SVM (MIT, trained by its authors on ~200k human-labeled texts), converted to ONNX."
        ),
        **({"featureSet": feature_set} if feature_set else {}),
        "features": [],
        "inputs": inputs,
        "outputs": built["outputs"],
        "output": {"name": "probabilities", "index": 1, "meaning": "P(offensive)"},
        "preprocessing": {
            "inGraph": True,
            "description": (
                "Inside model.onnx: lower-casing (StringNormalizer, locale C: ASCII only; normalizedText is "
                "already lower-cased), tokenization on [\\p{L}\\p{N}_]+ (com.microsoft Tokenizer), TF-IDF over "
                "upstream's 15,442-word vocabulary, L2 norm. Feed normalizedText as a string tensor [N, 1]."
            ),
            "steps": [{"op": "tfidf", "vocabulary": 15442, "stopWords": "english (scikit-learn)"}],
        },
        "thresholds": built["thresholds"],
        "metrics": m,
        "reference": {
            "window": built["reference"]["window"],
            "binning": "edges = reference deciles (unique); bin(x) = #edges < x; len(proportions) = len(edges) + 1",
            "features": built["reference"]["features"],
            "score": built["reference"]["score"],
        },
        "rules": {"wordlist": "consumers/features/moderation/blocklist-en.tsv", "source": WORDLIST_SOURCE,
                  "use": "rating 2 = blocklist hit (PostFeatures.blocklistHits); rating 1 = weak signal"},
        "provenance": {
            "command": a.command or "python -m training.pipeline",
            "gitCommit": commit,
            "seed": a.seed,
            "data": (
                "No training here: converted from alt-profanity-check 1.9.1 (PyPI), whose authors trained it on "
                "t-davidson/hate-speech-and-offensive-language (MIT) + Jigsaw Toxic Comment Classification "
                "(CC0; comment text CC BY-SA 3.0) — ~200k labeled texts, not redistributed with the wheel."
            ),
            "libraries": libs,
            "trainingSeconds": round(built["seconds"], 1),
            "upstream": {"package": "alt-profanity-check", "version": "1.9.1", "license": "MIT",
                          "files": ["profanity_check/data/vectorizer.joblib", "profanity_check/data/model.joblib"]},
        },
        "license": {
            "model": "MIT (derived from alt-profanity-check © 2018 Victor Zhou, 2021 Menelaos Kotoglou, Dimitrios Mistriotis; see LICENSE.alt-profanity-check)",
            "data": "Upstream training data: Davidson et al. 2017 (MIT), Jigsaw/Kaggle toxic comments (CC0 / CC BY-SA 3.0). Word list (evaluation, rule stage): cuss (MIT). Our evaluation sentences: CC0.",
        },
        "opsets": built["opsets"],
    }
    doc = manifest.write(out_dir, doc)
    write_card(Path(a.models_dir) / build.NAME, doc, normalized)
    hs, cw = m["handWrittenSentences"], m.get("cussWordList")
    log(f"[moderation] sentences AUC {hs['aucRoc']:.3f}; words AUC {cw['aucRoc']:.3f}" if cw else
        f"[moderation] sentences AUC {hs['aucRoc']:.3f}")


def _op(o: dict) -> str:
    p = "–" if o["precision"] is None else f"{o['precision']:.3f}"
    r = "–" if o["recall"] is None else f"{o['recall']:.3f}"
    return f"{p} / {r}"


def write_card(folder: Path, doc: dict, normalized: bool) -> None:
    m = doc["metrics"]
    rows = []
    for key, label in (("handWrittenSentences", "hand-written sentences"), ("cussWordList", "cuss word list (word level)"),
                       ("simulatedPosts", "simulated posts (synthetic)")):
        if key in m:
            e = m[key]
            rows.append(f"| {label} | {e['size']} ({e['positives']} positive) | {e['aucRoc']:.3f} | {e['averagePrecision']:.3f} | "
                        f"{_op(e['atReview'])} | {_op(e['atBlock'])} |")
    cw = m.get("cussWordList")
    word_findings = ""
    if cw:
        worst = ", ".join(f"“{t['term']}” {t['score']:.2f}" for t in cw["highestScoredNegatives"])
        word_findings = (
            f"- **What the word list shows**: rating-2 terms mostly score low because "
            f"{cw['positivesOutOfVocabulary']:.0%} of them are outside upstream's vocabulary (rare slurs, compounds "
            f"such as “assclown”): the model never saw them, and the rule stage's blocklist is what catches them. "
            f"The clean-rated terms it scores highest show a bias learned from toxic-comment data: {worst}. Identity "
            f"and violence words alone raise the score; the score alone should send a post to review, not block it "
            f"without a second signal.\n"
        )
    errors = m["handWrittenSentences"]["errorsAtReview"]
    err_lines = [f"- label {e['label']}, score {e['score']:.3f}: “{e['text']}”" for e in errors] or ["- none"]
    sim = m.get("simulatedPosts")
    sim_lines = []
    if sim:
        sim_lines = ["", "Simulated posts, share flagged at review by category:", "",
                     "| category | posts | flagged ≥ review |", "|---|---|---|"]
        sim_lines += [f"| {c} | {v['posts']} | {v['flaggedAtReview']:.3f} |" for c, v in sim["byCategory"].items()]
    text = f"""# Model card: moderation-text

Generated by `bash training/train.sh` (`npm run train`) from training/moderation/; do not edit by hand.

## What it is
- **Task**: P(offensive) for a post's text: profanity, insults, abusive language (English).
- **Input**: `text`, string tensor [N, 1] = the feature stage's `normalizedText`. Output `probabilities`
  float32 [N, 2]; column 1 is the score.
- **Model**: alt-profanity-check 1.9.1 (PyPI, MIT): TF-IDF (15,442 unigrams, English stop words) →
  5-fold sigmoid-calibrated LinearSVC (class_weight balanced). Converted to ONNX with skl2onnx
  {doc['provenance']['libraries'].get('skl2onnx', '')}, ZipMap off, patches: the StringNormalizer's locale
  is "C" (onnxruntime's default en_US.UTF-8 is missing on slim hosts; the input is already lower-cased by
  normalizeText) and the tokenizer pattern is Unicode-aware ([\\p{{L}}\\p{{N}}_]+, like scikit-learn's \\w)
  instead of skl2onnx's ASCII one; from 1.0.1 a third: idf weighting, L2 normalisation and the 5 linear
  folds are rewritten as two MatMuls (same arithmetic reordered, ~5x faster per row; build.py
  `fast_linear_head`); from 1.0.2 a fourth: the dense 15,442-wide term-count row is replaced by a
  word → column lookup and sums over each text's own words (same arithmetic, ~3x faster per post
  batched; build.py `sparse_term_counts`). {doc['artifact']['bytes'] / 1e6:.2f} MB.
- **Not retrained by us.** Upstream trained it on ~200k human-labeled texts: the Davidson et al. 2017
  tweets (t-davidson/hate-speech-and-offensive-language, MIT) and the Jigsaw Toxic Comment
  Classification comments (Kaggle; CC0, comment text CC BY-SA 3.0). Those data are not shipped by any
  registry we can reach, so we could not re-run upstream's evaluation.

## Licences
- Model weights: MIT, © 2018 Victor Zhou, 2021 Menelaos Kotoglou, Dimitrios Mistriotis
  (`1.0.0/LICENSE.alt-profanity-check`).
- Rule-stage word list: {WORDLIST_SOURCE} (licence in consumers/features/moderation/BLOCKLIST-LICENSE.md).
  About 1,800 English words and phrases rated 0 (usually clean), 1 (maybe) or 2 (likely profane); the
  feature stage counts rating 2 as blocklist hits. We use the same list as a word-level evaluation set.
- Our evaluation sentences (training/moderation/eval-sentences.jsonl): written by the Verdict team, CC0.

## Thresholds
{doc['thresholds']['method']}

review = {doc['thresholds']['review']}, block = {doc['thresholds']['block']}.

## Evaluation, and what it is worth
| data | size | ROC AUC | AP | precision / recall ≥ review | precision / recall ≥ block |
|---|---|---|---|---|---|
{chr(10).join(rows)}

- **Hand-written sentences**: {m['handWrittenSentences']['description']}
  {'Texts were passed through the feature stage normalization first.' if normalized else 'Texts were scored as written (no feature-stage normalizer was available at training time).'}
- **cuss word list**: {m['cussWordList']['description'] if 'cussWordList' in m else 'not available'}
{word_findings}- **Simulated posts**: {sim['description'] if sim else 'not available'}
- **Upstream's own numbers**: {m['upstreamReported']['description']}
- **Conversion fidelity**: ONNX vs upstream scikit-learn on all {m['conversionFidelity']['texts']} texts above
  (lower-cased): max |Δ| = {m['conversionFidelity']['maxAbsDiff']:.2e}.

None of this is a benchmark on real, independently labeled posts of a known size beyond the word list; it
shows the converted model behaves like upstream's and sensibly on obvious cases. Known limits (upstream's
and ours): English only; misses obfuscations unless normalization undoes them ("f4ck", "b1tch"); flags
quoted or reclaimed profanity; no notion of spam, threats without swear words, or context.

Misclassified hand-written sentences at the review threshold:

{chr(10).join(err_lines)}
{chr(10).join(sim_lines)}

## Drift reference
`reference` in model.json: deciles of text length, token count and score over {doc['reference']['window']}.

## Reproduce
`npm run train` (or `bash training/train.sh --only moderation`): installs the pinned packages, fetches
simulated posts and the feature stage's normalization of every evaluation text, converts, evaluates,
writes this card.
"""
    (folder / "MODEL_CARD.md").write_text(text)
