import json
from dataclasses import replace
from pathlib import Path

import pytest

from gesprekopname.errors import UserError
from gesprekopname.transcripts import TRANSCRIPT_EXTENSIONS, read_transcript, render, session_to_json
from gesprekopname.types import Evidence, PhaseSpan, Segment, Session

DATA = Path(__file__).parent / "data"

SUMMARY_FIELDS = {
    "ervaring", "rol", "verwachtingen", "kwaliteiten", "motieven", "inzicht",
    "vervolgstap", "wanneer", "contact", "belemmeringen", "oplossingen", "competenties",
}  # fmt: skip


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def rows(segments: list[Segment]) -> list[tuple]:
    return [(s.start, s.end, s.text, s.speaker) for s in segments]


def voices(segments: list[Segment]) -> list[tuple]:
    return [(s.speaker, s.voice) for s in segments]


def make_session(segments: list[Segment]) -> Session:
    return Session(
        id="g-2024-001",
        leerling="Sanne",
        datum="2024-05-13T10:15:00+02:00",
        duur=3730.0,
        bron="bestand",
        segments=segments,
        phases=[PhaseSpan("terugkijken", 0.0, 61.3), PhaseSpan("vooruitkijken", 61.3, 3730.0)],
        summary={"ervaring": "stage bij de bakkerij", "kwaliteiten": ["nauwkeurig"]},
        evidence={"ervaring": [Evidence(4.2, 9.75, "ik heb zes weken bij de bakkerij gewerkt")]},
        warnings=["Geen activeren-fase gevonden."],
    )


# Text that trips naive writers: markup characters, entities, arrows, brackets, colons, non-ASCII.
TRICKY = [
    Segment(0.0, 4.2, "Wat vond je ervan? 3 < 5 & 7 > 2.", speaker="begeleider", phase="terugkijken"),
    Segment(4.2, 9.75, "<v Leerling>nep</v> is hier gewoon tekst, &amp; ook.", speaker="leerling"),
    Segment(10.0, 12.5, "Dus: ik wil verder in de zorg --> echt waar.", speaker=None),
    Segment(12.5, 12.5, "[lacht] Ja.", speaker=None),
    Segment(13.001, 20.999, "Hygiëne, café en € zijn ook prima — toch?", speaker="leerling"),
    Segment(3725.25, 3729.5, "NOTE dit is geen opmerking maar tekst.", speaker="begeleider"),
]


def test_transcript_extensions_are_the_four_formats():
    assert sorted(TRANSCRIPT_EXTENSIONS) == [".json", ".srt", ".txt", ".vtt"]


def test_vtt_voice_tags_keep_names_for_speaker_mapping():
    transcript = read_transcript(DATA / "transcript-teams.vtt")
    assert voices(transcript.segments) == [
        (None, "Mevrouw de Vries"),
        (None, "Sanne"),
        (None, "Mevrouw de Vries"),
        (None, "Sanne"),
    ]
    assert rows(transcript.segments) == [
        (1.25, 5.8, "Goedemorgen Sanne, fijn dat je er bent.", None),
        (
            6.1,
            11.42,
            "Ja, dus ik heb zes weken bij de bakkerij stage gelopen en dat vond ik eigenlijk heel leuk.",
            None,
        ),
        (12.0, 15.5, "Wat vond je het leukst & wat was lastig?", None),
        (16.5, 21.0, "Het deeg maken. Vroeg opstaan was lastig.", None),
    ]
    assert transcript.duration == 21.0


def test_vtt_role_names_in_voice_tags_set_the_speaker(tmp_path):
    cues = ["Begeleider", "leerling", "B", "s", "Leerling 1", "Bas"]
    body = "".join(f"\n\n00:00:0{i}.000 --> 00:00:0{i}.500\n<v.loud {name}>Zin {i}." for i, name in enumerate(cues))
    transcript = read_transcript(write(tmp_path, "rollen.vtt", "WEBVTT" + body))
    assert voices(transcript.segments) == [
        ("begeleider", "Begeleider"),
        ("leerling", "leerling"),
        ("begeleider", "B"),
        ("leerling", "s"),
        (None, "Leerling 1"),
        (None, "Bas"),
    ]


