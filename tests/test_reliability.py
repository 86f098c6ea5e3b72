"""The store survives what happens on a real laptop: parallel runs, a killed process, a full disk."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from itertools import cycle
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


def _ten_hours(path: Path) -> Path:
    """Ten hours of the dev conversations' turns one after the other, with their speakers, a cue per turn of
    about half a second per word."""
    turns = cycle(line for dialog in DEV_DIALOGUES for line in dialog.read_text(encoding="utf-8").splitlines()
                  if line[:3] in ("B: ", "S: "))
    lines, start = ["WEBVTT", ""], 0
    while start < 10 * 3600:
        line = next(turns)
        end = start + max(2, len(line.split()) // 2)
        voice = "Begeleider" if line[0] == "B" else "Leerling"
        lines += [f"{_clock(start)} --> {_clock(end)}", f"<v {voice}>{line[3:]}", ""]
        start = end + 1
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _wait(proc: subprocess.Popen, seconds: float) -> tuple[int, resource.struct_rusage] | None:
    """The exit code and resource use of this one child; None, and the child killed, after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status), usage
        time.sleep(0.5)
    proc.kill()
    os.wait4(proc.pid, 0)
    return None


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


def test_a_ten_hour_transcript_is_processed_within_time_and_memory_bounds(home, tmp_path):
    """Bounds that work growing faster than the conversation would break (a matrix of every sentence against
    every other, a decoder over all pairs); the speed itself is measured by benchmarks/evaluate.py."""
    transcript, output, errors = _ten_hours(tmp_path / "lang.vtt"), tmp_path / "uit.json", tmp_path / "fouten.txt"
    with output.open("w") as out, errors.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "gesprekopname", "verwerken", str(transcript), "--json"],
                                env={**os.environ, "GESPREKOPNAME_HOME": str(home)}, stdout=out, stderr=err)
        ended = _wait(proc, 600)
    assert ended and ended[0] == 0, errors.read_text()
    assert ended[1].ru_maxrss < 1_500_000  # kilobytes: well within a school laptop's memory
    session = json.loads(output.read_text(encoding="utf-8"))
    assert session["duur"] > 9.9 * 3600 and len(session["segments"]) >= transcript.read_text().count(" --> ")
    assert {p["phase"] for p in session["phases"]} >= {"terugkijken", "reflecteren", "vooruitkijken", "activeren"}
