"""Privacy by default: a private data directory, and the whole job without a network."""

from __future__ import annotations

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
