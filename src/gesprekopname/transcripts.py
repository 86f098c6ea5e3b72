"""Reading and writing transcripts: WebVTT, SRT, plain text and (faster-whisper or export) JSON.

Readers keep the raw speaker name in `voice` (a WebVTT voice tag, or a name before a colon at the start of a
line) and set `speaker` only for the role names themselves; mapping other names (as Teams, Zoom or a begeleider's
own notes write them) to roles is the speakers stage's job.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from gesprekopname import edits
from gesprekopname.errors import UserError
from gesprekopname.types import ROLES, Segment, Session, Transcript, Word

TRANSCRIPT_EXTENSIONS = frozenset({".vtt", ".srt", ".txt", ".json"})

# Only these names set a role; any other name before a colon is a voice for the speakers stage to name.
_ROLE_NAMES = {"begeleider": "begeleider", "b": "begeleider", "leerling": "leerling", "s": "leerling"}
# A name before a colon ("Mevrouw Jansen: ...", "Daan: ...", "Dhr. de Vries: ..."): capitalised words, name
# particles and numbers ("Spreker 2"). It names a speaker only where it starts several lines: "Dus: ..." said
# once is text, and so is a file where many different words stand before a colon.
_NAME_PREFIX = re.compile(r"([^\W\d_][\w.'-]*(?:[ \t]+[\w.'-]+){0,3})[ \t]*:(?:[ \t].*)?")
_NAME_PARTICLES = frozenset({"van", "de", "der", "den", "het", "ter", "ten", "te", "'t", "la", "le", "el", "al"})
_NAME_REPEATS = 2
_MAX_NAMES = 4

# Plain text without times: a rough speaking rate, so estimated segments are ordered and do not overlap.
_SECONDS_PER_WORD = 0.4
_GAP_SECONDS = 0.5

_TIME = re.compile(r"(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})")
_TIMING = re.compile(r"\s*(\S+?)\s*-->\s*(\S+)")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t].*)?")
_VTT_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:\s.*)?")
_VTT_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_VTT_TAG = re.compile(r"<[^>]*>")
# SRT may carry simple formatting; a literal "<" in speech is kept, so only these tags are dropped.
_SRT_TAG = re.compile(r"</?(?:b|i|u|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)
_TXT_TIMES = re.compile(r"\[\s*([^\]]*?)\s*-->\s*([^\]]*?)\s*\]\s*(.*)")

_FORMAT_LABELS = {
    ".vtt": "geldige WebVTT",
    ".srt": "geldig SRT-bestand",
    ".txt": "geldig teksttranscript",
    ".json": "geldig JSON-transcript",
}


class _ParseError(Exception):
    """A defect at a place in the file; read_transcript adds the file name and format."""

    def __init__(self, where: str, detail: str):
        super().__init__(f"{where}: {detail}" if where else detail)


# ---------------------------------------------------------------- reading


def read_transcript(path: Path) -> Transcript:
    """Segments from a transcript file, in time order; times in whole milliseconds."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TRANSCRIPT_EXTENSIONS:
        raise UserError(f"{path.name}: onbekend transcriptformaat '{path.suffix}'; gebruik .vtt, .srt, .txt of .json.")
    text = _decode(path)
    if not text.strip():
        raise UserError(f"{path.name} bevat geen tekst.")
    try:
        segments, timed = _READERS[suffix](text)
    except _ParseError as error:
        raise UserError(f"{path.name} is geen {_FORMAT_LABELS[suffix]}: {error}") from None
    for segment in segments:
        segment.text = _clean(segment.text)
    segments = sorted((s for s in segments if s.text), key=lambda s: s.start)
    if not segments:
        raise UserError(f"{path.name} bevat geen tekst.")
    return Transcript(segments, duration=max(s.end for s in segments), timed=timed)


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} bestaat niet.") from None
    except OSError:
        raise UserError(f"{path} kan niet gelezen worden.") from None
    try:
        return data.decode("utf-8-sig")  # also strips the BOM that Windows tools write
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UserError(f"{path.name} is geen UTF-8-tekst (regel {line}); sla het op als UTF-8.") from None


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines with their 1-based line numbers."""
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(lines, 1):
        if line.strip():
            blocks[-1].append((number, line.strip()))
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _role(name: str | None) -> str | None:
    return _ROLE_NAMES.get(name.casefold()) if name else None


def _speaker_prefix(text: str) -> re.Pattern:
    """The prefixes that name a speaker in this file: the role names, and each name that starts at least two
    lines (up to four names: a conversation has two or three speakers)."""
    starts = ((timed[3] if (timed := _TXT_TIMES.fullmatch(line.strip())) else line.strip()) for line in _lines(text))
    found = Counter(m[1] for line in starts if (m := _NAME_PREFIX.fullmatch(line)) and _is_name(m[1]))
    names = [name for name, count in found.items() if count >= _NAME_REPEATS and not _role(name)]
    prefixes = sorted([*_ROLE_NAMES, *(names if len(names) <= _MAX_NAMES else [])], key=len, reverse=True)
    return re.compile(r"(" + "|".join(map(re.escape, prefixes)) + r")\s*:\s*(.*)", re.IGNORECASE)


def _is_name(words: str) -> bool:
    first, *rest = words.split()
    return first[0].isupper() and all(w[0].isupper() or w.isdigit() or w in _NAME_PARTICLES for w in rest)


def _parse_time(token: str, number: int) -> float:
    match = _TIME.fullmatch(token)
    if not match:
        raise _ParseError(f"regel {number}", f"tijdcode '{token}' niet herkend.")
    hours, minutes, seconds, fraction = match.groups()
    millis = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(fraction.ljust(3, "0"))
    return millis / 1000


def _times(start_token: str, end_token: str, number: int) -> tuple[float, float]:
    start, end = _parse_time(start_token, number), _parse_time(end_token, number)
    if end < start:
        raise _ParseError(f"regel {number}", f"eindtijd {end_token} ligt voor begintijd {start_token}.")
    return start, end


def _timing_line(number: int, line: str) -> tuple[float, float]:
    match = _TIMING.match(line)
    if not match:
        raise _ParseError(f"regel {number}", f"tijdcode '{line}' niet herkend.")
    return _times(match[1], match[2], number)


def _read_vtt(text: str) -> list[Segment]:
    header, *blocks = _blocks(_lines(text))
    if header[0][0] != 1 or not _VTT_HEADER.fullmatch(header[0][1]):
        raise _ParseError("regel 1", "de kop 'WEBVTT' ontbreekt.")
    # Like the WebVTT parser, a timing line in the header block starts the first cue.
    first_cue = next((i for i, (_, line) in enumerate(header) if "-->" in line), None)
    if first_cue:
        blocks.insert(0, header[first_cue:])
    prefix = _speaker_prefix(text)
    segments = []
    for block in blocks:
        if _VTT_SKIPPED_BLOCK.fullmatch(block[0][1]):
            continue
        # A cue may start with an identifier line (Teams writes a GUID there).
        timing = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in line), None)
        if timing is None:
            raise _ParseError(f"regel {block[0][0]}", "tekst zonder tijdcode.")
        start, end = _timing_line(*block[timing])
        segments.append(_vtt_cue(start, end, " ".join(line for _, line in block[timing + 1 :]), prefix))
    return segments


def _vtt_cue(start: float, end: float, payload: str, prefix: re.Pattern) -> Segment:
    # A cue with several voices is rare in exports; the first one names the cue.
    voice_match = _VTT_VOICE.search(payload)
    voice = _clean(html.unescape(voice_match[1])) if voice_match else None
    # Tags first, entities after: an escaped "&lt;b&gt;" is text, not a tag.
    text = html.unescape(_VTT_TAG.sub("", payload))
    if voice is None:  # Zoom writes no voice tag but "Naam: tekst"
        return _prefixed_segment(start, end, text, prefix)
    return Segment(start, end, text, speaker=_role(voice), voice=voice or None)


def _read_srt(text: str) -> list[Segment]:
    prefix = _speaker_prefix(text)
    segments = []
    for block in _blocks(_lines(text)):
        timing = 1 if block[0][1].isdigit() else 0  # the index line is optional in practice
        if timing >= len(block) or "-->" not in block[timing][1]:
            number = block[min(timing, len(block) - 1)][0]
            raise _ParseError(f"regel {number}", "verwacht een tijdcode als '00:00:01,000 --> 00:00:04,000'.")
        start, end = _timing_line(*block[timing])
        text = _SRT_TAG.sub("", " ".join(line for _, line in block[timing + 1 :]))
        segments.append(_prefixed_segment(start, end, text, prefix))
    return segments


def _prefixed_segment(start: float, end: float, text: str, prefix: re.Pattern) -> Segment:
    match = prefix.fullmatch(text.strip())
    if not match:
        return Segment(start, end, text)
    return Segment(start, end, match[2], speaker=_role(match[1]), voice=match[1])


def _read_txt(text: str) -> tuple[list[Segment], bool]:
    """The segments, and False where the text has no times and they are estimated from its words."""
    lines = [(number, line.strip()) for number, line in enumerate(_lines(text), 1) if line.strip()]
    prefix = _speaker_prefix(text)
    if any(_TXT_TIMES.fullmatch(line) for _, line in lines):
        return _read_timed_txt(lines, prefix), True
    return _estimate_times(_read_untimed_txt(lines, prefix)), False


def _read_timed_txt(lines: list[tuple[int, str]], prefix: re.Pattern) -> list[Segment]:
    """Lines as the txt writer makes them; a line without times continues the previous segment."""
    segments: list[Segment] = []
    for number, line in lines:
        match = _TXT_TIMES.fullmatch(line)
        if match:
            start, end = _times(match[1], match[2], number)
            segments.append(_prefixed_segment(start, end, match[3], prefix))
        elif segments and not prefix.fullmatch(line):
            segments[-1].text += " " + line
        else:
            raise _ParseError(f"regel {number}", "tijdcode '[begin --> eind]' ontbreekt (andere regels hebben er een).")
    return segments


def _read_untimed_txt(lines: list[tuple[int, str]], prefix: re.Pattern) -> list[Segment]:
    """One segment per line; a line without a prefix belongs to the previous speaker."""
    segments = []
    voice = None
    for _, line in lines:
        match = prefix.fullmatch(line)
        if match:
            voice, line = match[1], match[2]
        segments.append(Segment(0.0, 0.0, line, speaker=_role(voice), voice=voice))
    return segments


def _estimate_times(segments: list[Segment]) -> list[Segment]:
    clock = 0.0
    timed = []
    for segment in segments:
        if not segment.text:  # a bare "Begeleider:" line takes no time
            continue
        segment.start = round(clock, 3)
        segment.end = round(clock + _SECONDS_PER_WORD * len(segment.text.split()), 3)
        clock = segment.end + _GAP_SECONDS
        timed.append(segment)
    return timed


def _read_json(text: str) -> tuple[list[Segment], bool]:
    """The segments, and False for the export JSON of a session whose times were estimated."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _ParseError(f"regel {error.lineno}, kolom {error.colno}", "geen geldige JSON.") from None
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise _ParseError("", "verwacht een lijst segmenten of een object met 'segments'.")
    estimated = isinstance(data, dict) and data.get("tijden_geschat") is True
    return [_json_segment(item, f"segment {index}") for index, item in enumerate(items, 1)], not estimated


