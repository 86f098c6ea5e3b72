"""The SQLite store: numbered migrations, sessions with their segments, words and phase spans."""

from __future__ import annotations

import getpass
import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
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


def _m002_consent(db: sqlite_utils.Database) -> None:
    # JSON like summary: who consented (leerling|ouder), text and version, purpose, retention, time.
    # A column, not a table, so deleting a session (consent withdrawn) removes its consent record too.
    db["sessions"].add_column("toestemming", str)


def _m003_edits(db: sqlite_utils.Database) -> None:
    # The begeleider's corrections apart from the engine's summary, so herverwerken cannot overwrite them.
    db["sessions"].add_column("edits", str)


# The summary as the begeleider sees it (engine's fields with the corrections on top), in SQL for triggers.
_MERGED = "json_patch(coalesce({r}.summary, '{{}}'), coalesce({r}.edits, '{{}}'))"
# Derived rows follow the session row in the same statement, whatever code path writes it (save, edits, delete).
# No upsert: inside a trigger the outer INSERT OR REPLACE would turn it into a replace and reset the status.
# The summary's search rows are cleared first, as REPLACE fires the delete trigger only with recursive_triggers.
_DERIVE = """
    DELETE FROM summaries_fts WHERE session_id = new.id;
    INSERT INTO summaries_fts (session_id, field, text)
        SELECT new.id, j.key, CASE j.type WHEN 'array' THEN (SELECT group_concat(value, '; ') FROM json_each(j.value))
                                          ELSE j.value END
        FROM json_each({merged}) j WHERE j.type IN ('text', 'array') AND j.value NOT IN ('', '[]');
    DELETE FROM vervolgstappen WHERE session_id = new.id AND json_extract({merged}, '$.vervolgstap') IS NULL;
    UPDATE vervolgstappen SET wat = json_extract({merged}, '$.vervolgstap'),
        wanneer = json_extract({merged}, '$.wanneer'), contact = json_extract({merged}, '$.contact')
        WHERE session_id = new.id;
    INSERT INTO vervolgstappen (session_id, wat, wanneer, contact)
        SELECT new.id, json_extract(m, '$.vervolgstap'), json_extract(m, '$.wanneer'), json_extract(m, '$.contact')
        FROM (SELECT {merged} AS m) WHERE json_extract(m, '$.vervolgstap') IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM vervolgstappen WHERE session_id = new.id);
""".format(merged=_MERGED.format(r="new"))