def test_vtt_without_voice_tags_strips_markup_and_reads_short_times():
    transcript = read_transcript(DATA / "transcript-plain.vtt")
    assert rows(transcript.segments) == [
        (1.0, 4.5, "Goedemiddag, hoe gaat het met je?", None),
        (4.5, 9.0, "Goed hoor. Ik heb 3 < 5 dagen gewerkt.", None),
        (3723.004, 3727.25, "En daarna gaan we verder.", None),
    ]
    assert voices(transcript.segments) == [(None, None)] * 3


def test_vtt_with_bom_and_crlf_reads_like_a_plain_file(tmp_path):
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Begeleider>Hallo\nSanne.\n"
    unix = read_transcript(write(tmp_path, "unix.vtt", text))
    windows = read_transcript(write(tmp_path, "windows.vtt", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()))
    assert rows(windows.segments) == rows(unix.segments) == [(1.0, 2.0, "Hallo Sanne.", "begeleider")]


def test_vtt_timing_line_in_the_header_block_starts_a_cue(tmp_path):
    transcript = read_transcript(write(tmp_path, "krap.vtt", "WEBVTT\n00:00:01.000 --> 00:00:02.000\nHoi.\n"))
    assert rows(transcript.segments) == [(1.0, 2.0, "Hoi.", None)]


def test_segments_come_out_in_time_order(tmp_path):
    text = "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nTwee.\n\n00:00:01.000 --> 00:00:02.000\nEen.\n"
    transcript = read_transcript(write(tmp_path, "omgekeerd.vtt", text))
    assert [s.text for s in transcript.segments] == ["Een.", "Twee."]
    assert transcript.duration == 6.0


def test_srt_role_prefix_sets_the_speaker_but_other_colons_stay_text():
    transcript = read_transcript(DATA / "transcript.srt")
    assert rows(transcript.segments) == [
        (0.5, 4.0, "Vertel eens, hoe was je stage?", "begeleider"),
        (4.2, 9.75, "Het was druk, maar ik heb veel geleerd.", "leerling"),
        (10.0, 13.0, "Dus: ik wil daarna verder in de zorg.", None),
        (13.5, 15.0, "Ja.", "leerling"),
    ]
    assert voices(transcript.segments)[3] == ("leerling", "s")


def test_txt_prefixes_set_the_speaker_and_continuation_lines_keep_it():
    transcript = read_transcript(DATA / "transcript.txt")
    assert [(s.speaker, s.voice, s.text) for s in transcript.segments] == [
        ("begeleider", "Begeleider", "Hoi Sanne, fijn dat je er bent."),
        ("begeleider", "Begeleider", "Hoe ging je stage bij de bakkerij?"),
        ("leerling", "LEERLING", "Goed! Ik heb veel geleerd."),
        ("leerling", "LEERLING", "Vooral over hygiëne."),
        ("begeleider", "b", "En wat ga je nu doen?"),
        ("leerling", "S", "Ik wil me aanmelden voor de open dag."),
    ]


NOTES = """Mevrouw Jansen: Hoe was je snuffelstage?
Daan: Goed. Ik mocht voeren.
Mevrouw Jansen: Wat deed je daar goed?
Daan: Opletten.
Dus: ik wil dat vaker doen.
Dhr. de Vries: Mag ik even storen?
"""


def test_a_name_that_starts_several_lines_is_a_voice_and_leaves_the_text(tmp_path):
    transcript = read_transcript(write(tmp_path, "notities.txt", NOTES))
    assert [(s.voice, s.text) for s in transcript.segments] == [
        ("Mevrouw Jansen", "Hoe was je snuffelstage?"),
        ("Daan", "Goed. Ik mocht voeren."),
        ("Mevrouw Jansen", "Wat deed je daar goed?"),
        ("Daan", "Opletten."),
        # Said once, a word before a colon is text; the line belongs to the speaker before it.
        ("Daan", "Dus: ik wil dat vaker doen."),
        ("Daan", "Dhr. de Vries: Mag ik even storen?"),
    ]
    assert {s.speaker for s in transcript.segments} == {None}  # names get their roles in the speakers stage


CUES = [(1, 3, "Mevrouw Jansen: Hoe was het?"), (3.5, 5, "Daan: Goed."), (5.5, 7, "Mevrouw Jansen: Vertel."),
        (7.5, 9, "Daan: Ik mocht voeren.")]


