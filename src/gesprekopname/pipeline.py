"""From a file to an analysed session: read or transcribe, then speakers, phases and the summary."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from gesprekopname import asr, phases, speakers, summary, transcripts
from gesprekopname.asr import AUDIO_EXTENSIONS
from gesprekopname.errors import UserError
from gesprekopname.transcripts import TRANSCRIPT_EXTENSIONS
from gesprekopname.types import PhaseSpan, Segment, Session, Transcript

NO_SPEECH = "Geen spraak gevonden: het gesprek heeft geen tekst."


@dataclass
class Analysis:
    segments: list[Segment]
    phases: list[PhaseSpan] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def analyse(segments: list[Segment], audio=None, timed: bool = True, leerling: str | None = None) -> Analysis:
    """Pure function of the segments (and, for audio, the samples): re-runnable by `herverwerken`. `timed`:
    False for times estimated from the words, which cannot tell a short phase; `leerling`: the name given."""
    if not segments:
        return Analysis([], warnings=[NO_SPEECH])
    with_roles = speakers.assign_speakers(segments, audio=audio)
    phased, spans = phases.segment_phases(with_roles)
    warnings = phases.phase_warnings(phased, spans, timed) + speakers.speaker_warnings(phased)
    name = speakers.student_name(leerling, [(s.speaker, s.text) for s in phased])
    fields, evidence = summary.summarise(phased, name=name)
    return Analysis(phased, spans, fields, evidence, warnings + summary.rule_warnings())


def check_input(path: Path) -> str:
    """'audio' or 'transcript', or a UserError saying what is wrong with the path."""
    if not path.exists():
        raise UserError(f"Bestand niet gevonden: {path}")
    if path.is_dir():
        raise UserError(f"{path} is een map, geen bestand. Geef een audio- of transcriptbestand op.")
    suffix = path.suffix.lower()
    if suffix in AUDIO_EXTENSIONS:
        return "audio"
    if suffix in TRANSCRIPT_EXTENSIONS:
        return "transcript"
    raise UserError(
        f"Onbekend bestandstype '{path.suffix or path.name}'. Gebruik audio "
        f"({', '.join(sorted(e[1:] for e in AUDIO_EXTENSIONS))}) of een transcript "
        f"({', '.join(sorted(e[1:] for e in TRANSCRIPT_EXTENSIONS))})."
    )


def read_input(
    path: Path, model: str = "auto", progress: Callable[[float, float], None] | None = None
) -> Transcript:
    if check_input(path) == "audio":
        return asr.transcribe(path, model=model, progress=progress)
    return transcripts.read_transcript(path)


def new_session(transcript: Transcript, leerling: str | None, bron: str, bestand: str | None) -> Session:
    analysis = analyse(transcript.segments, audio=transcript.audio, timed=transcript.timed, leerling=leerling)
    duur = transcript.duration or max((s.end for s in transcript.segments), default=0.0)
    return Session(
        id=secrets.token_hex(4),
        leerling=leerling,
        datum=datetime.now().astimezone().isoformat(timespec="seconds"),
        duur=round(duur, 3),
        bron=bron,
        bestand=bestand,
        segments=analysis.segments,
        phases=analysis.phases,
        summary=analysis.summary,
        evidence=analysis.evidence,
        warnings=analysis.warnings,
        tijden_geschat=not transcript.timed,
    )


def reanalyse(session: Session) -> Session:
    """The stored segments through speakers, phases and summary again (audio is not kept: text and voices only)."""
    fresh = [replace(s, phase=None) for s in session.segments]
    analysis = analyse(fresh, timed=not session.tijden_geschat, leerling=session.leerling)
    return replace(
        session, segments=analysis.segments, phases=analysis.phases, summary=analysis.summary,
        evidence=analysis.evidence, warnings=analysis.warnings,
    )
