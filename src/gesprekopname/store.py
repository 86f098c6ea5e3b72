"""The SQLite store: numbered migrations, sessions with their segments, words and phase spans."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from gesprekopname.errors import UserError
from gesprekopname.types import Evidence, PhaseSpan, Segment, Session, Word


def _m001_sessions(db: sqlite_utils.Database) -> None:
    db["sessions"].create(
        {"id": str, "leerling": str, "datum": str, "duur": float, "bron": str, "bestand": str,
         "summary": str, "evidence": str, "warnings": str},
        pk="id",
    )
    db["segments"].create(
        {"id": int, "session_id": str, "idx": int, "start": float, "end": float, "speaker": str,
         "voice": str, "phase": str, "text": str},
        pk="id", foreign_keys=[("session_id", "sessions", "id")],
    )
    db["words"].create(
        {"id": int, "segment_id": int, "idx": int, "start": float, "end": float, "word": str,
         "probability": float},
        pk="id", foreign_keys=[("segment_id", "segments", "id")],
    )
    db["phases"].create(
        {"session_id": str, "idx": int, "phase": str, "start": float, "end": float},
        pk=("session_id", "idx"), foreign_keys=[("session_id", "sessions", "id")],
    )
    db["segments"].create_index(["session_id", "idx"], unique=True)
    db["words"].create_index(["segment_id", "idx"], unique=True)
    db["sessions"].create_index(["leerling"])


# Append only: a migration that has run on someone's database never changes.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_m001_sessions]


def _migrate(db: sqlite_utils.Database) -> None:
    # IMMEDIATE takes the write lock first, so two processes starting at once do not both migrate.
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT)")
        done = {row[0] for row in db.execute("SELECT number FROM _migrations").fetchall()}
        for number, migration in enumerate(MIGRATIONS, start=1):
            if number not in done:
                migration(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", [number, migration.__name__])
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise


@contextmanager
def open_db(path: Path):
    """The database at path, migrated, in WAL mode with foreign keys on."""
    try:
        conn = sqlite3.connect(path, timeout=60)
        db = sqlite_utils.Database(conn, execute_plugins=False)  # no plugin scan: faster start, fewer surprises
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA secure_delete = ON")  # deleted rows are overwritten, not just unlinked
        db.execute("PRAGMA journal_mode = WAL")
        _migrate(db)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"De database {path} is niet te openen: {exc}") from None
    try:
        yield db
    finally:
        db.close()


def save_session(db: sqlite_utils.Database, session: Session) -> None:
    """Store a whole session in one transaction, replacing an earlier version of it (herverwerken):
    on failure no row of it changes."""
    try:
        with db.atomic():
            db["sessions"].insert(_session_row(session), replace=True)
            _delete_children(db, session.id)
            _insert_children(db, session)
    except sqlite3.OperationalError as exc:
        if not _out_of_space(exc):
            raise
        raise UserError(
            "Opslaan mislukt: de schijf is vol of de bestandsgrootte is begrensd. Er is niets van dit gesprek "
            "opgeslagen en de bestaande gesprekken zijn intact. Maak ruimte vrij en probeer het opnieuw."
        ) from None


def _out_of_space(exc: sqlite3.OperationalError) -> bool:
    # A full disk is SQLITE_FULL; a file-size limit (EFBIG) reaches SQLite as a plain I/O error.
    return any(text in str(exc) for text in ("disk is full", "disk I/O error"))


def _session_row(session: Session) -> dict:
    return {
        "id": session.id, "leerling": session.leerling, "datum": session.datum, "duur": session.duur,
        "bron": session.bron, "bestand": session.bestand,
        "summary": json.dumps(session.summary, ensure_ascii=False),
        "evidence": json.dumps(
            {k: [vars(e) for e in v] for k, v in session.evidence.items()}, ensure_ascii=False
        ),
        "warnings": json.dumps(session.warnings, ensure_ascii=False),
    }


def _delete_children(db: sqlite_utils.Database, session_id: str) -> None:
    db.execute(
        "DELETE FROM words WHERE segment_id IN (SELECT id FROM segments WHERE session_id = ?)", [session_id]
    )
    db.execute("DELETE FROM segments WHERE session_id = ?", [session_id])
    db.execute("DELETE FROM phases WHERE session_id = ?", [session_id])


def _insert_children(db: sqlite_utils.Database, session: Session) -> None:
    for idx, seg in enumerate(session.segments):
        segment_id = db["segments"].insert(
            {"session_id": session.id, "idx": idx, "start": seg.start, "end": seg.end,
             "speaker": seg.speaker, "voice": seg.voice, "phase": seg.phase, "text": seg.text}
        ).last_pk
        db["words"].insert_all(
            {"segment_id": segment_id, "idx": i, "start": w.start, "end": w.end, "word": w.word,
             "probability": w.probability}
            for i, w in enumerate(seg.words)
        )
    db["phases"].insert_all(
        {"session_id": session.id, "idx": i, "phase": s.phase, "start": s.start, "end": s.end}
        for i, s in enumerate(session.phases)
    )


def find_session_id(db: sqlite_utils.Database, ref: str) -> str:
    """A full id or an unambiguous prefix of one."""
    rows = db.execute("SELECT id FROM sessions WHERE id LIKE ? || '%' LIMIT 2", [ref]).fetchall()
    if len(rows) == 1 and ref:
        return rows[0][0]
    if not rows or not ref:
        raise UserError(f"Geen gesprek gevonden met id '{ref}'. Zie `gesprekopname lijst`.")
    raise UserError(f"Het id '{ref}' past bij meer dan één gesprek; geef meer tekens.")


def load_session(db: sqlite_utils.Database, ref: str) -> Session:
    row = db["sessions"].get(find_session_id(db, ref))
    evidence = {k: [Evidence(**e) for e in v] for k, v in json.loads(row["evidence"] or "{}").items()}
    return Session(
        id=row["id"], leerling=row["leerling"], datum=row["datum"], duur=row["duur"], bron=row["bron"],
        bestand=row["bestand"], segments=_load_segments(db, row["id"]),
        phases=[PhaseSpan(r["phase"], r["start"], r["end"])
                for r in db["phases"].rows_where("session_id = ?", [row["id"]], order_by="idx")],
        summary=json.loads(row["summary"] or "{}"), evidence=evidence,
        warnings=json.loads(row["warnings"] or "[]"),
    )


def _load_segments(db: sqlite_utils.Database, session_id: str) -> list[Segment]:
    words: dict[int, list[Word]] = {}
    for r in db.query(
        "SELECT w.* FROM words w JOIN segments s ON s.id = w.segment_id WHERE s.session_id = ? "
        "ORDER BY w.segment_id, w.idx", [session_id]
    ):
        words.setdefault(r["segment_id"], []).append(Word(r["start"], r["end"], r["word"], r["probability"]))
    return [
        Segment(r["start"], r["end"], r["text"], r["speaker"], r["voice"], r["phase"], words.get(r["id"], []))
        for r in db["segments"].rows_where("session_id = ?", [session_id], order_by="idx")
    ]


def list_sessions(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query(
        "SELECT s.id, s.leerling, s.datum, s.duur, s.bron, s.bestand, "
        "(SELECT count(*) FROM segments g WHERE g.session_id = s.id) AS segmenten "
        "FROM sessions s ORDER BY s.datum DESC"
    ))


def delete_session(db: sqlite_utils.Database, ref: str) -> str:
    session_id = find_session_id(db, ref)
    with db.atomic():
        _delete_children(db, session_id)
        db.execute("DELETE FROM sessions WHERE id = ?", [session_id])
    _forget(db)
    return session_id


def _forget(db: sqlite_utils.Database) -> None:
    """Make deleted text unreadable from the files: secure_delete zeroes freed pages, the checkpoint
    empties the WAL (which still holds old page images) and VACUUM rewrites the database without them."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