def _clock(seconds: float, mark: str) -> str:
    return f"00:00:{seconds:06.3f}".replace(".", mark)


@pytest.mark.parametrize("name, cue", [
    ("zoom.vtt", lambda i, a, b, line: f"{i}\n{_clock(a, '.')} --> {_clock(b, '.')}\n{line}\n"),
    ("notities.srt", lambda i, a, b, line: f"{i}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{line}\n"),
    ("tijden.txt", lambda i, a, b, line: f"[{_clock(a, '.')} --> {_clock(b, '.')}] {line}"),
])
def test_names_before_a_colon_are_voices_in_every_timed_format(tmp_path, name, cue):
    text = ("WEBVTT\n\n" if name.endswith(".vtt") else "") + "\n".join(cue(i, *c) for i, c in enumerate(CUES, 1))
    segments = read_transcript(write(tmp_path, name, text)).segments
    assert [(s.start, s.voice, s.text) for s in segments] == [
        (1.0, "Mevrouw Jansen", "Hoe was het?"), (3.5, "Daan", "Goed."),
        (5.5, "Mevrouw Jansen", "Vertel."), (7.5, "Daan", "Ik mocht voeren."),
    ]


def test_many_different_words_before_a_colon_are_text_not_speakers(tmp_path):
    lines = [f"{word}: dat zei ik al." for word in ("Eerst", "Toen", "Daarna", "Later", "Vandaag")] * 2
    segments = read_transcript(write(tmp_path, "lijstje.txt", "\n".join(lines))).segments
    assert [s.voice for s in segments] == [None] * 10
    assert segments[0].text == "Eerst: dat zei ik al."


def test_plain_text_without_times_gets_ordered_times():
    segments = read_transcript(DATA / "transcript.txt").segments
    assert segments[0].start == 0.0
    for segment in segments:
        # About 0.4 s per word, so a longer line takes longer.
        assert segment.end - segment.start == pytest.approx(0.4 * len(segment.text.split()))
    for before, after in zip(segments, segments[1:], strict=False):
        assert after.start == pytest.approx(before.end + 0.5)


def test_only_a_text_without_times_is_marked_as_estimated(tmp_path):
    assert read_transcript(DATA / "transcript.txt").timed is False
    timed = write(tmp_path, "met-tijden.txt", "[0:00.000 --> 0:02.000] Begeleider: Hoi.\n")
    assert read_transcript(timed).timed is True
    assert read_transcript(DATA / "transcript-teams.vtt").timed is True
    # The export JSON of a session whose times were estimated keeps saying so when read back.
    session = make_session([Segment(0.0, 2.0, "Hoi.", speaker="begeleider")])
    for estimated in (True, False):
        exported = session_to_json(replace(session, tijden_geschat=estimated))
        assert read_transcript(write(tmp_path, "export.json", json.dumps(exported))).timed is not estimated


def test_bare_prefix_line_names_the_speaker_of_the_lines_below(tmp_path):
    transcript = read_transcript(write(tmp_path, "blok.txt", "Begeleider:\nHoi.\n\nLeerling:\nDag.\nHoe is het?\n"))
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("begeleider", "Hoi."),
        ("leerling", "Dag."),
        ("leerling", "Hoe is het?"),
    ]
    assert transcript.segments[0].start == 0.0


def test_timed_txt_line_without_times_continues_the_previous_segment(tmp_path):
    text = "[00:00:01.000 --> 00:00:04.000] Leerling: Ik wil\nnaar de open dag.\n[00:00:05.000 --> 00:00:06.000] Ja.\n"
    transcript = read_transcript(write(tmp_path, "tijd.txt", text))
    assert rows(transcript.segments) == [
        (1.0, 4.0, "Ik wil naar de open dag.", "leerling"),
        (5.0, 6.0, "Ja.", None),
    ]


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"language": "nl", "segments": items}])
def test_whisper_json_keeps_words_and_rounds_times_to_milliseconds(tmp_path, wrap):
    items = json.loads((DATA / "transcript-whisper.json").read_text(encoding="utf-8"))
    transcript = read_transcript(write(tmp_path, "whisper.json", json.dumps(wrap(items))))
    assert rows(transcript.segments) == [
        (0.0, 2.48, "Goedemorgen, hoe gaat het?", None),
        (2.9, 6.123, "Prima. Ik heb er zin in.", None),
    ]
    words = transcript.segments[0].words
    assert [(w.start, w.end, w.word, w.probability) for w in words[:2]] == [
        (0.0, 0.62, "Goedemorgen,", 0.91),
        (0.7, 0.98, "hoe", 0.99),
    ]
    assert transcript.duration == 6.123


