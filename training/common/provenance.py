"""Where a model came from: command, commit, seed, library versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys

TRACKED_LIBRARIES = [
    "numpy",
    "pandas",
    "scikit-learn",
    "lightgbm",
    "onnx",
    "onnxruntime",
    "skl2onnx",
    "onnxmltools",
    "alt-profanity-check",
]


# The code that shapes a model: the pipeline, the feature code it replays, the simulators.
SOURCE_PATHS = ["training", "consumers/features", "producers/simulators", "package-lock.json"]


def git_commit(repo: str = ".") -> str | None:
    """HEAD commit, with `-dirty` when SOURCE_PATHS have uncommitted changes (None outside git)."""
    try:
        head = subprocess.run(
            ["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", repo, "status", "--porcelain", "--", *SOURCE_PATHS],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return f"{head}-dirty" if status else head
    except (OSError, subprocess.CalledProcessError):
        return None


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def command_line() -> str:
    return " ".join(["python", "-m", "training.pipeline", *sys.argv[1:]])


def fix_hash_seed(module: str, argv: list[str]) -> None:
    """Re-runs `python -m <module> <argv>` with PYTHONHASHSEED=0 unless it is already so.

    Converters iterate sets of strings (skl2onnx collects opset domains in one), so with Python's
    per-process hash randomization the same code and data write model.onnx files whose bytes, and
    so whose artifact hash, differ from run to run. The seed is read once, when the interpreter
    starts: setting os.environ from inside the process is too late, hence the re-exec."""
    if os.environ.get("PYTHONHASHSEED") == "0":
        return
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], {**os.environ, "PYTHONHASHSEED": "0"})