def _json_segment(item: object, where: str) -> Segment:
    """A faster-whisper segment or an export segment; an export's phase is recomputed, so ignored."""
    if not isinstance(item, dict):
        raise _ParseError(where, "verwacht een object met 'start', 'end' en 'text'.")
    start, end = _json_time(item, "start", where), _json_time(item, "end", where)
    if end < start:
        raise _ParseError(where, f"'end' ({end}) ligt voor 'start' ({start}).")
    if not isinstance(item.get("text"), str):
        raise _ParseError(where, "'text' ontbreekt of is geen tekst.")
    name = item.get("speaker")
    name = name.strip() if isinstance(name, str) and name.strip() else None
    role = _role(name)
    voice = role.capitalize() if role else name  # other names (e.g. "SPEAKER_00") go to the speakers stage
    words = _json_words(item.get("words") or [], where)
    return Segment(start, end, item["text"], speaker=role, voice=voice, words=words)


def _json_time(item: dict, key: str, where: str) -> float:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise _ParseError(where, f"'{key}' ontbreekt of is geen tijd in seconden.")
    return round(float(value), 3)


def _json_words(items: object, where: str) -> list[Word]:
    if not isinstance(items, list):
        raise _ParseError(where, "'words' is geen lijst.")
    words = []
    for index, item in enumerate(items, 1):
        place = f"{where}, woord {index}"
        if not isinstance(item, dict) or not isinstance(item.get("word"), str):
            raise _ParseError(place, "verwacht een object met 'start', 'end' en 'word'.")
        probability = item.get("probability")
        probability = float(probability) if isinstance(probability, int | float) else None
        words.append(
            Word(_json_time(item, "start", place), _json_time(item, "end", place), item["word"].strip(), probability)
        )
    return words


