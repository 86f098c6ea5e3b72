"""The command line: parses arguments, calls the pipeline and the store, prints. Nothing else."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gesprekopname import config
from gesprekopname.errors import UserError

app = typer.Typer(
    help="Loopbaangesprekken offline transcriberen, in fasen verdelen en bewaren.\n\n"
    "Voorbeeld: gesprekopname verwerken gesprek.flac --leerling Sanne",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="Whisper-modellen beheren.", no_args_is_help=True)
app.add_typer(model_app, name="model")

FORMATS = ("json", "vtt", "srt", "txt")
SessionId = Annotated[str, typer.Argument(metavar="ID", help="Id van het gesprek (of het begin ervan).")]


def _err(text: str) -> None:
    print(text, file=sys.stderr)


@contextmanager
def _database():
    from gesprekopname import store

    config.ensure_data_dir()
    with store.open_db(config.db_path()) as db:
        yield db


@contextmanager
def _progress_bar(description: str):
    """A progress bar on stderr, so stdout stays clean for --json; yields a (done, total) callback."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:  # logs and pipes get no bar (and no stray blank lines)
        yield None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: float, total: float) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _process(path: Path, leerling: str | None, model: str, bron: str = "bestand"):
    from gesprekopname import pipeline, store

    kind = pipeline.check_input(path)
    config.ensure_data_dir()  # before transcribing: fail fast, not after minutes of work
    if kind == "audio":
        with _progress_bar(f"Transcriberen van {path.name}") as update:
            transcript = pipeline.read_input(path, model=model, progress=update)
    else:
        transcript = pipeline.read_input(path)
    session = pipeline.new_session(transcript, leerling, bron, path.name)
    with _database() as db:
        store.save_session(db, session)
    return session


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        _err(f"Let op: {warning}")


@app.command()
def verwerken(
    bestand: Annotated[
        Path,
        typer.Argument(metavar="BESTAND", help="Audio (wav, flac, mp3, m4a, ogg) of transcript (vtt, srt, txt, json)."),
    ],
    leerling: Annotated[str | None, typer.Option(help="Naam of pseudoniem van de leerling.")] = None,
    model: Annotated[
        str, typer.Option(help="auto (meegeleverd base-model), een pad, of een gedownloade naam zoals small.")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Druk de export-JSON af in plaats van het id.")] = False,
) -> None:
    """Verwerk een opname of transcript tot een bewaard gesprek en druk het id af.

    Audio wordt lokaal getranscribeerd (Nederlands, zonder netwerk); een transcript (bijvoorbeeld een
    Teams-export in WebVTT) wordt direct ingelezen. Daarna worden begeleider en leerling en de vier fasen
    bepaald.

    Voorbeelden:

      gesprekopname verwerken gesprek.flac --leerling Sanne

      gesprekopname verwerken teams-export.vtt --json > gesprek.json
    """
    from gesprekopname import transcripts

    session = _process(bestand, leerling, model)
    _print_warnings(session.warnings)
    print(transcripts.render(session, "json") if as_json else session.id)


@app.command()
def herverwerken(gesprek_id: SessionId) -> None:
    """Bepaal sprekers en fasen opnieuw, bijvoorbeeld na het aanpassen van de vragenbank."""
    from gesprekopname import pipeline, store

    with _database() as db:
        session = pipeline.reanalyse(store.load_session(db, gesprek_id))
        store.save_session(db, session)
    _print_warnings(session.warnings)
    print(session.id)


@app.command()
def export(
    gesprek_id: SessionId,
    format: Annotated[str, typer.Option("--format", "-f", help="json, vtt, srt of txt.")] = "json",
) -> None:
    """Druk een bewaard gesprek machineleesbaar af (JSON, WebVTT, SRT of tekst)."""
    from gesprekopname import store, transcripts

    if format not in FORMATS:
        raise UserError(f"Onbekend formaat '{format}'. Kies uit: {', '.join(FORMATS)}.")
    with _database() as db:
        session = store.load_session(db, gesprek_id)
    print(transcripts.render(session, format), end="" if format != "json" else "\n")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds or 0), 60)
    return f"{minutes}:{secs:02d}"


@app.command()
def lijst(as_json: Annotated[bool, typer.Option("--json", help="Als JSON-lijst.")] = False) -> None:
    """Toon alle bewaarde gesprekken, nieuwste eerst."""
    from gesprekopname import store

    with _database() as db:
        rows = store.list_sessions(db)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        _err("Nog geen gesprekken bewaard. Begin met `gesprekopname verwerken BESTAND`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "leerling", "datum", "duur", "segmenten", "bestand")
    for r in rows:
        table.add_row(r["id"], r["leerling"] or "-", r["datum"][:16].replace("T", " "), _duration(r["duur"]),
                      str(r["segmenten"]), r["bestand"] or "-")
    Console().print(table)


@app.command()
def verwijderen(
    gesprek_id: SessionId,
    ja: Annotated[bool, typer.Option("--ja", help="Niet om bevestiging vragen.")] = False,
) -> None:
    """Verwijder een gesprek met alles wat erbij hoort (bijvoorbeeld als toestemming is ingetrokken)."""
    from gesprekopname import store

    with _database() as db:
        session_id = store.find_session_id(db, gesprek_id)
        if not ja and not typer.confirm(f"Gesprek {session_id} definitief verwijderen?", err=True):
            raise UserError("Niets verwijderd.")
        store.delete_session(db, session_id)
    _err(f"Gesprek {session_id} is verwijderd.")


@model_app.command("download")
def model_download(naam: Annotated[str, typer.Argument(help="small, medium, large-v3 of turbo.")]) -> None:
    """Download een groter Whisper-model (de enige opdracht die het netwerk gebruikt)."""
    from gesprekopname import asr

    path = asr.download_model(naam)
    _err(f"Model {naam} staat klaar in {path}. Gebruik het met --model {naam}.")


@app.command()
def demo() -> None:
    """Laat het hele werk zien op een meegeleverd voorbeeldgesprek, zonder netwerk en zonder iets te bewaren."""
    from gesprekopname import demo as demo_run

    demo_run.run()


def main() -> None:
    """Entry point: Dutch message and non-zero exit code instead of a traceback."""
    try:
        app(standalone_mode=False)
    except UserError as exc:
        _err(f"Fout: {exc}")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _err("Afgebroken.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so briefly; GESPREKOPNAME_DEBUG=1 shows the traceback
        if os.environ.get("GESPREKOPNAME_DEBUG"):
            raise
        _err(f"Onverwachte fout ({type(exc).__name__}: {exc}). Met GESPREKOPNAME_DEBUG=1 zie je details.")
        sys.exit(1)
