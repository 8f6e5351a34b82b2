#!/usr/bin/env bash
# The one training command (npm run train). From a clean checkout:
#   setup training/.venv (pinned) → simulate + replay features with the stream's own TypeScript code →
#   train → export ONNX → evaluate → write models/<name>/<version>/ and the reports.
#
# Usage: bash training/train.sh [--seed N] [--version X.Y.Z] [--only fraud|moderation|all]
#                               [--fraud-kinds gbt,mlp] [--reuse-data] [--posts N]
# Same seed → same models and metrics. Everything runs offline except the first setup (PyPI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seed=42
version=1.0.0
only=all
kinds=gbt,mlp
reuse=0
posts=5000
sim_seed=42 # the simulator's default (TRANSACTION_DEFAULTS.seed): the handbook-scale dataset
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --fraud-kinds) kinds="$2"; shift 2 ;;
    --reuse-data) reuse=1; shift ;;
    --posts) posts="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# One thread per library: reproducible floating point, and faster than contended OpenMP on 2 cores.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
data=training/data
mkdir -p "$data"
t0=$SECONDS
stamp() { echo "[train] $1 ($((SECONDS - t0)) s)" >&2; }

bash training/setup.sh
stamp "python environment ready"

if [[ "$only" != moderation ]]; then
  if [[ $reuse == 1 && -s $data/fraud-features.csv ]]; then
    stamp "reusing $data/fraud-features.csv"
  else
    npx --no-install tsx consumers/features/replay/cli.ts --seed "$sim_seed" --out "$data/fraud-features.csv"
    stamp "feature replay written"
    # The raw simulated transactions, for the cross-check of the replay against the handbook's definitions.
    npx --no-install tsx producers/simulators/transactions/cli.ts --seed "$sim_seed" --format csv --out "$data/transactions.csv"
    stamp "simulated transactions written (feature cross-check)"
  fi
fi
if [[ "$only" != fraud ]]; then
  if [[ $reuse == 0 || ! -s $data/posts.jsonl ]]; then
    npx --no-install tsx producers/simulators/posts/cli.ts --count "$posts" --seed "$sim_seed" --out "$data/posts.jsonl"
  fi
fi
npx --no-install tsx training/feature-bridge.ts "$data"
stamp "feature spec and normalized texts written"

cmd="bash training/train.sh --seed $seed --version $version --only $only --fraud-kinds $kinds"
training/.venv/bin/python -m training.pipeline --seed "$seed" --version "$version" --only "$only" \
  --fraud-kinds "$kinds" --sim-seed "$sim_seed" --data-dir "$data" --models-dir models --command "$cmd"
stamp "done"