def test_export_json_read_back_takes_the_speaker_and_ignores_the_phase(tmp_path):
    session = make_session([Segment(0.0, 2.0, "Hoi.", speaker="begeleider", phase="activeren")])
    exported = session_to_json(session)
    exported["segments"] += [
        {"start": 2.0, "end": 3.0, "speaker": "leerling", "phase": "overig", "text": "Dag."},
        {"start": 3.0, "end": 4.0, "speaker": None, "phase": None, "text": "Eh."},
        {"start": 4.0, "end": 5.0, "speaker": "SPEAKER_01", "text": "Onbekend."},
    ]
    segments = read_transcript(write(tmp_path, "export.json", json.dumps(exported))).segments
    assert voices(segments) == [
        ("begeleider", "Begeleider"),
        ("leerling", "Leerling"),
        (None, None),
        (None, "SPEAKER_01"),
    ]
    assert [s.phase for s in segments] == [None] * 4


@pytest.mark.parametrize("fmt", ["json", "vtt", "srt", "txt"])
def test_each_format_round_trips_through_export(tmp_path, fmt):
    session = make_session(TRICKY)
    rendered = render(session, fmt)
    path = write(tmp_path, f"export.{fmt}", rendered)
    segments = read_transcript(path).segments
    assert rows(segments) == rows(TRICKY)
    # Rendering what was read gives the same file again (phases are recomputed later, so copied here).
    phased = [replace(read, phase=original.phase) for read, original in zip(segments, TRICKY, strict=True)]
    assert render(make_session(phased), fmt) == rendered


def test_export_json_has_the_contract_fields():
    session = make_session([Segment(0.0, 4.2, "Hoi.", speaker="begeleider", phase="terugkijken")])
    data = json.loads(render(session, "json"))
    assert data == session_to_json(session)
    contract = {"id", "leerling", "datum", "duur", "bron", "segments", "phases", "summary", "evidence", "warnings"}
    assert set(data) >= contract
    assert data["segments"] == [
        {"start": 0.0, "end": 4.2, "speaker": "begeleider", "phase": "terugkijken", "text": "Hoi."}
    ]
    assert data["phases"][0] == {"phase": "terugkijken", "start": 0.0, "end": 61.3}
    quote = {"start": 4.2, "end": 9.75, "quote": "ik heb zes weken bij de bakkerij gewerkt"}
    assert data["evidence"] == {"ervaring": [quote]}
    assert data["warnings"] == ["Geen activeren-fase gevonden."]
    # Fields not filled in are "niet besproken": null, or an empty list for the list fields.
    assert set(data["summary"]) == SUMMARY_FIELDS
    assert data["summary"]["ervaring"] == "stage bij de bakkerij"
    assert data["summary"]["kwaliteiten"] == ["nauwkeurig"]
    assert data["summary"]["vervolgstap"] is None
    assert data["summary"]["motieven"] == []


def test_export_json_keeps_non_ascii_readable():
    session = make_session([Segment(0.0, 1.0, "Hygiëne.", speaker="leerling")])
    assert "Hygiëne." in render(session, "json")


def test_rendered_text_formats_look_as_documented():
    session = make_session(
        [
            Segment(62.5, 65.0, "Wat  ga je\ndoen?", speaker="begeleider"),
            Segment(65.0, 66.25, "A & B <ok>", speaker=None),
            Segment(66.25, 67.0, " ", speaker="leerling"),
        ]
    )
    assert render(session, "vtt") == (
        "WEBVTT\n\n"
        "00:01:02.500 --> 00:01:05.000\n<v Begeleider>Wat ga je doen?\n\n"
        "00:01:05.000 --> 00:01:06.250\nA &amp; B &lt;ok&gt;\n"
    )
    assert render(session, "srt") == (
        "1\n00:01:02,500 --> 00:01:05,000\nBegeleider: Wat ga je doen?\n\n"
        "2\n00:01:05,000 --> 00:01:06,250\nA & B <ok>\n"
    )
    assert render(session, "txt") == (
        "[00:01:02.500 --> 00:01:05.000] Begeleider: Wat ga je doen?\n[00:01:05.000 --> 00:01:06.250] A & B <ok>\n"
    )


