"""One student across conversations, through the real CLI: timeline, rode draad, vervolgstap and its status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from gesprekopname import store
from gesprekopname.types import PhaseSpan, Segment, Session

PREVIOUS_STEP = "Een mail sturen naar kapsalon Knip over een snuffelstage"


def save(home: Path, session: Session) -> None:
    """Store a session with a known summary straight through the store (real SQLite, real triggers)."""
    home.mkdir(mode=0o700, exist_ok=True)
    with store.open_db(home / "gesprekken.db") as db:
        store.save_session(db, session)


def session(session_id: str, datum: str, leerling: str | None = "Sanne", texts: tuple[str, ...] = ("Vertel eens.",),
            **summary) -> Session:
    segments = [Segment(i * 5.0, i * 5.0 + 4, text, "leerling" if i % 2 else "begeleider", None, "terugkijken")
                for i, text in enumerate(texts)]
    return Session(id=session_id, leerling=leerling, datum=datum, duur=len(texts) * 5.0, bron="bestand",
                   segments=segments, phases=[PhaseSpan("terugkijken", 0.0, len(texts) * 5.0)], summary=summary)


def profile(home: Path, naam: str = "Sanne") -> dict:
    result = run_cli("leerling", naam, "--json", home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_timeline_lists_each_conversation_with_ervaring_and_vervolgstap_oldest_first(tmp_path):
    home = tmp_path / "home"
    save(home, session("bbbb0002", "2026-03-02T10:00:00+01:00", ervaring="Open dag ROC", vervolgstap="Inschrijven"))
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", ervaring="Stage bij de kapper",
                       vervolgstap=PREVIOUS_STEP, wanneer="voor vrijdag", contact="mevrouw Knip"))
    save(home, session("cccc0003", "2026-03-09T10:00:00+01:00", leerling="Ahmed", ervaring="Bijbaan"))
    data = profile(home, "sanne")  # names are matched case-insensitively
    assert data["leerling"] == "Sanne"
    assert [c["id"] for c in data["gesprekken"]] == ["aaaa0001", "bbbb0002"]
    first = data["gesprekken"][0]
    assert first["ervaring"] == "Stage bij de kapper"
    assert first["vervolgstap"] | {"id": 0} == {"id": 0, "wat": PREVIOUS_STEP, "wanneer": "voor vrijdag",
                                               "contact": "mevrouw Knip", "status": "open", "gezet": None,
                                               "voorstel": None}
    text = run_cli("leerling", "Sanne", home=home).stdout
    assert "2026-01-12  aaaa0001  Ervaring: Stage bij de kapper" in text
    assert f"Vervolgstap #{first['vervolgstap']['id']} [open]: {PREVIOUS_STEP}" in text


def test_rode_draad_holds_kwaliteiten_and_motieven_that_recur_in_two_conversations(tmp_path):
    home = tmp_path / "home"
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", kwaliteiten=["goed luisteren", "creatief"],
                       motieven=["met mensen werken"]))
    save(home, session("bbbb0002", "2026-02-12T10:00:00+01:00", kwaliteiten=["Ik kan heel goed luisteren"],
                       motieven=["werken met mensen", "buiten zijn"]))
    save(home, session("cccc0003", "2026-03-12T10:00:00+01:00", kwaliteiten=["geduldig", "luisteren naar klanten"]))
    draad = profile(home)["rode_draad"]
    assert [(t["tekst"], t["gesprekken"]) for t in draad["kwaliteiten"]] == [
        ("goed luisteren", ["aaaa0001", "bbbb0002", "cccc0003"])
    ]
    assert [(t["tekst"], len(t["gesprekken"])) for t in draad["motieven"]] == [("met mensen werken", 2)]
    assert "Kwaliteiten: goed luisteren (3 gesprekken)" in run_cli("leerling", "Sanne", home=home).stdout


@pytest.mark.parametrize(("answer", "status"), [
    ("Ja, die mail heb ik gestuurd en ik mag in maart komen snuffelen.", "gedaan"),
    ("Nee, dat is er nog niet van gekomen. Ik had geen tijd.", "niet gedaan"),
    ("Ik heb toch iets anders gedaan, ik ben bij de bakker gaan vragen in plaats daarvan.", "bijgesteld"),
])
def test_new_conversation_shows_the_previous_open_vervolgstap_and_suggests_its_status(tmp_path, answer, status):
    home = tmp_path / "home"
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", vervolgstap=PREVIOUS_STEP))
    transcript = tmp_path / "tweede.txt"
    transcript.write_text(
        "Begeleider: Hoi Sanne. Vorige keer sprak je af om kapsalon Knip te mailen over een snuffelstage. "
        "Hoe ging dat?\n"
        f"Leerling: {answer}\n"
        "Begeleider: Wat deed jij hierin heel goed?\nLeerling: Ik durfde het gewoon te vragen.\n"
        "Begeleider: Wat wil je hierna uitproberen?\nLeerling: Een dag meelopen bij een kapper.\n", "utf-8")
    result = run_cli("verwerken", str(transcript), "--leerling", "Sanne", home=home)
    assert result.returncode == 0, result.stderr
    previous = json.loads(run_cli("export", result.stdout.strip(), home=home).stdout)["vorige_vervolgstap"]
    assert previous["wat"] == PREVIOUS_STEP and previous["session_id"] == "aaaa0001" and previous["status"] == "open"
    assert previous["voorstel"]["status"] == status
    assert previous["voorstel"]["quote"] == answer
    assert f"Vorige vervolgstap #{previous['id']}" in result.stderr and f"Voorstel: {status}." in result.stderr
    verslag = run_cli("verslag", result.stdout.strip(), home=home).stdout
    assert "## Vorige vervolgstap" in verslag and PREVIOUS_STEP in verslag
    said = f"**Voorstel uit dit gesprek:** {status}; zet het met: gesprekopname vervolgstap {previous['id']} --status "
    assert said + status.replace(" ", "-") in verslag and answer in verslag
    # A suggestion only: nothing changed until the begeleider sets it; the timeline shows it too.
    timeline = profile(home)["gesprekken"]
    assert timeline[0]["vervolgstap"]["status"] == "open"
    assert timeline[0]["vervolgstap"]["voorstel"]["status"] == status


def test_no_suggestion_when_the_new_conversation_does_not_talk_about_the_step(tmp_path):
    home = tmp_path / "home"
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", vervolgstap=PREVIOUS_STEP))
    save(home, session("bbbb0002", "2026-02-12T10:00:00+01:00",
                       texts=("Hoe was je week?", "Ja, ik heb veel gevoetbald met mijn broer.")))
    exported = json.loads(run_cli("export", "bbbb0002", home=home).stdout)
    assert exported["vorige_vervolgstap"]["wat"] == PREVIOUS_STEP
    assert exported["vorige_vervolgstap"]["voorstel"] is None
    first = json.loads(run_cli("export", "aaaa0001", home=home).stdout)
    assert first["vorige_vervolgstap"] is None  # nothing came before it


@pytest.mark.parametrize(("given", "stored"), [("gedaan", "gedaan"), ("niet-gedaan", "niet gedaan"),
                                               ("niet gedaan", "niet gedaan"), ("Bijgesteld", "bijgesteld")])
def test_vervolgstap_status_sets_the_status(tmp_path, given, stored):
    home = tmp_path / "home"
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", vervolgstap=PREVIOUS_STEP))
    step_id = profile(home)["gesprekken"][0]["vervolgstap"]["id"]
    result = run_cli("vervolgstap", str(step_id), "--status", given, home=home)
    assert result.returncode == 0, result.stderr
    step = profile(home)["gesprekken"][0]["vervolgstap"]
    assert step["status"] == stored and step["gezet"]
    shown = run_cli("vervolgstap", f"#{step_id}", home=home)
    assert f"[{stored}]: {PREVIOUS_STEP}" in shown.stdout


def test_bad_status_and_unknown_step_are_clear_errors(tmp_path):
    home = tmp_path / "home"
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", vervolgstap=PREVIOUS_STEP))
    bad = run_cli("vervolgstap", "1", "--status", "half", home=home)
    assert bad.returncode == 2 and bad.stderr.startswith("Fout: Onbekende status 'half'")
    assert "niet-gedaan" in bad.stderr
    assert profile(home)["gesprekken"][0]["vervolgstap"]["status"] == "open"
    missing = run_cli("vervolgstap", "99", "--status", "gedaan", home=home)
    assert missing.returncode == 2 and "Geen vervolgstap met nummer '99'" in missing.stderr
    unknown = run_cli("leerling", "Niemand", home=home)
    assert unknown.returncode == 2 and "Geen leerling 'Niemand'" in unknown.stderr


def test_status_survives_herverwerken_and_follows_the_begeleiders_correction(tmp_path):
    home = tmp_path / "home"
    save(home, session("aaaa0001", "2026-01-12T10:00:00+01:00", vervolgstap=PREVIOUS_STEP))
    step_id = str(profile(home)["gesprekken"][0]["vervolgstap"]["id"])
    assert run_cli("vervolgstap", step_id, "--status", "gedaan", home=home).returncode == 0
    corrected = run_cli("bewerken", "aaaa0001", "--veld", "vervolgstap", "--waarde", "Bellen met kapsalon Knip",
                        home=home)
    assert corrected.returncode == 0, corrected.stderr
    step = profile(home)["gesprekken"][0]["vervolgstap"]
    assert (step["wat"], step["status"], str(step["id"])) == ("Bellen met kapsalon Knip", "gedaan", step_id)
    assert run_cli("herverwerken", "aaaa0001", home=home).returncode == 0
    assert profile(home)["gesprekken"][0]["vervolgstap"]["status"] == "gedaan"
