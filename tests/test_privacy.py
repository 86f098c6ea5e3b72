"""Privacy by default: a private data directory, and the whole job without a network."""

from __future__ import annotations

import contextlib
import sqlite3
import stat

from conftest import DATA, run_cli


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_fresh_data_directory_is_700_and_database_600(tmp_path):
    home = tmp_path / "nieuw" / "home"
    result = run_cli("verwerken", str(DATA / "transcript-plain.vtt"), home=home)
    assert result.returncode == 0, result.stderr
    assert _mode(home) == 0o700
    assert _mode(home / "gesprekken.db") == 0o600
    assert all(_mode(f) & 0o077 == 0 for f in home.rglob("*") if f.is_file())


def test_audio_is_processed_with_networking_disabled(home):
    # unshare -n: a new network namespace with only a downed loopback, so any connection attempt fails.
    result = run_cli("verwerken", str(DATA / "clip-04.flac"), "--json", home=home, prefix=("unshare", "-n"))
    assert result.returncode == 0, result.stderr
    assert '"segments"' in result.stdout


def _stored_bytes(home) -> bytes:
    return b"".join(f.read_bytes() for f in home.glob("gesprekken.db*"))


def test_deleted_session_text_cannot_be_read_from_the_database_files(home, tmp_path):
    secret = "Zeppelinbouwer Quirijn"
    transcript = tmp_path / "gesprek.txt"
    transcript.write_text(f"Begeleider: Vertel eens.\nLeerling: Ik liep mee met {secret} in de hangar.\n", "utf-8")
    kept = run_cli("verwerken", str(DATA / "transcript.txt"), home=home)
    made = run_cli("verwerken", str(transcript), home=home)
    assert made.returncode == 0 and kept.returncode == 0, made.stderr + kept.stderr
    assert secret.encode() in _stored_bytes(home)

    # Another open connection (a second window, a backup tool) keeps the WAL alive: no checkpoint on close.
    with contextlib.closing(sqlite3.connect(home / "gesprekken.db")) as other:
        other.execute("SELECT count(*) FROM sessions").fetchone()
        result = run_cli("verwijderen", made.stdout.strip(), "--ja", home=home)
        assert result.returncode == 0, result.stderr
        assert secret.encode() not in _stored_bytes(home)
    assert run_cli("export", kept.stdout.strip(), home=home).returncode == 0