def _m004_leerlingen(db: sqlite_utils.Database) -> None:
    # AUTOINCREMENT: an id is never reused, so audit rows of a deleted student never point at a new one.
    _run_script(db, f"""
    CREATE TABLE leerlingen (id INTEGER PRIMARY KEY AUTOINCREMENT, naam TEXT NOT NULL UNIQUE COLLATE NOCASE,
                             aangemaakt TEXT NOT NULL);
    ALTER TABLE sessions ADD COLUMN leerling_id INTEGER REFERENCES leerlingen(id);
    CREATE INDEX idx_sessions_leerling_id ON sessions (leerling_id);
    INSERT OR IGNORE INTO leerlingen (naam, aangemaakt)
        SELECT trim(leerling), min(datum) FROM sessions WHERE trim(coalesce(leerling, '')) != ''
        GROUP BY trim(leerling) ORDER BY min(datum);
    UPDATE sessions SET leerling_id = (SELECT id FROM leerlingen WHERE naam = trim(sessions.leerling));

    -- One vervolgstap per session, from its summary; the status is the begeleider's and survives herverwerken.
    CREATE TABLE vervolgstappen (
        id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL UNIQUE REFERENCES sessions(id),
        wat TEXT NOT NULL, wanneer TEXT, contact TEXT, status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'gedaan', 'niet gedaan', 'bijgesteld')),
        gezet TEXT);

    -- Who did what when, never what was said or about whom by name: ids and counts only.
    CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, tijd TEXT NOT NULL, gebruiker TEXT,
                        actie TEXT NOT NULL, session_id TEXT, leerling_id INTEGER, aantal INTEGER);

    -- Full-text search. Segments: external content (the text is stored once), kept in sync by triggers.
    CREATE VIRTUAL TABLE segments_fts USING fts5 (text, content='segments', content_rowid='id',
                                                  tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER segments_fts_insert AFTER INSERT ON segments BEGIN
        INSERT INTO segments_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER segments_fts_delete AFTER DELETE ON segments BEGIN
        INSERT INTO segments_fts (segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER segments_fts_update AFTER UPDATE OF text ON segments BEGIN
        INSERT INTO segments_fts (segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO segments_fts (rowid, text) VALUES (new.id, new.text);
    END;
    INSERT INTO segments_fts (segments_fts) VALUES ('rebuild');

    -- Summaries: one row per filled field. INSERT OR REPLACE fires no delete trigger, so inserts clear first.
    CREATE VIRTUAL TABLE summaries_fts USING fts5 (session_id UNINDEXED, field UNINDEXED, text,
                                                   tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER sessions_derive_insert AFTER INSERT ON sessions BEGIN {_DERIVE} END;
    CREATE TRIGGER sessions_derive_update AFTER UPDATE OF summary, edits ON sessions BEGIN {_DERIVE} END;
    -- Not the vervolgstap: sqlite-utils turns recursive_triggers on, so INSERT OR REPLACE fires this too and
    -- would reset its status; delete_sessions removes it.
    CREATE TRIGGER sessions_derive_delete AFTER DELETE ON sessions BEGIN
        DELETE FROM summaries_fts WHERE session_id = old.id;
    END;
    """)
    # Existing sessions get their derived rows by touching them once (fires the update trigger).
    db.execute("UPDATE sessions SET summary = summary")


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    """Statement by statement: executescript would commit the migration's transaction halfway."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


def _m005_estimated_times(db: sqlite_utils.Database) -> None:
    """Whether the times were estimated from the words (a text without times): the verslag says so."""
    db["sessions"].add_column("tijden_geschat", int, not_null_default=0)


# Append only: a migration that has run on someone's database never changes.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m001_sessions, _m002_consent, _m003_edits, _m004_leerlingen, _m005_estimated_times,
]


@contextmanager
def writing(db: sqlite_utils.Database):
    """One write transaction that takes the write lock at its start. A deferred one (sqlite-utils' atomic) that
    reads first cannot wait for a lock when another process wrote in between: SQLite fails it at once with
    'database is locked'. IMMEDIATE waits (the connection's timeout) and then always succeeds."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:  # an error such as a full disk may already have ended it
            db.conn.execute("ROLLBACK")
        raise


def _migrate(db: sqlite_utils.Database) -> None:
    # Taking the write lock first also keeps two processes starting at once from both migrating.
    with writing(db):
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT)")
        done = {row[0] for row in db.execute("SELECT number FROM _migrations").fetchall()}
        for number, migration in enumerate(MIGRATIONS, start=1):
            if number not in done:
                migration(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", [number, migration.__name__])


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
        with writing(db):
            again = db["sessions"].count_where("id = ?", [session.id]) > 0
            leerling_id = _leerling_id(db, session.leerling)
            db["sessions"].insert(_session_row(session) | {"leerling_id": leerling_id}, replace=True)
            _delete_children(db, session.id)
            _insert_children(db, session)
            audit(db, "herverwerkt" if again else "verwerkt", session_id=session.id, leerling_id=leerling_id)
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
        "bron": session.bron, "bestand": session.bestand, "tijden_geschat": int(session.tijden_geschat),
        "summary": json.dumps(session.summary, ensure_ascii=False),
        "evidence": json.dumps(
            {k: [vars(e) for e in v] for k, v in session.evidence.items()}, ensure_ascii=False
        ),
        "warnings": json.dumps(session.warnings, ensure_ascii=False),
        "edits": json.dumps(session.edits, ensure_ascii=False),
        "toestemming": json.dumps(session.toestemming, ensure_ascii=False) if session.toestemming else None,
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


def save_edits(db: sqlite_utils.Database, session_id: str, edits: dict) -> None:
    """The begeleider's corrections of one session, replacing the earlier set in one statement."""
    db.execute("UPDATE sessions SET edits = ? WHERE id = ?", [json.dumps(edits, ensure_ascii=False), session_id])


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
    session = Session(
        id=row["id"], leerling=row["leerling"], datum=row["datum"], duur=row["duur"], bron=row["bron"],
        bestand=row["bestand"], segments=_load_segments(db, row["id"]),
        phases=[PhaseSpan(r["phase"], r["start"], r["end"])
                for r in db["phases"].rows_where("session_id = ?", [row["id"]], order_by="idx")],
        summary=json.loads(row["summary"] or "{}"), evidence=evidence,
        warnings=json.loads(row["warnings"] or "[]"), edits=json.loads(row["edits"] or "{}"),
        toestemming=json.loads(row["toestemming"] or "null"), tijden_geschat=bool(row["tijden_geschat"]),
    )
    session.vorige_vervolgstap = previous_vervolgstap(db, session)
    return session


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
    rows = db.query(
        "SELECT s.id, s.leerling, s.datum, s.duur, s.bron, s.bestand, s.tijden_geschat, "
        "(SELECT count(*) FROM segments g WHERE g.session_id = s.id) AS segmenten "
        "FROM sessions s ORDER BY s.datum DESC"
    )
    return [row | {"tijden_geschat": bool(row["tijden_geschat"])} for row in rows]


def delete_session(db: sqlite_utils.Database, ref: str) -> str:
    session_id = find_session_id(db, ref)
    delete_sessions(db, [session_id], "verwijderd")
    return session_id


def delete_sessions(
    db: sqlite_utils.Database, session_ids: list[str], actie: str, leerling_id: int | None = None
) -> None:
    """Delete sessions with everything derived from them (search rows, vervolgstappen, edits, consent) and
    students left without sessions, in one transaction; the audit gets the action and the count, no names."""
    with writing(db):
        for session_id in session_ids:
            _delete_children(db, session_id)  # the segments' delete trigger clears their search rows
            db.execute("DELETE FROM vervolgstappen WHERE session_id = ?", [session_id])
            db.execute("DELETE FROM sessions WHERE id = ?", [session_id])  # its trigger clears the summary rows
        db.execute("DELETE FROM leerlingen WHERE id NOT IN (SELECT leerling_id FROM sessions "
                   "WHERE leerling_id IS NOT NULL)")
        single = session_ids[0] if len(session_ids) == 1 else None
        audit(db, actie, session_id=single, leerling_id=leerling_id, aantal=len(session_ids))
    _forget(db)


def _forget(db: sqlite_utils.Database) -> None:
    """Make deleted text unreadable from the files: FTS5 (before SQLite 3.42) only marks deleted index
    entries, so `optimize` rewrites the index without them; secure_delete zeroes freed pages, the checkpoint
    empties the WAL (which still holds old page images) and VACUUM rewrites the database without them."""
    with writing(db):
        for table in ("segments_fts", "summaries_fts"):
            db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ---------------------------------------------------------------- students, vervolgstappen, audit, search

STATUSES = ("open", "gedaan", "niet gedaan", "bijgesteld")
# Which phase a summary field belongs to, so `zoeken --fase` also filters summary hits.
FIELD_PHASES = {
    "ervaring": "terugkijken", "rol": "terugkijken", "verwachtingen": "terugkijken",
    "kwaliteiten": "reflecteren", "motieven": "reflecteren", "inzicht": "reflecteren",
    "vervolgstap": "vooruitkijken", "wanneer": "vooruitkijken",
    "contact": "activeren", "belemmeringen": "activeren", "oplossingen": "activeren",
}
_MARK = ("«", "»")  # snippet highlight; the CLI styles it on a terminal


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def audit(db: sqlite_utils.Database, actie: str, *, session_id: str | None = None, leerling_id: int | None = None,
          aantal: int | None = None) -> None:
    """One audit line: who (the OS account), what, when, on which ids. Runs inside the caller's transaction."""
    db.execute(
        "INSERT INTO audit (tijd, gebruiker, actie, session_id, leerling_id, aantal) VALUES (?, ?, ?, ?, ?, ?)",
        [now(), _user(), actie, session_id, leerling_id, aantal],
    )


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a container
        return None


def _leerling_id(db: sqlite_utils.Database, naam: str | None) -> int | None:
    naam = (naam or "").strip()
    if not naam:
        return None
    db.execute("INSERT OR IGNORE INTO leerlingen (naam, aangemaakt) VALUES (?, ?)", [naam, now()])
    return db.execute("SELECT id FROM leerlingen WHERE naam = ?", [naam]).fetchone()[0]


def find_leerling(db: sqlite_utils.Database, naam: str) -> dict:
    """A student by name or code, case-insensitively."""
    rows = list(db.query("SELECT id, naam, aangemaakt FROM leerlingen WHERE naam = ?", [naam.strip()]))
    if not rows:
        raise UserError(f"Geen leerling '{naam}' gevonden. `gesprekopname leerling` toont alle namen.")
    return rows[0]


def list_leerlingen(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query(
        "SELECT l.id, l.naam, count(s.id) AS gesprekken, max(s.datum) AS laatste FROM leerlingen l "
        "LEFT JOIN sessions s ON s.leerling_id = l.id GROUP BY l.id ORDER BY l.naam COLLATE NOCASE"
    ))


def leerling_sessions(db: sqlite_utils.Database, leerling_id: int) -> list[dict]:
    """A student's sessions, oldest first: id, datum, duur, the summary as shown, and its vervolgstap or None."""
    rows = db.query(
        f"SELECT s.id, s.datum, s.duur, {_MERGED.format(r='s')} AS summary, v.id AS stap_id, v.wat, v.wanneer, "
        "v.contact, v.status, v.gezet FROM sessions s LEFT JOIN vervolgstappen v ON v.session_id = s.id "
        "WHERE s.leerling_id = ? ORDER BY s.datum, s.id", [leerling_id],
    )
    return [
        {"id": r["id"], "datum": r["datum"], "duur": r["duur"], "summary": json.loads(r["summary"]),
         "vervolgstap": None if r["stap_id"] is None else
         {"id": r["stap_id"], "wat": r["wat"], "wanneer": r["wanneer"], "contact": r["contact"],
          "status": r["status"], "gezet": r["gezet"]}}
        for r in rows
    ]


def get_vervolgstap(db: sqlite_utils.Database, ref: str) -> dict:
    """A vervolgstap by its number (as `leerling NAAM` shows it, with or without #)."""
    number = ref.strip().lstrip("#")
    rows = [] if not number.isdigit() else list(db.query(
        "SELECT v.*, s.leerling_id, s.leerling, s.datum FROM vervolgstappen v JOIN sessions s ON s.id = v.session_id "
        "WHERE v.id = ?", [int(number)],
    ))
    if not rows:
        raise UserError(f"Geen vervolgstap met nummer '{ref}'. `gesprekopname leerling NAAM` toont de nummers.")
    return rows[0]


def set_vervolgstap_status(db: sqlite_utils.Database, stap: dict, status: str) -> None:
    with writing(db):
        db.execute("UPDATE vervolgstappen SET status = ?, gezet = ? WHERE id = ?", [status, now(), stap["id"]])
        audit(db, "status gezet", session_id=stap["session_id"], leerling_id=stap["leerling_id"])


def next_session_id(db: sqlite_utils.Database, session_id: str) -> str | None:
    """The same student's first session after this one: where a vervolgstap gets looked back on."""
    row = db.execute(
        "SELECT t.id FROM sessions s JOIN sessions t ON t.leerling_id = s.leerling_id AND t.datum > s.datum "
        "WHERE s.id = ? ORDER BY t.datum LIMIT 1", [session_id],
    ).fetchone()
    return row[0] if row else None


def previous_vervolgstap(db: sqlite_utils.Database, session: Session) -> dict | None:
    """The student's latest vervolgstap from an earlier session (a still open one first), with a suggested
    status when this session's terugkijken talks about it."""
    from gesprekopname import students

    rows = list(db.query(
        "SELECT v.id, v.session_id, s.datum, v.wat, v.wanneer, v.contact, v.status FROM vervolgstappen v "
        "JOIN sessions s ON s.id = v.session_id JOIN sessions this ON this.id = ? "
        "WHERE s.leerling_id = this.leerling_id AND s.datum < this.datum "
        "ORDER BY v.status = 'open' DESC, s.datum DESC LIMIT 1", [session.id],
    ))
    if not rows:
        return None
    step = rows[0]
    step["voorstel"] = students.suggest_status(step["wat"], session.segments) if step["status"] == "open" else None
    return step


def session_ids_of(db: sqlite_utils.Database, leerling_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT id FROM sessions WHERE leerling_id = ? ORDER BY datum", [leerling_id])]


def audit_rows(db: sqlite_utils.Database, leerling_id: int | None = None, session_ids: list[str] = ()) -> list[dict]:
    """Audit lines about a student or their sessions; all lines when neither is given."""
    if leerling_id is None and not session_ids:
        return list(db.query("SELECT * FROM audit ORDER BY id"))
    marks = ", ".join("?" * len(session_ids))
    return list(db.query(
        f"SELECT * FROM audit WHERE leerling_id = ? OR session_id IN ({marks}) ORDER BY id",
        [leerling_id, *session_ids],
    ))


def retention_rows(db: sqlite_utils.Database) -> list[dict]:
    """Every session with its student's last conversation date (its own date when it has no student)."""
    return list(db.query(
        "SELECT s.id, s.datum, s.leerling_id, l.naam, coalesce(last.datum, s.datum) AS laatste FROM sessions s "
        "LEFT JOIN leerlingen l ON l.id = s.leerling_id LEFT JOIN "
        "(SELECT leerling_id, max(datum) AS datum FROM sessions GROUP BY leerling_id) last "
        "ON last.leerling_id = s.leerling_id ORDER BY s.datum"
    ))


def search(db: sqlite_utils.Database, text: str, leerling_id: int | None = None, fase: str | None = None,
           limit: int = 20) -> tuple[list[dict], bool]:
    """Summary fields (best match first) and segments (latest stored first) containing `text` as a phrase,
    and True; when the phrase is nowhere, those containing all its words, and False. A hit: session, datum,
    leerling, start, fase (segments) or veld (summaries), snippet."""
    words = re.findall(r"\w+", text)
    if not words:
        raise UserError("Geef een woord of zin om te zoeken, bijvoorbeeld: gesprekopname zoeken \"brood bakken\"")
    phrase, all_words = '"' + " ".join(words) + '"', " ".join(f'"{w}"' for w in words)
    for query, exact in ((phrase, True), (all_words, False)):
        hits = [*_search_summaries(db, query, leerling_id, fase, limit),
                *_search_segments(db, query, leerling_id, fase, limit)]
        if hits or len(words) == 1:
            return hits, exact
    return [], True


def _search_segments(db: sqlite_utils.Database, query: str, leerling_id: int | None, fase: str | None,
                     limit: int) -> list[dict]:
    where, params = _filters(leerling_id, fase and ("g.phase = ?", fase))
    # Newest rows first, not bm25: FTS5 walks its rowids backwards and stops at the limit, where ranking must
    # score every match (a common phrase in 500 hours of talk: 10,000 rows, 50 ms instead of 0.5 ms).
    hits = list(db.query(
        "SELECT g.session_id, s.datum, s.leerling, g.start, g.end, g.phase AS fase, NULL AS veld, "
        f"snippet(segments_fts, 0, '{_MARK[0]}', '{_MARK[1]}', '…', 16) AS snippet FROM segments_fts "
        "JOIN segments g ON g.id = segments_fts.rowid JOIN sessions s ON s.id = g.session_id "
        f"WHERE segments_fts MATCH ?{where} ORDER BY segments_fts.rowid DESC LIMIT ?", [query, *params, limit],
    ))
    hits.sort(key=lambda h: h["start"])
    return sorted(hits, key=lambda h: h["datum"], reverse=True)  # stable: each session's hits stay in time order


def _search_summaries(db: sqlite_utils.Database, query: str, leerling_id: int | None, fase: str | None,
                      limit: int) -> list[dict]:
    fields = [f for f, p in FIELD_PHASES.items() if p == fase]
    if fase and not fields:  # overig: no summary field belongs to it
        return []
    where, params = _filters(leerling_id, fase and (f"f.field IN ({', '.join('?' * len(fields))})", *fields))
    return list(db.query(
        "SELECT f.session_id, s.datum, s.leerling, NULL AS start, NULL AS end, NULL AS fase, f.field AS veld, "
        f"snippet(summaries_fts, 2, '{_MARK[0]}', '{_MARK[1]}', '…', 16) AS snippet FROM summaries_fts f "
        f"JOIN sessions s ON s.id = f.session_id WHERE summaries_fts MATCH ?{where} ORDER BY f.rank LIMIT ?",
        [query, *params, limit],
    ))


def _filters(leerling_id: int | None, phase: tuple | None) -> tuple[str, list]:
    where, params = "", []
    if leerling_id is not None:
        where, params = " AND s.leerling_id = ?", [leerling_id]
    if phase:
        where += f" AND {phase[0]}"
        params += list(phase[1:])
    return where, params
