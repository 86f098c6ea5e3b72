"""Who is begeleider and who is leerling: voice tags, text alone, and two voices in real audio."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gesprekopname import asr, config, speakers
from gesprekopname.segments import sentences
from gesprekopname.speakers import assign_speakers, speaker_warnings
from gesprekopname.types import Segment, Word

DATA = Path(__file__).parent / "data"
CLIP = DATA / "speakers-01-begin.flac"
ROLE = {"B": "begeleider", "S": "leerling"}

# A conversation in other words than the source's cue questions: paraphrases, fillers, short answers.
TURNS = [
    ("B", "Goedemorgen Daan. Hoe was je snuffelstage bij de garage?"),
    ("S", "Eh, wel leuk. Ik mocht banden wisselen."),
    ("B", "Banden wisselen. Waar ben je het meest trots op?"),
    ("S", "Dat ik het in mijn eentje deed. De monteur keek alleen even mee."),
    ("B", "Dus je kunt zelfstandig werken. Zie je ergens beren op de weg als je dit verder wilt doen?"),
    ("S", "Nee. Nou, misschien mijn rijbewijs, dat heb ik nog niet."),
    ("B", "Hoe kun jij dat oplossen?"),
    ("S", "Ik ga sparen van mijn bijbaan."),
    ("B", "Mooi plan. Wie kan je daarbij helpen?"),
    ("S", "Mijn oom. Die heeft een rijschool."),
]


def _untagged(turns: list[tuple[str, str]]) -> list[Segment]:
    """Two sentences per segment regardless of who speaks, like a recogniser's cues."""
    parts = [s for _, text in turns for s in sentences(text)]
    segments, clock = [], 0.0
    for i in range(0, len(parts), 2):
        text = " ".join(parts[i : i + 2])
        segments.append(Segment(clock, clock + len(text) / 15, text))
        clock += len(text) / 15 + 0.5
    return segments


def _gold_sentences(turns: list[tuple[str, str]]) -> list[str]:
    return [ROLE[who] for who, text in turns for _ in sentences(text)]


def _out_sentences(segments: list[Segment]) -> list[str]:
    return [seg.speaker for seg in segments for _ in sentences(seg.text)]


def test_empty_input_gives_empty_output():
    assert assign_speakers([]) == []
    assert speaker_warnings([]) == []


@pytest.mark.parametrize(("voice", "role"), [("Begeleider", "begeleider"), ("Leerling", "leerling"),
                                              ("B", "begeleider"), ("S", "leerling")])
def test_role_voice_tags_map_directly(voice, role):
    other = "Leerling" if role == "begeleider" else "Begeleider"
    segments = [Segment(0, 1, "Ja.", voice=voice), Segment(1, 2, "Wat wil je leren?", voice=other)]
    assert assign_speakers(segments)[0].speaker == role


def test_reader_roles_are_kept_and_input_is_not_changed():
    segments = [Segment(0, 1, "Wat deed je?", speaker="leerling"), Segment(1, 2, "Ik weet het niet.")]
    out = assign_speakers(segments)
    assert out[0].speaker == "leerling"
    assert segments[1].speaker is None and out is not segments


def test_title_alias_makes_the_begeleider():
    segments = [Segment(0, 2, "Wat heb je gedaan?", voice="Sanne"),
                Segment(2, 4, "Ik heb gewerkt, mevrouw.", voice="Mevrouw de Vries")]
    out = assign_speakers(segments)
    assert [s.speaker for s in out] == ["leerling", "begeleider"]


def test_plain_names_the_one_asking_is_begeleider():
    segments = [Segment(i, i + 1, text, voice="Jan Jansen" if who == "B" else "Sanne")
                for i, (who, text) in enumerate(TURNS)]
    out = assign_speakers(segments)
    assert [s.speaker for s in out] == [ROLE[who] for who, _ in TURNS]


