"""The real CLI in a subprocess against a temporary data directory: the contract and bad input."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import DATA, count_rows, run_cli, write_silence

from gesprekopname.config import SAMPLE_DIR

CONVERSATION = SAMPLE_DIR / "demo-gesprek.vtt"


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Fout: ")
    for fragment in fragments:
        assert fragment in result.stderr
    assert result.stdout == ""


def test_verwerken_prints_the_id_of_the_stored_session(home):
    result = run_cli("verwerken", str(CONVERSATION), "--leerling", "Noor", home=home)
    assert result.returncode == 0, result.stderr
    session_id = result.stdout.strip()
    assert len(session_id) == 8
    assert count_rows(home, "sessions") == 1
    assert count_rows(home, "segments") >= CONVERSATION.read_text().count(" --> ")  # splits may add some


def test_verwerken_json_prints_only_the_export_json(home):
    result = run_cli("verwerken", str(CONVERSATION), "--leerling", "Noor", "--json", home=home)
    assert result.returncode == 0, result.stderr
    export = json.loads(result.stdout)
    assert {"id", "leerling", "datum", "duur", "bron", "segments", "phases", "summary", "evidence",
            "warnings"} <= export.keys()
    assert export["leerling"] == "Noor" and export["bron"] == "bestand"
    first = export["segments"][0]
    assert set(first) >= {"start", "end", "speaker", "phase", "text"}
    assert first["text"].startswith("Hoi Noor")


@pytest.mark.parametrize("fmt", ["json", "vtt", "srt", "txt"])
def test_each_export_format_round_trips_through_verwerken(home, tmp_path, fmt):
    first_id = run_cli("verwerken", str(CONVERSATION), home=home).stdout.strip()
    exported = run_cli("export", first_id, "--format", fmt, home=home)
    assert exported.returncode == 0, exported.stderr
    path = tmp_path / f"terug.{fmt}"
    path.write_text(exported.stdout, encoding="utf-8")
    second_id = run_cli("verwerken", str(path), home=home).stdout.strip()
    first = json.loads(run_cli("export", first_id, home=home).stdout)["segments"]
    second = json.loads(run_cli("export", second_id, home=home).stdout)["segments"]
    assert second == first


SHORT_TALK = [
    "Begeleider: Vertel eens, hoe was je stage bij de bakker?",
    "Leerling: Goed. Ik mocht zelf brood bakken en de klanten helpen.",
    "Begeleider: Waar ben je trots op?",
    "Leerling: Dat ik rustig bleef toen het druk was.",
    "Begeleider: Wat wil je hierna uitproberen?",
    "Leerling: Een dag meelopen bij de banketbakker.",
    "Begeleider: Wie kan je daarbij helpen?",
    "Leerling: Mijn stagebegeleider Linda.",
]


def test_a_text_without_times_gets_estimated_durations_said_as_such_and_no_short_phase_warnings(home, tmp_path):
    untimed = tmp_path / "zonder-tijden.txt"
    untimed.write_text("\n".join(SHORT_TALK) + "\n", encoding="utf-8")
    timed = tmp_path / "met-tijden.txt"
    timed.write_text("".join(f"[0:{2 * i:02d}.000 --> 0:{2 * i + 2:02d}.000] {line}\n"
                             for i, line in enumerate(SHORT_TALK)), encoding="utf-8")
    estimated = json.loads(run_cli("verwerken", str(untimed), "--json", home=home).stdout)
    said = json.loads(run_cli("verwerken", str(timed), "--json", home=home).stdout)
    assert estimated["tijden_geschat"] is True and said["tijden_geschat"] is False
    # Seconds estimated from the words cannot tell a short phase; said times can.
    assert not [w for w in estimated["warnings"] if "duurde maar" in w]
    assert [w for w in said["warnings"] if "duurde maar" in w]
    verslag = run_cli("verslag", estimated["id"], home=home).stdout
    assert "**Duur:** ca. " in verslag and "(geschat uit het aantal woorden: het bestand had geen tijden)" in verslag
    assert "De duur per fase is geschat uit het aantal woorden" in verslag
    assert "geschat" not in run_cli("verslag", said["id"], home=home).stdout
    listed = {row["id"]: row["tijden_geschat"] for row in json.loads(run_cli("lijst", "--json", home=home).stdout)}
    assert listed == {estimated["id"]: True, said["id"]: False}
    assert "ca. 0:" in run_cli("lijst", home=home).stdout


STORY = [
    "Begeleider: Hoi Noa, kom zitten. Welke ervaring wil je met me delen?",
    "Leerling: Mijn stage bij de bakker. Ik stond achter de toonbank en ik hielp de klanten.",
    "Begeleider: Wat was jouw rol daar?",
    "Leerling: Ik was hulp in de winkel. Ik deed de kassa.",
    "Begeleider: Waar ben je trots op?",
    "Leerling: Dat ik rustig bleef toen het druk was.",
    "Begeleider: Wat wil je hierna uitproberen?",
    "Leerling: Ik wil een dag meelopen bij de banketbakker.",
    "Begeleider: Wanneer ga je dat doen?",
    "Leerling: Volgende week woensdag.",
]


def test_the_export_tells_the_experience_about_the_student_by_name_and_the_actieplan_to_them(home, tmp_path):
    story = tmp_path / "verhaal.txt"
    story.write_text("\n".join(STORY) + "\n", encoding="utf-8")
    named = json.loads(run_cli("verwerken", str(story), "--json", home=home).stdout)
    assert "Noa stond achter de toonbank en hielp de klanten" in named["summary"]["ervaring"]
    assert named["summary"]["vervolgstap"] == "Noa wil een dag meelopen bij de banketbakker"
    assert named["summary"]["kwaliteiten"] == ["Dat ik rustig bleef toen het druk was"]  # lists: as said
    assert "Noa stond achter de toonbank" in run_cli("verslag", named["id"], home=home).stdout
    actieplan = run_cli("actieplan", named["id"], home=home).stdout
    assert "Je stond achter de toonbank en hielp de klanten" in actieplan and "Noa" not in actieplan
    assert "Dit ga je doen: Je wilt een dag meelopen bij de banketbakker." in actieplan
    given = json.loads(run_cli("verwerken", str(story), "--leerling", "Sam", "--json", home=home).stdout)
    assert "Sam stond achter de toonbank" in given["summary"]["ervaring"]


def test_notes_with_names_before_each_line_read_as_with_roles(home, tmp_path):
    """A begeleider's own notes name the speakers ("Mevrouw Jansen: ...", "Noa: ..."): the names leave the text
    and the one asking the questions is the begeleider, so the summary is the one the role names give."""
    named = tmp_path / "notities.txt"
    named.write_text("\n".join(line.replace("Begeleider:", "Mevrouw Jansen:").replace("Leerling:", "Noa:")
                               for line in STORY) + "\n", encoding="utf-8")
    export = json.loads(run_cli("verwerken", str(named), "--json", home=home).stdout)
    said = [(s["speaker"], s["text"]) for s in export["segments"]]
    assert said[:2] == [("begeleider", "Hoi Noa, kom zitten. Welke ervaring wil je met me delen?"),
                        ("leerling", "Mijn stage bij de bakker. Ik stond achter de toonbank en ik hielp de klanten.")]
    assert not any(text.startswith(("Noa:", "Mevrouw Jansen:")) for _, text in said)
    assert export["summary"]["vervolgstap"] == "Noa wil een dag meelopen bij de banketbakker"
    assert export["summary"]["contact"] is None


@pytest.mark.parametrize(("setting", "content", "says"), [
    ("[fasen]\nextra", "reflecteren:\n  vragen:\n    - Wat ging goed?\n   - kapot\n",
     " is geen geldige YAML (regel 4, kolom 4)."),
    ("[samenvatting]\nbestand", "drempels:\n  kwaliteiten: hoog\n",
     ", regel 2: 'kwaliteiten' is een getal, zoals 0.2."),
])
def test_a_broken_school_file_is_named_and_the_built_in_one_still_works(home, tmp_path, setting, content, says):
    own = tmp_path / "eigen.yaml"
    own.write_text(content, encoding="utf-8")
    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write(f'{setting} = "{own}"\n')
    result = run_cli("verwerken", str(CONVERSATION), "--json", home=home)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    named = f"{own}{says} Dit bestand is overgeslagen"
    assert f"Let op: {named}" in result.stderr
    session = json.loads(result.stdout)
    assert any(w.startswith(named) for w in session["warnings"])
    assert [p["phase"] for p in session["phases"]][:2] == ["terugkijken", "reflecteren"]
    assert session["summary"]["vervolgstap"] and session["summary"]["kwaliteiten"]


def test_lijst_json_lists_sessions_with_id_leerling_datum_duur(home):
    session_id = run_cli("verwerken", str(CONVERSATION), "--leerling", "Noor", home=home).stdout.strip()
    rows = json.loads(run_cli("lijst", "--json", home=home).stdout)
    assert [r["id"] for r in rows] == [session_id]
    assert rows[0]["leerling"] == "Noor" and rows[0]["datum"] and rows[0]["duur"] > 100


def test_export_of_an_unknown_id_is_a_clear_error(home):
    assert_refused(run_cli("export", "bestaatniet", home=home), "Geen gesprek gevonden")


def test_verwijderen_removes_the_session_and_all_its_rows(home):
    session_id = run_cli("verwerken", str(CONVERSATION), home=home).stdout.strip()
    result = run_cli("verwijderen", session_id, "--ja", home=home)
    assert result.returncode == 0, result.stderr
    assert [count_rows(home, t) for t in ("sessions", "segments", "phases", "words")] == [0, 0, 0, 0]


def test_verwijderen_asks_in_dutch_and_takes_only_ja_or_nee(home):
    session_id = run_cli("verwerken", str(CONVERSATION), home=home).stdout.strip()
    declined = run_cli("verwijderen", session_id, home=home, input="n\nnee\n")
    assert "verwijderen? (ja/nee)" in declined.stderr and "Typ ja of nee." in declined.stderr
    assert declined.returncode == 2 and "Niets verwijderd" in declined.stderr
    assert count_rows(home, "sessions") == 1
    result = run_cli("verwijderen", session_id, home=home, input="ja\n")
    assert result.returncode == 0, result.stderr
    assert count_rows(home, "sessions") == 0


def test_herverwerken_keeps_the_id_and_the_segments_text(home):
    session_id = run_cli("verwerken", str(CONVERSATION), home=home).stdout.strip()
    before = json.loads(run_cli("export", session_id, home=home).stdout)
    result = run_cli("herverwerken", session_id[:5], home=home)
    assert result.returncode == 0, result.stderr
    after = json.loads(run_cli("export", session_id, home=home).stdout)
    assert after["id"] == session_id
    assert " ".join(s["text"] for s in after["segments"]) == " ".join(s["text"] for s in before["segments"])


# Bad input: a clear Dutch message, a non-zero exit code, no traceback, no partial rows.

def test_missing_file_is_refused(home, tmp_path):
    assert_refused(run_cli("verwerken", str(tmp_path / "weg.wav"), home=home), "Bestand niet gevonden")
    assert count_rows(home, "sessions") == 0


def test_directory_is_refused(home, tmp_path):
    assert_refused(run_cli("verwerken", str(tmp_path), home=home), "is een map")


def test_the_command_alone_shows_the_help(home):
    result = run_cli(home=home)
    assert result.returncode == 0 and "verwerken" in result.stdout and result.stderr == ""


ENGLISH_HELP = r"Usage|Options|Arguments|Commands|Show this|\[required|\[default|<str>|<path>"


def test_every_help_page_is_in_dutch(home):
    top = run_cli("--help", home=home).stdout
    commands = re.findall(r"^  (\w+) ", top.split("Commando's:")[1], flags=re.MULTILINE)
    assert len(commands) > 10
    for args in [("--help",), *((c, "--help") for c in commands), ("model", "download", "--help")]:
        page = run_cli(*args, home=home).stdout
        assert page.startswith("Gebruik: ") and "Toon deze hulp en stop." in page, args
        assert not re.search(ENGLISH_HELP, page), args


@pytest.mark.parametrize(("args", "message"), [
    (("verslag",), "Fout: ID ontbreekt. Zie `"),
    (("verwerken",), "BESTAND ontbreekt"),
    (("export", "abc", "--onzin"), "onbekende optie --onzin"),
    (("opnemen", "--duur", "lang"), "ongeldige waarde voor --duur"),
    (("verslag", "abc", "-o"), "de optie -o heeft een waarde nodig"),
    (("verslagje",), "onbekend commando 'verslagje'"),
])
def test_a_command_typed_wrong_is_explained_in_dutch(home, args, message):
    result = run_cli(*args, home=home)
    assert_refused(result, message)
    assert result.returncode == 2 and "Onverwachte fout" not in result.stderr and "--help`." in result.stderr


def test_random_bytes_named_wav_are_refused(home, tmp_path):
    path = tmp_path / "ruis.wav"
    path.write_bytes(bytes(range(256)) * 64)
    assert_refused(run_cli("verwerken", str(path), home=home), "ruis.wav")
    assert count_rows(home, "sessions") == 0


def test_zero_length_audio_is_refused(home, tmp_path):
    path = tmp_path / "leeg.flac"
    path.write_bytes(b"")
    assert_refused(run_cli("verwerken", str(path), home=home), "leeg.flac")
    assert count_rows(home, "sessions") == 0


def test_silence_gives_a_session_without_segments_and_a_warning(home, tmp_path):
    path = tmp_path / "stil.wav"
    write_silence(path, 30)
    result = run_cli("verwerken", str(path), "--json", home=home)
    assert result.returncode == 0, result.stderr
    export = json.loads(result.stdout)
    assert export["segments"] == [] and export["warnings"]
    assert "Geen spraak" in result.stderr
    assert 29.5 < export["duur"] < 30.5


def test_malformed_vtt_is_refused(home, tmp_path):
    path = tmp_path / "kapot.vtt"
    path.write_text("WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nHallo\n", encoding="utf-8")
    assert_refused(run_cli("verwerken", str(path), home=home), "kapot.vtt")
    assert count_rows(home, "sessions") == 0


def test_unknown_extension_is_refused(home, tmp_path):
    path = tmp_path / "verslag.docx"
    path.write_bytes(b"PK")
    assert_refused(run_cli("verwerken", str(path), home=home), "Onbekend bestandstype", ".docx")


def test_unwritable_data_directory_is_refused(tmp_path):
    blocker = tmp_path / "bestand"
    blocker.write_text("geen map")  # root ignores permissions; a file in the path stops it for everyone
    result = run_cli("verwerken", str(CONVERSATION), home=blocker / "home")
    assert_refused(result, "niet beschrijfbaar (een deel van het pad is een bestand, geen map)")


def test_audio_clip_becomes_timed_segments_within_the_clip(home):
    clip = DATA / "clip-04.flac"
    result = run_cli("verwerken", str(clip), "--json", home=home)
    assert result.returncode == 0, result.stderr
    export = json.loads(result.stdout)
    assert len(export["segments"]) >= 3
    assert all(0 <= s["start"] < s["end"] <= export["duur"] + 0.05 for s in export["segments"])


def test_demo_runs_offline_and_stores_nothing(home):
    result = run_cli("demo", home=home)
    assert result.returncode == 0, result.stderr
    assert "terugkijken" in result.stdout and "Niets bewaard" in result.stdout
    assert count_rows(home, "sessions") == 0
