"""`zoeken` through the real CLI: full-text search over segments and summaries, filters, and deletion."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from conftest import count_rows, run_cli

from gesprekopname import store
from gesprekopname.types import PhaseSpan, Segment, Session


def save(home: Path, session: Session) -> None:
    home.mkdir(mode=0o700, exist_ok=True)
    with store.open_db(home / "gesprekken.db") as db:
        store.save_session(db, session)


def conversation(session_id: str, leerling: str, lines: list[tuple[str, str]], **summary) -> Session:
    """lines: (phase, text), five seconds each."""
    segments = [Segment(i * 5.0, i * 5.0 + 4, text, None, None, phase) for i, (phase, text) in enumerate(lines)]
    return Session(id=session_id, leerling=leerling, datum="2026-02-03T10:00:00+01:00", duur=len(lines) * 5.0,
                   bron="bestand", segments=segments, phases=[PhaseSpan(p, i * 5.0, i * 5.0 + 5)
                                                              for i, (p, _) in enumerate(lines)], summary=summary)


def fill(home: Path) -> None:
    save(home, conversation("aaaa0001", "Sanne", [
        ("terugkijken", "Vertel eens over je stage."),
        ("terugkijken", "Ik heb op zaterdag brood gebakken in de bakkerij."),
        ("vooruitkijken", "Volgende keer wil ik weer brood gebakken zien worden, maar dan taart."),
    ], vervolgstap="Een mail sturen naar kapsalon Knip", kwaliteiten=["geduldig", "precies"]))
    save(home, conversation("bbbb0002", "Ahmed", [
        ("terugkijken", "In het café heb ik brood gebakken voor de lunch."),
        ("reflecteren", "Ik was heel geduldig met de klanten."),
    ]))


def search(home: Path, *args: str) -> list[dict]:
    result = run_cli("zoeken", *args, "--json", home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_zoeken_finds_a_phrase_with_session_time_and_highlighted_snippet(tmp_path):
    home = tmp_path / "home"
    fill(home)
    result = run_cli("zoeken", "brood gebakken", home=home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert "aaaa0001  2026-02-03  Sanne  0:05 terugkijken  Ik heb op zaterdag «brood gebakken» in de bakkerij." in lines
    hits = search(home, "brood gebakken")
    assert {(h["session_id"], h["start"], h["fase"]) for h in hits} == {
        ("aaaa0001", 5.0, "terugkijken"), ("aaaa0001", 10.0, "vooruitkijken"), ("bbbb0002", 0.0, "terugkijken")}


def test_summaries_are_searched_too_and_accents_and_case_do_not_matter(tmp_path):
    home = tmp_path / "home"
    fill(home)
    [hit] = search(home, "KAPSALON knip")
    assert (hit["session_id"], hit["veld"], hit["snippet"]) == ("aaaa0001", "vervolgstap",
                                                                  "Een mail sturen naar «kapsalon Knip»")
    assert "samenvatting: vervolgstap" in run_cli("zoeken", "kapsalon", home=home).stdout
    assert [h["session_id"] for h in search(home, "cafe")] == ["bbbb0002"]


def test_leerling_and_fase_filters(tmp_path):
    home = tmp_path / "home"
    fill(home)
    assert {h["session_id"] for h in search(home, "brood gebakken", "--leerling", "ahmed")} == {"bbbb0002"}
    assert [(h["session_id"], h["fase"]) for h in search(home, "brood gebakken", "--fase", "vooruitkijken")] == [
        ("aaaa0001", "vooruitkijken")]
    # Summary fields belong to a phase too: kwaliteiten to reflecteren.
    found = search(home, "geduldig", "--fase", "reflecteren")
    assert {(h["session_id"], h["veld"]) for h in found} == {("aaaa0001", "kwaliteiten"), ("bbbb0002", None)}
    assert search(home, "geduldig", "--fase", "terugkijken") == []


def test_words_in_another_order_fall_back_to_all_words_with_a_note(tmp_path):
    home = tmp_path / "home"
    fill(home)
    result = run_cli("zoeken", "gebakken brood bakkerij", home=home)
    assert result.returncode == 0, result.stderr
    assert "staat nergens letterlijk" in result.stderr
    assert result.stdout.count("\n") == 1 and "«bakkerij»" in result.stdout


def test_no_hits_and_bad_filters_give_clear_messages(tmp_path):
    home = tmp_path / "home"
    fill(home)
    none = run_cli("zoeken", "zeppelin", home=home)
    assert none.returncode == 0 and none.stdout == ""
    assert "Niets gevonden voor 'zeppelin'" in none.stderr
    filtered = run_cli("zoeken", "brood", "--leerling", "Ahmed", "--fase", "activeren", home=home)
    assert "Niets gevonden voor 'brood' bij Ahmed in de fase activeren" in filtered.stderr
    for args, message in ((("brood", "--fase", "afsluiten"), "Onbekende fase 'afsluiten'"),
                          (("brood", "--leerling", "Niemand"), "Geen leerling 'Niemand'"),
                          (("?!",), "Geef een woord of zin")):
        result = run_cli("zoeken", *args, home=home)
        assert result.returncode == 2 and result.stderr.startswith("Fout: ") and message in result.stderr


def test_deleting_a_session_removes_its_search_rows_down_to_the_file_bytes(tmp_path):
    home = tmp_path / "home"
    fill(home)
    secret = "Xylofoonstemmer Quirijnsma"
    save(home, conversation("cccc0003", "Sanne", [("terugkijken", f"Ik liep mee met {secret} in de werkplaats.")],
                            ervaring=f"Meelopen met {secret}"))
    assert len(search(home, secret)) == 2
    with contextlib.closing(sqlite3.connect(home / "gesprekken.db")) as other:  # keeps the WAL alive
        other.execute("SELECT count(*) FROM sessions").fetchone()
        result = run_cli("verwijderen", "cccc0003", "--ja", home=home)
        assert result.returncode == 0, result.stderr
        stored = b"".join(f.read_bytes() for f in home.glob("gesprekken.db*"))
    assert search(home, secret) == [] and search(home, "quirijnsma") == []
    # The FTS index holds lower-cased tokens: look for those as well as the original text.
    for word in (secret, *secret.lower().split()):
        assert word.encode() not in stored, word
    with contextlib.closing(sqlite3.connect(home / "gesprekken.db")) as conn:
        left = conn.execute("SELECT count(*) FROM summaries_fts WHERE session_id = 'cccc0003'").fetchone()[0]
    assert left == 0 and count_rows(home, "segments") == 5
    assert len(search(home, "brood gebakken")) == 3  # the others are still found
