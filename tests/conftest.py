"""Shared fixtures: a temporary data directory per test, the real CLI in a subprocess, the real model once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import wave
from contextlib import contextmanager
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# Copies of the eight dev dialogues of ../shared/data/dialogues: the suite runs without ../shared beside it.
DEV_DIALOGUES = sorted((DATA / "dev").glob("*.dialog"))


@pytest.fixture(scope="session", autouse=True)
def shared_model_cache(tmp_path_factory) -> None:
    """One cache of the learned phase and summary models for every data directory and CLI run of the session:
    each test has a fresh data directory, and training them again in every one would cost seconds per run."""
    os.environ["GESPREKOPNAME_CACHE"] = str(tmp_path_factory.mktemp("model-cache"))


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
    *args: str, home: Path, timeout: float = 600, prefix: tuple[str, ...] = (), env: dict | None = None, **kwargs
) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess; prefix wraps it (e.g. ("unshare", "-n") for no network), env adds variables."""
    env = {**os.environ, **(env or {}), "GESPREKOPNAME_HOME": str(home), "HF_HUB_OFFLINE": "1"}
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


@contextmanager
def virtual_microphone(directory: Path):
    """A private PulseAudio daemon whose null sink `spk` feeds its monitor, the default capture source:
    a real, real-time paced input device on machines without a sound card (docs: testing-audio.md).
    Yields the environment variables that point clients (the CLI, paplay) at it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "xdg").mkdir(mode=0o700, exist_ok=True)
    (directory / "run").mkdir(exist_ok=True)
    (directory / "pa.conf").write_text(
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={directory}/native\n"
        "load-module module-null-sink sink_name=spk rate=16000 channels=1\n"
        "set-default-sink spk\nset-default-source spk.monitor\n"
    )
    env = {"XDG_RUNTIME_DIR": str(directory / "xdg"), "PULSE_RUNTIME_PATH": str(directory / "run"),
           "PULSE_SERVER": f"unix:{directory}/native", "PULSE_SOURCE": "spk.monitor"}
    daemon = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(directory / "pa.conf"), "--daemonize=no", "--exit-idle-time=-1",
         "--disallow-exit"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=(directory / "pulseaudio.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env={**os.environ, **env}, capture_output=True).returncode:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PulseAudio did not start: {(directory / 'pulseaudio.log').read_text()}")
            time.sleep(0.2)
        yield env
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


@pytest.fixture(scope="session")
def microphone(tmp_path_factory):
    """Environment variables of a virtual microphone shared by the recording tests."""
    with virtual_microphone(tmp_path_factory.mktemp("pulse")) as env:
        yield env