# Each gives the segments and whether the file said their times.
_READERS: dict[str, Callable[[str], tuple[list[Segment], bool]]] = {
    ".vtt": lambda text: (_read_vtt(text), True), ".srt": lambda text: (_read_srt(text), True),
    ".txt": _read_txt, ".json": _read_json,
}


# ---------------------------------------------------------------- writing


def session_to_json(session: Session) -> dict:
    """The export JSON of the architecture contract."""
    return {
        "id": session.id,
        "leerling": session.leerling,
        "datum": session.datum,
        "duur": round(session.duur, 3),
        "bron": session.bron,
        "tijden_geschat": session.tijden_geschat,
        "segments": [
            {
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "speaker": s.speaker,
                "phase": s.phase,
                "text": s.text,
            }
            for s in session.segments
        ],
        "phases": [{"phase": p.phase, "start": round(p.start, 3), "end": round(p.end, 3)} for p in session.phases],
        "summary": edits.merged(session.summary, session.edits),
        "bewerkt": sorted(session.edits),
        "evidence": {
            key: [{"start": round(e.start, 3), "end": round(e.end, 3), "quote": e.quote} for e in items]
            for key, items in session.evidence.items()
        },
        "warnings": list(session.warnings),
        "toestemming": session.toestemming,
        "vorige_vervolgstap": session.vorige_vervolgstap,
    }


