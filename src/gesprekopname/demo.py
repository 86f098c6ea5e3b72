"""`gesprekopname demo`: the whole job on samples shipped in the package, offline, storing nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from gesprekopname import asr, pipeline, reports, store, transcripts
from gesprekopname.config import SAMPLE_DIR
from gesprekopname.transcripts import clock
from gesprekopname.types import Session

AUDIO = SAMPLE_DIR / "demo-fragment.flac"
CONVERSATION = SAMPLE_DIR / "demo-gesprek.vtt"


def _transcribe_fragment(console: Console) -> None:
    console.rule("1. Een audiofragment transcriberen (Whisper base, offline)")
    with console.status("Model klaarzetten en transcriberen..."):
        transcript = asr.transcribe(AUDIO)
        analysis = pipeline.analyse(transcript.segments, audio=transcript.audio)
    for seg in analysis.segments:
        console.print(f"[dim]{clock(seg.start)}[/dim] [bold]{seg.speaker or '?'}[/bold] {seg.text}")
    console.print(f"[dim]({len(transcript.segments)} segmenten uit {transcript.duration:.0f} s gesynthetiseerde spraak;"
                  " echte opnamen worden veel beter herkend.)[/dim]\n")


def _show_session(console: Console, session: Session) -> None:
    console.rule("2. Een voorbeeldgesprek: sprekers en fasen")
    table = Table("fase", "van", "tot", "duur", "segmenten")
    for span in session.phases:
        count = sum(span.start <= seg.start < span.end for seg in session.segments)
        table.add_row(span.phase, clock(span.start), clock(span.end), f"{span.end - span.start:.0f} s", str(count))
    console.print(table)
    for seg in session.segments[:6]:
        console.print(f"[dim]{clock(seg.start)}[/dim] [bold]{seg.speaker or '?'}[/bold] "
                      f"[cyan]({seg.phase})[/cyan] {seg.text}")
    console.print(f"[dim]... en nog {len(session.segments) - 6} segmenten.[/dim]\n")
    console.rule("3. Het gespreksverslag voor de begeleider (samenvatting met citaten)")
    console.print(Markdown(reports.verslag(session)))
    console.rule("4. Het actieplan voor de leerling")
    console.print(Markdown(reports.actieplan(session)))


def run() -> None:
    console = Console()
    _transcribe_fragment(console)
    session = pipeline.new_session(transcripts.read_transcript(CONVERSATION), "Noor (demo)", "bestand",
                                   CONVERSATION.name)
    with tempfile.TemporaryDirectory() as tmp, store.open_db(Path(tmp) / "demo.db") as db:
        store.save_session(db, session)  # through the real store, in a throwaway database
        session = store.load_session(db, session.id)
    _show_session(console, session)
    console.print("\nNiets bewaard. Verwerk je eigen gesprek met: gesprekopname verwerken BESTAND --leerling NAAM")