def test_three_voices_one_begeleider_and_a_warning():
    segments = [Segment(i, i + 1, text, voice="Jan Jansen" if who == "B" else "Sanne")
                for i, (who, text) in enumerate(TURNS)]
    segments.append(Segment(20, 21, "Ik breng hem wel met de auto.", voice="Vader"))
    out = assign_speakers(segments)
    assert {s.voice for s in out if s.speaker == "begeleider"} == {"Jan Jansen"}
    assert any("3 stemmen" in w and "Jan Jansen" in w for w in speaker_warnings(out))


def test_text_only_roles_per_sentence():
    out = assign_speakers(_untagged(TURNS))
    gold, found = _gold_sentences(TURNS), _out_sentences(out)
    assert len(found) == len(gold)
    assert sum(g == f for g, f in zip(gold, found, strict=True)) / len(gold) >= 0.9
    assert all(s.speaker in ("begeleider", "leerling") for s in out)


def test_a_named_insight_and_the_begeleiders_echo_get_their_own_speakers():
    # The student's tentative name ends in a question mark; the begeleider repeats it: the echo, not the
    # question mark, tells who said what.
    turns = [
        ("B", "Als je dit een naam zou moeten geven, wat zou het dan zijn?"),
        ("S", '"Rust in de storm"?'),
        ("B", "Rust in de storm. Mooi."),
        ("S", "Ja, zo voelde het wel."),
    ]
    out = assign_speakers(_untagged(turns))
    assert _out_sentences(out) == _gold_sentences(turns)


def test_posterior_decoding_takes_the_likely_state_per_sentence():
    # One strong begeleider sentence between two weak leerling ones, changes cheap: each sentence
    # follows its own evidence; with costly changes the weak ones follow their strong neighbour.
    evidence = np.array([-0.5, 4.0, -0.5])
    cheap = np.zeros((3, 2, 2))
    costly = np.tile(np.array([[0.0, -3.0], [-3.0, 0.0]]), (3, 1, 1))
    assert (speakers.posterior_odds(evidence, cheap) < 0).tolist() == [True, False, True]
    assert (speakers.posterior_odds(evidence, costly) < 0).tolist() == [False, False, False]
    assert (speakers.posterior_odds(evidence[:1], cheap[:1]) < 0).tolist() == [True]


def test_segment_split_where_speaker_changes():
    seg = Segment(10.0, 14.0, "Waar loop je tegenaan? Nou, dat ik het vergeet.")
    out = assign_speakers([Segment(0, 2, "Wat ga je doen?"), Segment(2, 4, "Ik ga bellen."), seg])
    tail = [s for s in out if s.start >= 10.0]
    assert [(s.speaker, s.text) for s in tail] == [("begeleider", "Waar loop je tegenaan?"),
                                                   ("leerling", "Nou, dat ik het vergeet.")]
    assert tail[0].end == tail[1].start and 10.0 < tail[0].end < 14.0


def test_a_silence_between_segments_makes_a_change_of_speaker_likelier():
    texts = ["Wat moest je doen?", "Ik moest taarten versieren.", "Dat lijkt me lastig.", "Viel wel mee."]

    def roles(silence: float) -> list[str | None]:
        segments = [Segment(i * (1.5 + silence), i * (1.5 + silence) + 1.5, t) for i, t in enumerate(texts)]
        return [s.speaker for s in assign_speakers(segments)]

    assert roles(0.6) == ["begeleider", "leerling", "begeleider", "leerling"]
    assert roles(0.0) != roles(0.6)  # the words alone leave it open: the silence decides


def test_segments_that_touch_are_one_speaker_talking_on_where_the_transcript_writes_silences():
    texts = ["Wat moest je doen?", "Ik moest taarten versieren.", "Dan heb je echt geen tijd om na te denken.",
             "Hoe ging dat?", "Goed."]

    def roles(silences: list[float]) -> list[str | None]:
        segments, clock = [], 0.0
        for text, silence in zip(texts, [0.0, *silences], strict=True):
            clock += silence
            segments.append(Segment(round(clock, 3), round(clock + 1.5, 3), text))
            clock += 1.5
        return [s.speaker for s in assign_speakers(segments)]

    # The third segment touches the second, the others leave a silence: the leerling talks on.
    assert roles([0.6, 0.0, 0.6, 0.6]) == ["begeleider", "leerling", "leerling", "begeleider", "leerling"]
    # Where most segments touch (as Whisper's own timestamps write them), touching says nothing: the words decide.
    assert roles([0.6, 0.0, 0.0, 0.0])[2] == "begeleider"


