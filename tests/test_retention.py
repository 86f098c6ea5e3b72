"""Privacy by default through the real CLI: retention (opschonen), consent withdrawn for a student, the
student's export (right of access), kept audio, and an audit without content."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from conftest import count_rows, run_cli

from gesprekopname import record, store
from gesprekopname.types import PhaseSpan, Segment, Session

SECRET = "Zeppelinhangar Wolkenkrabber"


def save(home: Path, session: Session) -> None:
    home.mkdir(mode=0o700, exist_ok=True)
    with store.open_db(home / "gesprekken.db") as db:
        store.save_session(db, session)


def ago(days: float) -> str:
    return (datetime.now().astimezone() - timedelta(days=days)).isoformat(timespec="seconds")


def session(session_id: str, leerling: str | None, datum: str, text: str = "Ik heb brood gebakken.",
            **summary) -> Session:
    return Session(id=session_id, leerling=leerling, datum=datum, duur=8.0, bron="bestand",
                   segments=[Segment(0.0, 4.0, "Vertel eens.", "begeleider", None, "terugkijken"),
                             Segment(4.0, 8.0, text, "leerling", None, "terugkijken")],
                   phases=[PhaseSpan("terugkijken", 0.0, 8.0)], summary=summary)


def db_bytes(home: Path) -> bytes:
    return b"".join(f.read_bytes() for f in home.glob("gesprekken.db*"))


def audit(home: Path) -> list[dict]:
    with contextlib.closing(sqlite3.connect(home / "gesprekken.db")) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY id")]


def fill_for_retention(home: Path) -> None:
    save(home, session("old00001", "Oud", ago(3 * 365)))
    save(home, session("old00002", "Oud", ago(2 * 365 + 30)))
    save(home, session("mix00001", "Recent", ago(3 * 365)))  # kept: the student's last conversation is recent
    save(home, session("mix00002", "Recent", ago(20)))
    save(home, session("anon0001", None, ago(800)))  # no student: its own date counts


def test_opschonen_shows_what_it_would_delete_and_deletes_with_ja(tmp_path):
    home = tmp_path / "home"
    fill_for_retention(home)
    dry = run_cli("opschonen", home=home)
    assert dry.returncode == 0, dry.stderr
    assert [line.split()[1] for line in dry.stdout.splitlines()] == ["old00001", "anon0001", "old00002"]
    assert "Zou 3 gesprek(ken) en 0 geluidsbestand(en) verwijderen" in dry.stderr and "--ja" in dry.stderr
    assert count_rows(home, "sessions") == 5

    done = run_cli("opschonen", "--ja", home=home)
    assert done.returncode == 0, done.stderr
    assert "Verwijderd: 3 gesprek(ken)" in done.stderr
    with contextlib.closing(sqlite3.connect(home / "gesprekken.db")) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT id FROM sessions")) == ["mix00001", "mix00002"]
        assert [r[0] for r in conn.execute("SELECT naam FROM leerlingen")] == ["Recent"]
    assert b"Oud" not in db_bytes(home)
    assert audit(home)[-1] | {"tijd": None, "gebruiker": None} == {
        "id": audit(home)[-1]["id"], "tijd": None, "gebruiker": None, "actie": "opgeschoond", "session_id": None,
        "leerling_id": None, "aantal": 3}
    again = run_cli("opschonen", home=home)
    assert again.stdout == "" and "Niets op te schonen" in again.stderr


def test_retention_period_comes_from_the_configuration(tmp_path):
    home = tmp_path / "home"
    fill_for_retention(home)
    (home / "config.toml").write_text("[bewaren]\njaren = 5\n", encoding="utf-8")
    assert "Niets op te schonen" in run_cli("opschonen", "--ja", home=home).stderr
    assert count_rows(home, "sessions") == 5
    (home / "config.toml").write_text("[bewaren]\njaren = 0.03\n", encoding="utf-8")  # about 11 days
    assert "Zou 5 gesprek(ken)" in run_cli("opschonen", home=home).stderr
    (home / "config.toml").write_text('[bewaren]\njaren = "twee"\n', encoding="utf-8")
    bad = run_cli("opschonen", home=home)
    assert bad.returncode == 2 and bad.stderr.startswith("Fout: config.toml: [bewaren] jaren moet een getal")


def fill_for_sanne(home: Path) -> str:
    save(home, session("sanne001", "Sanne", ago(60), f"Ik liep mee met {SECRET} in de hangar.",
                       ervaring=f"Meelopen bij {SECRET}", vervolgstap="Mailen naar de hangar",
                       kwaliteiten=["nieuwsgierig"]))
    save(home, session("sanne002", "Sanne", ago(30), "Ik heb gemaild, het is gelukt.", kwaliteiten=["nieuwsgierig"]))
    save(home, session("ahmed001", "Ahmed", ago(10), "Ik heb in de garage gewerkt."))
    assert run_cli("vervolgstap", "1", "--status", "gedaan", home=home).returncode == 0
    edited = run_cli("bewerken", "sanne002", "--veld", "inzicht", "--waarde", f"Ik wil naar {SECRET}", home=home)
    assert edited.returncode == 0, edited.stderr
    return SECRET


def test_leerling_export_is_everything_about_one_student_in_one_json_file(tmp_path):
    home = tmp_path / "home"
    fill_for_sanne(home)
    out = tmp_path / "sanne.json"
    result = run_cli("leerling", "Sanne", "--export", "-o", str(out), home=home)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: for the user only
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["leerling"]["naam"] == "Sanne"
    assert [g["id"] for g in data["gesprekken"]] == ["sanne001", "sanne002"]
    second = data["gesprekken"][1]
    assert {"id", "leerling", "datum", "duur", "bron", "segments", "phases", "summary", "evidence",
            "warnings"} <= second.keys()
    assert second["summary"]["inzicht"] == f"Ik wil naar {SECRET}"  # with the begeleider's corrections
    assert second["vorige_vervolgstap"]["status"] == "gedaan"
    assert [(s["wat"], s["status"]) for s in data["vervolgstappen"]] == [("Mailen naar de hangar", "gedaan")]
    assert [t["tekst"] for t in data["rode_draad"]["kwaliteiten"]] == ["nieuwsgierig"]
    assert {a["actie"] for a in data["audit"]} >= {"verwerkt", "status gezet"}
    assert all(a["session_id"] in ("sanne001", "sanne002", None) for a in data["audit"])  # nothing of Ahmed
    to_stdout = run_cli("leerling", "sanne", "--export", home=home)
    assert json.loads(to_stdout.stdout)["leerling"]["naam"] == "Sanne"
    assert [a["actie"] for a in audit(home)][-2:] == ["geëxporteerd", "geëxporteerd"]


def test_leerling_verwijderen_removes_everything_of_the_student_down_to_the_file_bytes(tmp_path):
    home = tmp_path / "home"
    fill_for_sanne(home)
    kept = home / "audio" / "sanne001.pcm"
    kept.parent.mkdir(mode=0o700)
    kept.write_bytes(b"\0" * 3200)
    assert b"Sanne" in db_bytes(home) and SECRET.encode() in db_bytes(home)

    declined = run_cli("leerling", "Sanne", "--verwijderen", home=home, input="nee\n")
    assert declined.returncode == 2 and "Niets verwijderd" in declined.stderr
    assert count_rows(home, "sessions") == 3

    with contextlib.closing(sqlite3.connect(home / "gesprekken.db")) as other:  # keeps the WAL alive
        other.execute("SELECT count(*) FROM sessions").fetchone()
        result = run_cli("leerling", "Sanne", "--verwijderen", "--ja", home=home)
        assert result.returncode == 0, result.stderr
        stored = db_bytes(home)
    assert "Leerling Sanne is verwijderd: 2 gesprek(ken)" in result.stderr and "1 geluidsbestand" in result.stderr
    for text in ("Sanne", SECRET, *SECRET.lower().split(), "Mailen naar de hangar", "nieuwsgierig"):
        assert text.encode() not in stored, text
    assert not kept.exists()
    assert [count_rows(home, t) for t in ("sessions", "vervolgstappen", "leerlingen")] == [1, 0, 1]
    assert run_cli("zoeken", "hangar", home=home).stdout == ""
    assert run_cli("leerling", "Sanne", home=home).returncode == 2
    assert "garage" in run_cli("export", "ahmed001", "--format", "txt", home=home).stdout
    [withdrawn] = [r for r in audit(home) if r["actie"] == "leerling verwijderd"]
    assert (withdrawn["aantal"], withdrawn["session_id"]) == (2, None)


def test_audit_records_who_did_what_when_without_content(tmp_path):
    home = tmp_path / "home"
    fill_for_sanne(home)
    assert run_cli("export", "ahmed001", home=home).returncode == 0
    assert run_cli("verwijderen", "ahmed001", "--ja", home=home).returncode == 0
    rows = audit(home)
    assert [r["actie"] for r in rows] == ["verwerkt", "verwerkt", "verwerkt", "status gezet", "geëxporteerd",
                                          "verwijderd"]
    assert all(r["tijd"] and r["gebruiker"] for r in rows)
    assert set(rows[0]) == {"id", "tijd", "gebruiker", "actie", "session_id", "leerling_id", "aantal"}
    values = " ".join(str(v) for r in rows for v in r.values())
    for text in ("Sanne", "Ahmed", "brood", "hangar", "garage", SECRET):
        assert text not in values


def write_recording(home: Path, recording_id: str) -> Path:
    """An interrupted recording as record.py leaves it: opname.json and one second of quiet noise."""
    folder = home / "opnames" / recording_id
    folder.mkdir(parents=True, mode=0o700)
    meta = {"id": recording_id, "leerling": "Sanne", "start": ago(0), "status": "opnemen", "formaat": "pcm_s16le",
            "samplerate": 16000, "kanalen": 1, "apparaat": "test", "apparaat_samplerate": 16000,
            "toestemming": record.consent("leerling", "Sanne", "optie")}
    (folder / record.META).write_text(json.dumps(meta), encoding="utf-8")
    noise = (np.random.default_rng(1).standard_normal(16000) * 30).astype("<i2")
    (folder / record.PCM).write_bytes(noise.tobytes())
    return folder


def test_recording_audio_is_deleted_after_processing_by_default(home):
    folder = write_recording(home, "rec00001")
    result = run_cli("herstel", home=home)
    assert result.returncode == 0, result.stderr
    assert "de geluidsopname is verwijderd" in result.stderr
    assert not folder.exists() and not any((home / "audio").glob("*"))


def test_audio_kept_on_purpose_goes_after_audio_dagen(home):
    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write("\n[bewaren]\naudio = true\naudio_dagen = 30\n")
    write_recording(home, "rec00002")
    result = run_cli("herstel", home=home)
    assert result.returncode == 0, result.stderr
    kept = home / "audio" / "rec00002.pcm"
    assert "blijft 30 dagen bewaard" in result.stderr and kept.exists()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert "Niets op te schonen" in run_cli("opschonen", home=home).stderr
    old = time.time() - 31 * 86400
    os.utime(kept, (old, old))
    dry = run_cli("opschonen", home=home)
    assert "geluid  rec00002.pcm" in dry.stdout and kept.exists()
    assert run_cli("opschonen", "--ja", home=home).returncode == 0
    assert not kept.exists() and count_rows(home, "sessions") == 1  # the transcript stays its own period
    assert audit(home)[-1]["actie"] == "audio opgeschoond"