def test_render_rejects_an_unknown_format():
    with pytest.raises(UserError, match="exportformaat 'docx'"):
        render(make_session([]), "docx")


def test_malformed_vtt_names_the_line():
    with pytest.raises(UserError) as caught:
        read_transcript(DATA / "transcript-bad.vtt")
    assert str(caught.value) == (
        "transcript-bad.vtt is geen geldige WebVTT: regel 3: tijdcode '00:00:0x.000' niet herkend."
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("transcript-bad.srt", "transcript-bad.srt is geen geldig SRT-bestand: regel 5: verwacht een tijdcode"),
        ("transcript-bad.json", "transcript-bad.json is geen geldig JSON-transcript: segment 2: 'end' ontbreekt"),
        ("transcript-empty.vtt", "transcript-empty.vtt bevat geen tekst."),
    ],
)
def test_malformed_fixtures_give_a_dutch_message_with_the_place(name, message):
    with pytest.raises(UserError) as caught:
        read_transcript(DATA / name)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.vtt", "00:00:01.000 --> 00:00:02.000\nHoi\n", "geldige WebVTT: regel 1: de kop 'WEBVTT' ontbreekt."),
        (
            "a.vtt",
            "WEBVTT\n\n00:00:05.000 --> 00:00:03.000\nHoi\n",
            "regel 3: eindtijd 00:00:03.000 ligt voor begintijd 00:00:05.000.",
        ),
        ("a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHoi\n\nlosse tekst\n", "regel 6: tekst zonder tijdcode."),
        ("a.vtt", "WEBVTT\n", "a.vtt bevat geen tekst."),
        ("a.srt", "Dit is gewoon een brief.\nMet twee regels.\n", "a.srt is geen geldig SRT-bestand: regel 1:"),
        ("a.srt", "1\n00:00:01,000 --> 00:61:00,000\nHoi\n", "regel 2: tijdcode '00:61:00,000' niet herkend."),
        ("a.srt", "\n\n  \n", "a.srt bevat geen tekst."),
        ("a.json", "{niet: json", "a.json is geen geldig JSON-transcript: regel 1, kolom 2: geen geldige JSON."),
        ("a.json", '{"text": "Hoi"}', "a.json is geen geldig JSON-transcript: verwacht een lijst segmenten"),
        ("a.json", '[{"start": 0, "end": 1}]', "segment 1: 'text' ontbreekt"),
        ("a.json", '[{"start": "0", "end": 1, "text": "Hoi"}]', "segment 1: 'start' ontbreekt of is geen tijd"),
        ("a.json", '[{"start": 2, "end": 1, "text": "Hoi"}]', "segment 1: 'end' (1.0) ligt voor 'start' (2.0)."),
        ("a.json", '[{"start": 0, "end": 1, "text": "Hoi", "words": [{"start": 0}]}]', "segment 1, woord 1:"),
        ("a.json", "[]", "a.json bevat geen tekst."),
        ("a.txt", "", "a.txt bevat geen tekst."),
        (
            "a.txt",
            "[00:00:01.000 --> 00:00:02.000] Begeleider: Hoi.\nLeerling: Dag.\n",
            "a.txt is geen geldig teksttranscript: regel 2: tijdcode '[begin --> eind]' ontbreekt",
        ),
        ("a.txt", "[00:00:01.000 --> 00:00:0x.000] Hoi.\n", "regel 1: tijdcode '00:00:0x.000' niet herkend."),
        ("a.txt", b"Begeleider: Hoi.\nLeerling: caf\xe9\n", "a.txt is geen UTF-8-tekst (regel 2)"),
        ("a.docx", "Hoi", "a.docx: onbekend transcriptformaat '.docx'"),
    ],
)
def test_malformed_input_gives_a_dutch_message_naming_the_file_and_line(tmp_path, name, content, message):
    with pytest.raises(UserError) as caught:
        read_transcript(write(tmp_path, name, content))
    assert str(caught.value).startswith(name)
    assert message in str(caught.value)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="bestaat niet"):
        read_transcript(tmp_path / "weg.vtt")
