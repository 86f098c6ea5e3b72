"""Models learned from the example conversations, kept on disk so a new process loads instead of trains."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import simplemma

from gesprekopname import config

T = TypeVar("T")


def cache_dir() -> Path:
    """$GESPREKOPNAME_CACHE when set (tests share one across many data directories), else <data dir>/cache."""
    override = os.environ.get("GESPREKOPNAME_CACHE")
    return Path(override).expanduser() if override else config.data_dir() / "cache"


def fingerprint(paths: list[Path]) -> str:
    """A hash of the package's code (sentence splitting and example reading shape the models too), the
    lemmatiser's version and every input file's name and content."""
    digest = hashlib.sha256(simplemma.__version__.encode())
    for code in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(code.read_bytes())
    for path in paths:
        digest.update(str(path).encode() + b"\0" + path.expanduser().read_bytes())
    return digest.hexdigest()[:24]


def cached(prefix: str, paths: list[Path], build: Callable[[], T]) -> T:
    """What build() makes from these files, from disk when it was made before from the same files and code."""
    try:
        path = cache_dir() / f"{prefix}-{fingerprint(paths)}.pickle"
    except OSError:  # an unreadable input file: building says which, in Dutch
        return build()
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass  # not built yet, or built by an older layout
    built = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")  # renamed when complete: runs may overlap
        partial.write_bytes(pickle.dumps(built))
        partial.replace(path)
    except OSError:
        pass  # a read-only data directory only costs time
    return built
