"""Segments in, analysed session out: speakers, then phases (and later the summary)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gesprekopname import phases, speakers
from gesprekopname.types import PhaseSpan, Segment


@dataclass
class Analysis:
    segments: list[Segment]
    phases: list[PhaseSpan] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def analyse(segments: list[Segment], audio=None) -> Analysis:
    """Pure function of the segments (and, for audio, the samples): re-runnable by `herverwerken`."""
    with_roles = speakers.assign_speakers(segments, audio=audio)
    phased, spans = phases.segment_phases(with_roles)
    warnings = phases.phase_warnings(phased, spans) + speakers.speaker_warnings(phased)
    return Analysis(phased, spans, warnings=warnings)
