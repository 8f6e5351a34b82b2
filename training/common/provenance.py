"""Where a model came from: command, commit, seed, library versions."""

from __future__ import annotations

import importlib.metadata
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
