"""The store on a real SQLite file: migrations, one transaction per session, WAL and foreign keys."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from gesprekopname import store
from gesprekopname.types import PhaseSpan, Segment, Session, Word


def make_session(session_id: str = "abcd1234", text: object = "Wat deed jij hierin heel goed?") -> Session:
    return Session(
        id=session_id, leerling="Sanne", datum="2026-11-28T14:00:00+01:00", duur=9.0, bron="bestand",
        segments=[
            Segment(0.0, 4.0, "Vertel eens.", "begeleider", "B", "terugkijken", [Word(0.0, 1.0, " Vertel", 0.9)]),
            Segment(4.0, 9.0, text, "begeleider", "B", "reflecteren"),
        ],
        phases=[PhaseSpan("terugkijken", 0.0, 4.0), PhaseSpan("reflecteren", 4.0, 9.0)],
    )


def test_a_session_round_trips_with_words_and_phases(tmp_path):
    with store.open_db(tmp_path / "g.db") as db:
        store.save_session(db, make_session())
        loaded = store.load_session(db, "abcd")
    assert loaded == make_session()


def test_a_failing_save_leaves_no_row_behind(tmp_path):
    with store.open_db(tmp_path / "g.db") as db:
        with pytest.raises(sqlite3.Error):
            store.save_session(db, make_session(text=object()))  # cannot be bound: fails mid-way
        counts = [db[t].count for t in ("sessions", "segments", "words", "phases")]
    assert counts == [0, 0, 0, 0]


def test_another_process_writing_while_a_session_is_saved_does_not_make_the_save_fail(tmp_path):
    """Three `verwerken` runs at once once failed with 'database is locked': a save that read before another
    process committed cannot take the write lock afterwards. Here the other writer comes in exactly there."""
    path = tmp_path / "g.db"
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    interfered = []

    def write_from_elsewhere(sql: str) -> None:
        if not interfered and sql.startswith("INSERT"):  # its first write, after it read
            interfered.append(sql)
            # Another tool's write, committed at once; it finds the lock taken when the save holds it from its
            # start (a real process would wait its turn).
            with contextlib.suppress(sqlite3.OperationalError):
                other.execute("CREATE TABLE notities (tekst TEXT)")

    with store.open_db(path) as db:
        db.conn.set_trace_callback(write_from_elsewhere)
        store.save_session(db, make_session())
        db.conn.set_trace_callback(None)
        assert interfered and store.load_session(db, "abcd") == make_session()
    other.close()


def test_migrations_run_once_and_are_recorded(tmp_path):
    for _ in range(2):
        with store.open_db(tmp_path / "g.db") as db:
            numbers = [r[0] for r in db.execute("SELECT number FROM _migrations").fetchall()]
    assert numbers == list(range(1, len(store.MIGRATIONS) + 1))


def test_database_uses_wal_and_foreign_keys(tmp_path):
    with store.open_db(tmp_path / "g.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.IntegrityError):
            db["segments"].insert({"session_id": "bestaat-niet", "idx": 0, "start": 0, "end": 1, "text": "x"})


def test_saving_again_replaces_the_previous_analysis(tmp_path):
    with store.open_db(tmp_path / "g.db") as db:
        store.save_session(db, make_session())
        shorter = make_session()
        shorter.segments = shorter.segments[:1]
        store.save_session(db, shorter)
        assert db["segments"].count == 1 and db["sessions"].count == 1
