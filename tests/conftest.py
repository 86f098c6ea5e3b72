"""Shared fixtures: a temporary data directory per test, the real CLI in a subprocess, the real model once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import wave
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The bundled base model, assembled once per test session into its own data directory."""
    from gesprekopname import asr

    home = tmp_path_factory.mktemp("model-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GESPREKOPNAME_HOME", str(home))
        return asr.bundled_model_dir()


@pytest.fixture
def home(tmp_path, model_dir) -> Path:
    """A fresh data directory whose config points at the session's model, so no test re-assembles it."""
    path = tmp_path / "home"
    path.mkdir()
    (path / "config.toml").write_text(f'[model]\npath = "{model_dir}"\n', encoding="utf-8")
    return path


def run_cli(
    *args: str, home: Path, timeout: float = 600, prefix: tuple[str, ...] = (), **kwargs
) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess; prefix wraps it (e.g. ("unshare", "-n") for no network)."""
    env = {**os.environ, "GESPREKOPNAME_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("GESPREKOPNAME_DEBUG", None)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "gesprekopname", *args], env=env, capture_output=True, text=True,
        timeout=timeout, **kwargs,
    )


def count_rows(home: Path, table: str) -> int:
    db = home / "gesprekken.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [table]).fetchone()
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if exists else 0


def write_silence(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
