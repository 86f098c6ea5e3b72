"""`bewerken`: the begeleider corrects the summary; corrections are kept apart and survive herverwerken."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import DATA, run_cli


@pytest.fixture
def session_id(home) -> str:
    result = run_cli("verwerken", str(DATA / "transcript-teams.vtt"), home=home)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _export(home: Path, session_id: str) -> dict:
    result = run_cli("export", session_id, home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _editor(tmp_path: Path, body: str) -> dict:
    """An $EDITOR that runs `body` (Python) with the file's text in `text` and the path in `path`."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\npath = Path(sys.argv[1])\ntext = path.read_text()\n" + body, "utf-8"
    )
    command = f"{sys.executable} {script}"
    return {"VISUAL": command, "EDITOR": command}


def test_one_field_set_from_the_command_line_is_exported_and_marked_edited(home, session_id):
    result = run_cli("bewerken", session_id, "--veld", "wanneer", "--waarde", "vrijdag na de kerstvakantie", home=home)
    assert result.returncode == 0, result.stderr
    export = _export(home, session_id)
    assert export["summary"]["wanneer"] == "vrijdag na de kerstvakantie"
    assert export["bewerkt"] == ["wanneer"]


def test_list_field_takes_items_separated_by_semicolons(home, session_id):
    run_cli("bewerken", session_id, "--veld", "kwaliteiten", "--waarde", "geduldig; goed luisteren", home=home)
    assert _export(home, session_id)["summary"]["kwaliteiten"] == ["geduldig", "goed luisteren"]


def test_herverwerken_never_overwrites_an_edit(home, session_id):
    run_cli("bewerken", session_id, "--veld", "vervolgstap", "--waarde", "Meelopen bij de bakker", home=home)
    result = run_cli("herverwerken", session_id, home=home)
    assert result.returncode == 0, result.stderr
    export = _export(home, session_id)
    assert export["summary"]["vervolgstap"] == "Meelopen bij de bakker"
    assert "vervolgstap" in export["bewerkt"]


def test_editor_changes_are_stored(home, session_id, tmp_path):
    env = _editor(tmp_path, "path.write_text(text.replace('contact: null', 'contact: mevrouw Bulut'))\n")
    result = run_cli("bewerken", session_id, home=home, env=env)
    assert result.returncode == 0, result.stderr
    export = _export(home, session_id)
    assert export["summary"]["contact"] == "mevrouw Bulut"
    assert export["bewerkt"] == ["contact"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sys.exit(3)\n", "code 3"),
        ("path.write_text('contact: [mevrouw\\nwanneer: : :\\n')\n", "geen geldige YAML (regel"),
        ("path.write_text('hobby: voetbal\\n')\n", "Onbekend veld: hobby"),
        ("path.write_text('kwaliteiten:\\n  a: b\\n')\n", "lijst met tekst"),
    ],
)
def test_failed_or_invalid_edit_changes_nothing(home, session_id, tmp_path, body, message):
    before = _export(home, session_id)
    result = run_cli("bewerken", session_id, home=home, env=_editor(tmp_path, body))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "niets gewijzigd" in result.stderr.lower()
    assert _export(home, session_id) == before


def test_unknown_field_and_half_given_options_are_refused(home, session_id):
    unknown = run_cli("bewerken", session_id, "--veld", "hobby", "--waarde", "voetbal", home=home)
    assert unknown.returncode == 2 and "Onbekend veld 'hobby'" in unknown.stderr
    half = run_cli("bewerken", session_id, "--veld", "wanneer", home=home)
    assert half.returncode == 2 and "--veld en --waarde samen" in half.stderr


def test_editing_an_unknown_session_is_refused(home):
    result = run_cli("bewerken", "ffffffff", "--veld", "wanneer", "--waarde", "morgen", home=home)
    assert result.returncode == 2 and "Geen gesprek gevonden" in result.stderr


def test_verslag_shows_the_edited_value_marked_as_edited(home, session_id):
    run_cli("bewerken", session_id, "--veld", "contact", "--waarde", "mevrouw Bulut", home=home)
    result = run_cli("verslag", session_id, home=home)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "mevrouw Bulut" in line)
    assert "door de begeleider aangepast" in line
