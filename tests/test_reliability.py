"""The store survives what happens on a real laptop: parallel runs, a killed process, a full disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import DEV_DIALOGUES, count_rows, run_cli

CONVERSATION = next(p for p in DEV_DIALOGUES if p.name == "05-bijbaan-servicebalie.dialog")


def _long_vtt(path: Path, cues: int) -> Path:
    """A conversation of `cues` five-second cues (3000 cues: over four hours)."""
    lines = ["WEBVTT", ""]
    for i in range(cues):
        start, end = i * 5, i * 5 + 4
        lines += [f"{_clock(start)} --> {_clock(end)}", f"<v Leerling>Ik heb brood gebakken, keer {i}.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}.000"


def _integrity(home: Path) -> str:
    with sqlite3.connect(home / "gesprekken.db") as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _spawn(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gesprekopname", *args],
        env={**os.environ, "GESPREKOPNAME_HOME": str(home)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_three_processes_processing_at_once_all_succeed(home, tmp_path):
    transcript = tmp_path / "gesprek.txt"
    transcript.write_text(CONVERSATION.read_text(encoding="utf-8").split("---", 2)[2], encoding="utf-8")
    procs = [_spawn(home, "verwerken", str(transcript)) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outputs]
    assert count_rows(home, "sessions") == 3
    assert _integrity(home) == "ok"


def test_process_killed_while_processing_leaves_no_partial_session(home, tmp_path):
    transcript = _long_vtt(tmp_path / "lang.vtt", 3000)
    assert run_cli("lijst", home=home).returncode == 0  # the database exists before the kills
    for delay in (0.5, 1.5, 2.5, 3.0, 3.5):  # from reading the file to the middle of saving it
        proc = _spawn(home, "verwerken", str(transcript))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert _integrity(home) == "ok"
        with sqlite3.connect(home / "gesprekken.db") as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM segments WHERE session_id = s.id) FROM sessions s"
            ).fetchall()
        assert all(n == 3000 for (n,) in counts), counts  # a stored session is always whole


def test_full_disk_gives_a_clear_message_and_keeps_the_database_intact(home, tmp_path):
    small = tmp_path / "kort.txt"
    small.write_text("Begeleider: Vertel eens over je stage.\nLeerling: Ik heb brood gebakken.\n", encoding="utf-8")
    first = run_cli("verwerken", str(small), home=home)
    assert first.returncode == 0, first.stderr
    # ulimit -f caps every file this process writes at 200 KiB: the long session cannot fit.
    limited = ("bash", "-c", 'ulimit -f 200; exec "$@"', "--")
    result = run_cli("verwerken", str(_long_vtt(tmp_path / "lang.vtt", 3000)), home=home, prefix=limited)
    assert result.returncode == 2
    assert "schijf is vol" in result.stderr and "Traceback" not in result.stderr
    assert _integrity(home) == "ok"
    assert count_rows(home, "sessions") == 1
    listing = run_cli("export", first.stdout.strip(), "--format", "txt", home=home)
    assert "Ik heb brood gebakken." in listing.stdout
