"""Phase segmentation on text alone: order, paraphrase, skips, returns, overig, splitting, a school's cues."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import DEV_DIALOGUES

from gesprekopname import config, examples, phases
from gesprekopname.errors import UserError
from gesprekopname.types import PHASES, Segment, Word

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import conditions  # noqa: E402

OWN = Path(__file__).parent / "data"
HARD = ROOT / "benchmarks" / "data" / "hard"


def talk(*lines: str) -> list[Segment]:
    """'B: ...' / 'S: ...' lines as T1 segments, three seconds a line."""
    role = {"B": "begeleider", "S": "leerling"}
    return [Segment(3.0 * i, 3.0 * i + 2.8, line[2:].strip(), speaker=role[line[0]]) for i, line in enumerate(lines)]


def phase_of(segments: list[Segment], text: str) -> str:
    return next(s.phase for s in segments if text in s.text)


STORY = (
    "B: Je hebt stage gelopen bij de dierenwinkel. Vertel eens.",
    "S: Ik moest de hokken schoonmaken en de vissen voeren.",
    "B: Wat gebeurde er op zaterdag?",
    "S: Er kwam een meisje dat huilde omdat haar konijn ziek was. Ik heb haar geholpen.",
)


@pytest.fixture(autouse=True)
def fresh_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GESPREKOPNAME_HOME", str(tmp_path))
    config.settings.cache_clear()
    yield tmp_path
    config.settings.cache_clear()


def test_phases_come_in_order_on_a_dev_dialogue():
    dialog = conditions.load_dialog(DEV_DIALOGUES[0])
    segments, spans = phases.segment_phases(conditions.segments_for(dialog, "T1"))
    assert [s.phase for s in spans] == list(PHASES)
    assert conditions.phase_accuracy(dialog, segments) >= 0.95


def test_spans_are_contiguous_runs():
    dialog = conditions.load_dialog(DEV_DIALOGUES[1])
    segments, spans = phases.segment_phases(conditions.segments_for(dialog, "T2"))
    assert spans[0].start == segments[0].start and spans[-1].end == segments[-1].end
    assert all(a.end == b.start and a.phase != b.phase for a, b in zip(spans, spans[1:], strict=False))


def test_a_paraphrased_cue_still_switches_phase():
    """Each phase as long as a phase in a real conversation: one question and a two-word answer at the very end
    (six seconds, under the 20 s the tool warns about) may be an aside."""
    segments, _ = phases.segment_phases(talk(
        *STORY,
        "B: Als je er nu op terugkijkt, waar ben je dan achteraf stiekem het meest trots op?",
        "S: Dat ik rustig bleef.",
        "B: En waar zou je daarna graag eens gaan kijken, welke opleiding trekt je?",
        "S: Dierenartsassistent misschien.",
        "B: En waar zou je dat kunnen zien?",
        "S: Op de open dag van het ROC, in maart.",
    ))
    assert phase_of(segments, "trots") == "reflecteren"
    assert phase_of(segments, "rustig") == "reflecteren"
    assert phase_of(segments, "opleiding trekt") == "vooruitkijken"


def test_the_phase_changes_between_turns_not_inside_one():
    """The begeleider moves the conversation on; a turn of one speaker is not cut into two phases."""
    for path in DEV_DIALOGUES:
        turns = conditions.segments_for(conditions.load_dialog(path), "T1")
        segments, _ = phases.segment_phases(turns)
        assert len(segments) == len(turns), path.name


def test_a_skipped_phase_yields_a_warning():
    segments, spans = phases.segment_phases(talk(
        *STORY,
        "B: Wat deed jij hierin heel goed?",
        "S: Ik bleef rustig en ik luisterde naar haar.",
        "B: Wat zegt dat over jou, denk je?",
        "S: Dat ik goed met mensen kan. Dat vind ik belangrijk.",
        "B: Wat wil je uitproberen of leren over je toekomstige werk?",
        "S: Ik wil weten of dierenartsassistent iets voor mij is.",
        "B: Wat is er nodig om een keuze te maken?",
        "S: Dat ik een dag meeloop bij een dierenkliniek.",
    ))
    warnings = phases.phase_warnings(segments, spans)
    assert "activeren" not in {s.phase for s in spans}
    assert any(w.startswith("Activeren niet besproken") for w in warnings)
    assert not any(w.startswith("Reflecteren niet besproken") for w in warnings)


def test_a_short_phase_yields_a_warning():
    segments, spans = phases.segment_phases(talk(
        *STORY,
        "B: Wat deed jij hierin heel goed?",
        "S: Rustig blijven.",
        "B: Wat wil je uitproberen of leren over je toekomstige vak?",
        "S: Ik wil weten of dierenartsassistent iets voor mij is. Ik wil een keer meelopen.",
        "B: Wat heb je nodig om een keuze te maken?",
        "S: Een dag meelopen in een kliniek, volgend jaar.",
    ))
    assert any(w.startswith("Reflecteren duurde maar") for w in phases.phase_warnings(segments, spans))


def test_an_empty_transcript_has_no_phases_and_a_single_segment_one():
    assert phases.segment_phases([]) == ([], [])
    segments, spans = phases.segment_phases(talk("B: Hoe was je stage bij de bakker?"))
    assert [s.phase for s in segments] == ["terugkijken"] and [s.phase for s in spans] == ["terugkijken"]
    warnings = phases.phase_warnings(segments, spans)
    assert "Terugkijken duurde maar 2 seconden." in warnings
    assert sum(w.startswith(("Reflecteren niet", "Vooruitkijken niet", "Activeren niet")) for w in warnings) == 3


def test_a_conversation_without_any_cue_question_is_all_overig_with_a_warning():
    segments, spans = phases.segment_phases(talk(
        "B: Goedemorgen.",
        "S: Goedemorgen.",
        "B: Het rooster is veranderd, wiskunde is nu het derde uur.",
        "S: Oké. En de toets van vrijdag?",
        "B: Die gaat gewoon door.",
    ))
    assert {s.phase for s in segments} == {"overig"}
    warnings = phases.phase_warnings(segments, spans)
    assert "100% van het gesprek ging over iets anders dan de loopbaan (cijfers, rooster, planning)." in warnings
    assert not any("Nederlands" in w for w in warnings)


def test_a_conversation_in_english_gets_a_warning():
    segments, spans = phases.segment_phases(talk(
        "B: Hi Sam, how was your internship at the bakery?",
        "S: It was great. I decorated a hundred cupcakes for a wedding.",
        "B: What does that say about you?",
        "S: That I am patient and precise.",
    ))
    warnings = phases.phase_warnings(segments, spans)
    assert warnings[0].startswith("Dit gesprek lijkt niet in het Nederlands gevoerd (")
    dutch = phases.segment_phases(talk(*STORY))
    assert not any("Nederlands" in w for w in phases.phase_warnings(*dutch))


def test_a_brief_return_is_kept():
    dialog = conditions.load_dialog(OWN / "phases-garage.dialog")
    segments, spans = phases.segment_phases(conditions.segments_for(dialog, "T1"))
    assert phase_of(segments, "Hoe reageerde de klant") == "terugkijken"
    assert [s.phase for s in spans] == ["terugkijken", "vooruitkijken", "terugkijken", "vooruitkijken", "activeren"]


def test_talk_about_grades_is_overig():
    dialog = conditions.load_dialog(OWN / "phases-kapsalon.dialog")
    segments, _ = phases.segment_phases(conditions.segments_for(dialog, "T1"))
    assert phase_of(segments, "herkansing") == "overig"
    assert phase_of(segments, "rekenmachine") == "overig"
    assert phase_of(segments, "vegen en koffie") == "terugkijken"


def test_a_compound_the_models_do_not_know_is_read_as_the_known_word_it_ends_in():
    bank = phases.bank()
    assert "woordjestoets" not in bank.words and "toets" in bank.words
    read = phases._read_with(phases._units(talk("B: Hoe ging je woordjestoets?", "S: Een zes.")), bank)
    assert "toets" in read[0].lemmas
    assert "zes" in read[1].lemmas  # too short to be the end of a compound: stays itself


def test_a_conversation_may_open_in_a_later_phase():
    dialog = conditions.load_dialog(OWN / "phases-toekomst.dialog")
    segments, spans = phases.segment_phases(conditions.segments_for(dialog, "T1"))
    assert spans[0].phase == "vooruitkijken"
    assert conditions.phase_accuracy(dialog, segments) >= 0.95


def test_a_new_phase_is_expected_where_the_begeleider_announces_one_not_at_a_follow_up():
    units = phases._units(talk(
        *STORY,
        "B: En toen?",
        "S: Haar moeder kwam en ze gingen samen naar de dierenarts.",
        "B: Ik wil even met je kijken naar wat jij daar nou deed.",
    ))
    change = phases._change_logodds(phases._read_with(units, phases.bank()), phases.bank())
    said = {u.text: odds for u, odds in zip(units, change, strict=True)}
    assert said["Ik wil even met je kijken naar wat jij daar nou deed."] > 1.0  # likelier than a step on average
    assert said["En toen?"] < -1.0


@pytest.mark.parametrize("question", [
    "Hoe kwam het dat het jou zo goed afging?",
    "Waardoor ging het zo goed, denk je?",
])
def test_asking_why_it_went_well_reads_as_reflecteren_not_as_more_of_the_story(question):
    """Said about the past ("afging", "ging"), but a reflecting question: in a follow-up conversation the story is
    short and these come right after it."""
    units = phases._units(talk(*STORY, f"B: {question}", "S: Ik ben gewoon heel precies."))
    bank = phases.bank()
    emission = phases._emission(phases._read_with(units, bank), bank)[-2]
    reflecteren, terugkijken = (emission[phases.LABELS.index(p)] for p in ("reflecteren", "terugkijken"))
    assert reflecteren - terugkijken > 1.0


def test_a_cue_question_mid_segment_is_split_off_at_word_time():
    text = "Dus je bent betrouwbaar. Wat wil je uitproberen of leren over je toekomstige vak, studie of werk?"
    words = [Word(100.0 + 0.5 * i, 100.4 + 0.5 * i, w) for i, w in enumerate(text.split())]
    before = talk(*STORY, "B: Wat deed jij hierin heel goed?", "S: Ik bleef rustig, ook toen ze huilde.")
    cue = Segment(100.0, words[-1].end, text, words=words)
    after = Segment(120.0, 123.0, "Ik wil weten of ik dierenartsassistent wil worden.", speaker="leerling")
    segments, _ = phases.segment_phases([*before, cue, after])
    head, tail = (s for s in segments if s.start >= 100.0 and s.end <= 120.0)
    assert head.text == "Dus je bent betrouwbaar." and head.phase == "reflecteren"
    assert tail.text.startswith("Wat wil je uitproberen") and tail.phase == "vooruitkijken"
    assert tail.start == words[4].start and head.end == tail.start
    assert tail.words == words[4:]


def test_a_schools_extra_cue_file_is_used(fresh_home):
    lines = (*STORY, "B: Wat is jouw sprokkelmoment geweest?", "S: Dat ik rustig bleef. Ik ben rustig.")
    assert phase_of(phases.segment_phases(talk(*lines))[0], "sprokkel") != "reflecteren"
    extra = fresh_home / "eigen-fasen.yaml"
    extra.write_text("reflecteren:\n  vragen:\n    - Wat is jouw sprokkelmoment geweest?\n", encoding="utf-8")
    (fresh_home / "config.toml").write_text(f'[fasen]\nextra = ["{extra}"]\n', encoding="utf-8")
    config.settings.cache_clear()
    assert phase_of(phases.segment_phases(talk(*lines))[0], "sprokkel") == "reflecteren"


@pytest.mark.parametrize(("content", "says"), [
    ("reflecteren:\n  vragen:\n    - Wat ging goed?\n   - kapot\n", " is geen geldige YAML (regel 4, kolom 4)."),
    ("reflecteren:\n  vragen:\n    - Dan de vraag: hoe nu verder\n",
     ", regel 3: elke regel onder 'vragen' is één tekst (een tekst met een dubbele punt erin tussen"),
    ("reflectie:\n  vragen:\n    - Wat ging goed?\n", ", regel 1: onbekende sleutel 'reflectie' (bekend: terugkijken,"),
    ("reflecteren:\n  vragen: Wat ging goed?\n", ", regel 2: 'vragen' moet een lijst zijn"),
    ("- Wat ging goed?\n", ", regel 1: verwacht sleutels met een waarde"),
    ("reflecteren:\n  vraagjes:\n    - Goed?\n", ", regel 2: onbekende sleutel 'vraagjes' onder 'reflecteren' ("),
    ("instellingen:\n  minimale_duur: kort\n", ", regel 2: 'minimale_duur' is een getal, zoals 20."),
])
def test_a_broken_school_cue_file_is_named_with_its_line_and_skipped(fresh_home, content, says):
    extra = fresh_home / "eigen-fasen.yaml"
    extra.write_text(content, encoding="utf-8")
    (fresh_home / "config.toml").write_text(f'[fasen]\nextra = ["{extra}"]\n', encoding="utf-8")
    config.settings.cache_clear()
    warnings = phases.phase_warnings([], [])
    assert len(warnings) == 1 and warnings[0].startswith(f"{extra}{says}")
    assert warnings[0].endswith("Dit bestand is overgeslagen: de ingebouwde cuevragen zijn gebruikt.")


def test_a_schools_example_conversations_are_learned_from(fresh_home):
    folder = fresh_home / "voorbeelden"
    folder.mkdir()
    (folder / "eigen.dialog").write_text(
        "---\nid: eigen\n---\n[terugkijken]\nB: Hoe was de sprokkeldag?\nS: De sprokkeldag was druk.\n"
        "[reflecteren]\nB: Wat zegt die sprokkeldag over jou?\nS: Dat ik rustig blijf.\n", encoding="utf-8")
    assert "sprokkeldag" not in phases.bank().index
    (fresh_home / "config.toml").write_text(f'[fasen]\nvoorbeelden = "{folder}"\n', encoding="utf-8")
    config.settings.cache_clear()
    assert "sprokkeldag" in phases.bank().index


def test_the_trained_bank_is_kept_for_the_next_run(fresh_home, monkeypatch):
    monkeypatch.delenv("GESPREKOPNAME_CACHE", raising=False)  # the default place: the data directory
    phases.build_bank.cache_clear()  # built in this process before, for another home
    built = phases.bank()
    assert list((fresh_home / "cache").glob("fasen-*.pickle"))
    phases.build_bank.cache_clear()  # as a new process
    loaded = phases.bank()
    assert np.array_equal(loaded.weights, built.weights) and np.array_equal(loaded.stack, built.stack)


def test_an_unknown_phase_in_an_example_is_named(tmp_path):
    path = tmp_path / "fout.dialog"
    path.write_text("---\nid: fout\n---\n[reflectie]\nB: Wat ging goed?\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"onbekende fase \[reflectie\]"):
        examples.read_example(path)


@pytest.mark.parametrize("condition,target", [("T1", 0.95), ("T2", 0.92), ("T3", 0.88)])
def test_dev_and_own_dialogues_meet_the_targets(condition, target):
    paths = DEV_DIALOGUES + sorted(OWN.glob("phases-*.dialog"))
    scores = []
    for path in paths:
        dialog = conditions.load_dialog(path)
        scores.append(conditions.phase_accuracy(dialog, phases.segment_phases(
            conditions.segments_for(dialog, condition))[0]))
    assert sum(scores) / len(scores) >= target


@pytest.mark.skipif(not HARD.is_dir(), reason="hard set not present")
@pytest.mark.parametrize("condition,floor", [("T1", 0.85), ("T2", 0.85), ("T3", 0.80)])
def test_hard_dialogues_do_not_regress(condition, floor):
    """A guard, not the goal: the targets are 0.95/0.92/0.88; reached so far 0.868/0.867/0.819."""
    scores = []
    for path in sorted(HARD.glob("*.dialog")):
        dialog = conditions.load_dialog(path)
        scores.append(conditions.phase_accuracy(dialog, phases.segment_phases(
            conditions.segments_for(dialog, condition))[0]))
    assert scores and sum(scores) / len(scores) >= floor