def render(session: Session, fmt: str) -> str:
    """The session as json, vtt, srt or txt; every format reads back to the same segments."""
    if fmt == "json":
        return json.dumps(session_to_json(session), ensure_ascii=False, indent=2)
    if fmt not in _WRITERS:
        raise UserError(f"Onbekend exportformaat '{fmt}'; kies json, vtt, srt of txt.")
    # Whitespace is normalised so a stray newline cannot break a cue; empty cues would not read back.
    segments = [(s, _clean(s.text), _label(s)) for s in session.segments if s.text.strip()]
    return _WRITERS[fmt](segments)


def _label(segment: Segment) -> str | None:
    return segment.speaker.capitalize() if segment.speaker in ROLES else None


def clock(seconds: float) -> str:
    """A moment or length in a conversation as people read it: 2:07, or 1:02:07 past the hour."""
    minutes, secs = divmod(round(seconds or 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _clock(seconds: float, separator: str = ".") -> str:
    hours, millis = divmod(round(seconds * 1000), 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _write_vtt(segments: list[tuple[Segment, str, str | None]]) -> str:
    cues = ["WEBVTT"]
    for segment, text, label in segments:
        voice = f"<v {label}>" if label else ""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        cues.append(f"{_clock(segment.start)} --> {_clock(segment.end)}\n{voice}{escaped}")
    return "\n\n".join(cues) + "\n"


def _write_srt(segments: list[tuple[Segment, str, str | None]]) -> str:
    cues = []
    for index, (segment, text, label) in enumerate(segments, 1):
        prefix = f"{label}: " if label else ""
        cues.append(f"{index}\n{_clock(segment.start, ',')} --> {_clock(segment.end, ',')}\n{prefix}{text}")
    return "\n\n".join(cues) + "\n"


def _write_txt(segments: list[tuple[Segment, str, str | None]]) -> str:
    lines = []
    for segment, text, label in segments:
        prefix = f"{label}: " if label else ""
        lines.append(f"[{_clock(segment.start)} --> {_clock(segment.end)}] {prefix}{text}")
    return "\n".join(lines) + "\n"


_WRITERS = {"vtt": _write_vtt, "srt": _write_srt, "txt": _write_txt}