def test_split_uses_word_times():
    texts = ["Hoe", "ga", "je", "contact", "leggen?", "Ik", "app", "haar", "vanavond."]
    words = [Word(1.0 + i * 0.4, 1.3 + i * 0.4, w) for i, w in enumerate(texts)]
    words[5:] = [Word(w.start + 1.0, w.end + 1.0, w.word) for w in words[5:]]  # the pause between turns
    seg = Segment(1.0, words[-1].end, " ".join(texts), words=words)
    out = assign_speakers([seg])
    assert [s.speaker for s in out] == ["begeleider", "leerling"]
    assert out[1].start == words[5].start and [w.word for w in out[1].words] == texts[5:]


def test_warning_when_leerling_says_little():
    segments = [Segment(0, 9, "Dus je gaat morgen naar de decaan en je vraagt haar of je een dag mag "
                              "meelopen bij de opleiding, en daarna bel je de stage op.", speaker="begeleider"),
                Segment(9, 10, "Ja.", speaker="leerling")]
    threshold = config.load_prompt("rollen.yaml")["waarschuwingen"]["weinig_leerling_drempel"]
    assert threshold > 1 / 28
    assert "Weinig inbreng van de leerling: 4% van de spreektijd." in speaker_warnings(segments)
    assert speaker_warnings(assign_speakers([Segment(0, 1, t, voice=w) for w, t in TURNS])) == []


def _clip_turns() -> list[dict]:
    return json.loads((DATA / "speakers-01-begin.json").read_text(encoding="utf-8"))


def _clip_audio():
    return asr.load_audio(CLIP)


def _clip_words() -> list[Word]:
    """The clip's words, spread evenly over each gold turn."""
    words = []
    for turn in _clip_turns():
        tokens = turn["text"].split()
        step = (turn["end"] - turn["start"]) / len(tokens)
        words += [Word(turn["start"] + i * step, turn["start"] + (i + 1) * step, t) for i, t in enumerate(tokens)]
    return words


def test_two_voices_clustered_from_word_times():
    """Words timed within the gold turns, cues that cross turns, no tags: the voices decide."""
    words = _clip_words()
    cut = len(words) // 3
    segments = [Segment(words[0].start, words[cut - 1].end, " ".join(w.word for w in words[:cut]), words=words[:cut]),
                Segment(words[cut].start, words[-1].end, " ".join(w.word for w in words[cut:]), words=words[cut:])]
    out = assign_speakers(segments, audio=_clip_audio())
    for turn in _clip_turns():
        inside = [s for s in out if s.start < turn["end"] and s.end > turn["start"]]
        best = max(inside, key=lambda s: min(s.end, turn["end"]) - max(s.start, turn["start"]))
        assert best.speaker == ROLE[turn["speaker"]], turn["text"]


def test_audio_names_neutral_voices_that_a_text_rerun_keeps():
    """The clustered voices become "Stem 1"/"Stem 2": re-running without audio keeps the roles."""
    words = _clip_words()
    seg = Segment(words[0].start, words[-1].end, " ".join(w.word for w in words), words=words)
    out = assign_speakers([seg], audio=_clip_audio())
    assert {s.voice for s in out} == {"Stem 1", "Stem 2"}
    rerun = assign_speakers([replace(s, speaker=None) for s in out])
    assert [(s.speaker, s.text) for s in rerun] == [(s.speaker, s.text) for s in out]


def test_model_learns_from_example_conversations(tmp_path):
    example = tmp_path / "eigen.dialog"
    example.write_text("---\nid: x\n---\n[terugkijken]\n" + "\n".join(f"{w}: {t}" for w, t in TURNS * 3),
                       encoding="utf-8")
    dialogues = speakers.example_dialogues([example])
    assert dialogues[0][1:3] == [("begeleider", "Hoe was je snuffelstage bij de garage?"),
                                 ("leerling", "Eh, wel leuk.")]
    model = speakers.train(dialogues)
    texts = ["Wat heb je daar geleerd?", "Ik mocht banden wisselen."]
    assert model.evidence(texts, 0) > 0 > model.evidence(texts, 1)
    assert model.moves(texts)[1, 0, 1] > model.moves(texts)[1, 0, 0]  # after a question the other one speaks


