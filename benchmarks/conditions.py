"""Evaluation conditions T1/T2/T3 over .dialog files, and the per-turn scores.

T1: one cue per turn with voice tags Begeleider/Leerling.
T2: Whisper-like cues of 1-3 sentences that cross turns, no speakers.
T3: T2 with 20% word errors (substitutions, deletions, insertions).
Timings come from the matching espeak JSON in ../shared/data/audio when there is one, else are synthesised
from word counts, so hand-written variants can be scored the same way.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gesprekopname.segments import sentences
from gesprekopname.types import Segment

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ROLE = {"B": "begeleider", "S": "leerling"}


@dataclass
class Turn:
    speaker: str  # "begeleider" | "leerling"
    phase: str
    text: str
    start: float = 0.0
    end: float = 0.0


@dataclass
class Dialog:
    id: str
    name: str
    gold: dict
    turns: list[Turn] = field(default_factory=list)


def load_dialog(path: Path) -> Dialog:
    raw = Path(path).read_text(encoding="utf-8")
    _, front, body = raw.split("---", 2)
    meta = yaml.safe_load(front)
    turns: list[Turn] = []
    phase = "overig"
    for line in body.splitlines():
        line = line.strip()
        if header := re.fullmatch(r"\[(\w+)\]", line):
            phase = header.group(1)
        elif line[:2] in ("B:", "S:"):
            turns.append(Turn(ROLE[line[0]], phase, line[2:].strip()))
    audio_json = SHARED / "audio" / (Path(path).stem + ".json")
    if audio_json.exists():
        timed = json.loads(audio_json.read_text(encoding="utf-8"))["turns"]
        assert len(timed) == len(turns), f"{path}: turns differ from {audio_json}"
        for turn, t in zip(turns, timed, strict=True):
            turn.start, turn.end = t["start"], t["end"]
    else:
        clock = 0.5
        for turn in turns:  # espeak-like pace: about 2.6 words a second, 0.6 s between turns
            turn.start, turn.end = clock, round(clock + 0.38 * len(turn.text.split()) + 0.3, 3)
            clock = turn.end + 0.6
    return Dialog(meta.get("id", Path(path).stem), Path(path).stem, meta.get("gold") or {}, turns)


def _sentence_times(turn: Turn) -> list[tuple[float, float, str]]:
    parts = sentences(turn.text)
    total = sum(len(p) for p in parts) or 1
    out, clock = [], turn.start
    for part in parts:
        end = clock + (turn.end - turn.start) * len(part) / total
        out.append((round(clock, 3), round(end, 3), part))
        clock = end
    return out


def _corrupt(text: str, rng: random.Random, rate: float = 0.2) -> str:
    """Word errors like a weak recogniser: misheard words, dropped words, inserted fillers."""
    out = []
    for word in text.split():
        roll = rng.random()
        if roll < rate * 0.5 and len(word) > 2:
            i = rng.randrange(len(word))
            out.append(word[:i] + rng.choice("aeioudtnrsklm") + word[i + 1 :])
        elif roll < rate * 0.75:
            continue
        elif roll < rate:
            out.extend([word, rng.choice(["eh", "de", "en", "dat", "uh", "is", "het"])])
        else:
            out.append(word)
    return " ".join(out) or text


def segments_for(dialog: Dialog, condition: str, seed: int = 0) -> list[Segment]:
    """The segments a reader would produce from the condition's VTT."""
    if condition == "T1":
        return [
            Segment(t.start, t.end, t.text, speaker=t.speaker, voice=t.speaker.capitalize()) for t in dialog.turns
        ]
    rng = random.Random(f"{dialog.id}-{seed}")
    pieces = [piece for turn in dialog.turns for piece in _sentence_times(turn)]
    segments: list[Segment] = []
    i = 0
    while i < len(pieces):
        group = pieces[i : i + rng.choice((1, 2, 2, 3))]
        text = " ".join(p[2] for p in group)
        if condition == "T3":
            text = _corrupt(text, rng)
        segments.append(Segment(group[0][0], group[-1][1], text))
        i += len(group)
    return segments


def to_vtt(segments: list[Segment]) -> str:
    def stamp(t: float) -> str:
        h, rest = divmod(t, 3600)
        m, s = divmod(rest, 60)
        return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"

    lines = ["WEBVTT", ""]
    for seg in segments:
        lines.append(f"{stamp(seg.start)} --> {stamp(seg.end)}")
        lines.append(f"<v {seg.voice}>{seg.text}" if seg.voice else seg.text)
        lines.append("")
    return "\n".join(lines)


def _best_overlap(turn: Turn, segments: list[Segment]) -> Segment | None:
    best, best_overlap = None, 0.0
    for seg in segments:
        overlap = min(turn.end, seg.end) - max(turn.start, seg.start)
        if overlap > best_overlap:
            best, best_overlap = seg, overlap
    return best


def phase_accuracy(dialog: Dialog, segments: list[Segment]) -> float:
    """Per gold turn, the phase of the output segment overlapping it most, weighted by words."""
    right = total = 0
    for turn in dialog.turns:
        words = len(turn.text.split())
        seg = _best_overlap(turn, segments)
        total += words
        right += words if seg is not None and seg.phase == turn.phase else 0
    return right / total if total else 1.0


def role_accuracy(dialog: Dialog, segments: list[Segment]) -> float:
    """Per gold turn, whether the segment overlapping it most has the right speaker."""
    hits = [(_best_overlap(t, segments) or Segment(0, 0, "")).speaker == t.speaker for t in dialog.turns]
    return sum(hits) / len(hits) if hits else 1.0


def dev_dialogs() -> list[Path]:
    return sorted((SHARED / "dialogues").glob("*.dialog"))