def test_the_role_model_reads_its_verdicts_again_once_it_has_enough_examples():
    role = {"B": "begeleider", "S": "leerling"}
    dialogues = [[(role[w], s) for w, t in TURNS[k:] + TURNS[:k] for s in sentences(t)] for k in range(0, 10, 2)]
    texts = ["Wat heb je daar geleerd?", "Ik mocht banden wisselen.", "Banden wisselen.", "Wie hielp je?"]
    segments = [Segment(2.0 * i, 2.0 * i + 1.5, t) for i, t in enumerate(texts)]
    units = speakers._sentence_units(segments)
    few = speakers.train(dialogues[: speakers.STACK_FOLDS - 1])  # a fold would be empty: the decoding stands
    evidence, moves = speakers._text_evidence(segments, units, few)
    assert not few.stack and np.array_equal(few.verdicts(evidence, moves), speakers.posterior_odds(evidence, moves))
    enough = speakers.train(dialogues)
    evidence, moves = speakers._text_evidence(segments, units, enough)
    assert {"q", "q-1", "q+1", "in", "uit"} <= set(enough.stack)
    assert not np.allclose(enough.verdicts(evidence, moves), speakers.posterior_odds(evidence, moves))


def test_roles_on_recognised_audio(home, monkeypatch):
    from gesprekopname import asr

    monkeypatch.setenv("GESPREKOPNAME_HOME", str(home))
    config.settings.cache_clear()
    transcript = asr.transcribe(CLIP)
    out = assign_speakers(transcript.segments, audio=transcript.audio)
    hits = 0
    for turn in _clip_turns():
        overlap = [(min(s.end, turn["end"]) - max(s.start, turn["start"]), s.speaker) for s in out]
        hits += max(overlap)[1] == ROLE[turn["speaker"]]
    assert hits >= 3
    config.settings.cache_clear()


@pytest.mark.parametrize(("leerling", "said", "name"), [
    (None, [("begeleider", "Hoi Selin, kom maar. Hoe was het?"), ("leerling", "Goed.")], "Selin"),
    (None, [("begeleider", "Floris. Ronde twee."), ("leerling", "Ja."),
            ("begeleider", "Weet je wat ik denk, Floris?")], "Floris"),
    # The name given when processing goes first; a code keeps the name out, also the one heard.
    ("sanne de Vries", [("begeleider", "Hoi Selin.")], "Sanne"),
    ("L17", [("begeleider", "Hoi Selin.")], None),
    ("jan-willem", [], "Jan-Willem"),
    (None, [("begeleider", "Hoi Şeyma, kom binnen.")], "Şeyma"),
    (None, [("begeleider", "Goed gedaan, Özlem!")], "Özlem"),
    # A word opening a sentence later on is no name, nor is one the student says, nor one also said in lowercase.
    (None, [("begeleider", "Wat deed je toen?"), ("begeleider", "Spannend. En toen?")], None),
    (None, [("leerling", "Hoi Ruud, zei ik.")], None),
    (None, [("begeleider", "Dag Roos."), ("leerling", "Een roos is een bloem.")], None),
    (None, [("begeleider", "Ga naar de open dag Rechten.")], None),  # a greeting opens a sentence
    # Not the classmate at the door whom the student addresses too; the name that opens the talk counts double.
    (None, [("begeleider", "Kevin, kom zitten."), ("begeleider", "Binnen! O, Mo."), ("leerling", "Wat moet je, Mo?"),
            ("begeleider", "Je hoort het, Mo.")], "Kevin"),
])
def test_the_student_is_named_as_given_or_as_the_begeleider_addresses_them(leerling, said, name):
    assert speakers.student_name(leerling, said) == name
