"""The command line: parses arguments, calls the pipeline and the store, prints. Nothing else."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import typer.core

from gesprekopname import config
from gesprekopname.errors import UserError, reason
from gesprekopname.transcripts import clock
from gesprekopname.types import Session

# Typer writes the frame of every help page itself ("Usage:", "Options", "[required]", "<str>"), in English.
_HELP_WORDS = {
    "Usage: ": "Gebruik: ", "[OPTIONS]": "[OPTIES]", "COMMAND [ARGS]...": "COMMANDO [ARGUMENTEN]...",
    "Arguments": "Argumenten", "Options": "Opties", "Commands": "Commando's",
    "Show this message and exit.": "Toon deze hulp en stop.", "[required]": "[verplicht]",
    "[default: ": "[standaard: ", "[env var: ": "[omgevingsvariabele: ", "<str>": "<tekst>", "<path>": "<pad>",
    "<int range>": "<geheel getal>", "<int>": "<geheel getal>", "<float range>": "<getal>", "<float>": "<getal>",
}


def _dutch(text: str) -> str:
    for english, dutch in _HELP_WORDS.items():
        text = text.replace(english, dutch)
    return text


class _DutchHelp(typer.Context.formatter_class):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, _dutch(args), _dutch(prefix or "Usage: "))

    def write_heading(self, heading: str) -> None:
        super().write_heading(_dutch(heading))

    def write_dl(self, rows: Sequence[tuple[str, str]], *args, **kwargs) -> None:
        super().write_dl([(_dutch(term), _dutch(text)) for term, text in rows], *args, **kwargs)


class _DutchContext(typer.Context):
    formatter_class = _DutchHelp


class _Group(typer.core.TyperGroup):
    context_class = _DutchContext


class _Command(typer.core.TyperCommand):
    context_class = _DutchContext


app = typer.Typer(
    help="Loopbaangesprekken offline transcriberen, in fasen verdelen en bewaren.\n\n"
    "Voorbeeld: gesprekopname verwerken gesprek.flac --leerling Sanne",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="Whisper-modellen beheren.", cls=_Group, no_args_is_help=True)
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


def _terminal():
    """The console on stderr, so stdout stays clean for --json; None when stderr is no terminal: logs and pipes
    get no bars or spinners (and no stray blank lines)."""
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextmanager
def _progress_bar(description: str):
    """A progress bar; yields a (done, total) callback, or None without a terminal."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = _terminal()
    if console is None:
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


@contextmanager
def _busy(description: str):
    """A spinner for work without a measure of progress."""
    console = _terminal()
    if console is None:
        yield
        return
    with console.status(description):
        yield


ANALYSING = "Sprekers, fasen en samenvatting bepalen (de eerste keer leren de modellen van de voorbeeldgesprekken)..."


def _process(path: Path, leerling: str | None, model: str, bron: str = "bestand"):
    from gesprekopname import pipeline

    kind = pipeline.check_input(path)
    config.ensure_data_dir()  # before transcribing: fail fast, not after minutes of work
    if kind == "audio":
        with _progress_bar(f"Transcriberen van {path.name}") as update:
            transcript = pipeline.read_input(path, model=model, progress=update)
    else:
        transcript = pipeline.read_input(path)
    with _busy(ANALYSING):
        session = pipeline.new_session(transcript, leerling, bron, path.name)
    return _save(session)


def _save(session: Session) -> Session:
    """Store a new session; it then also knows the student's previous vervolgstap, for its verslag."""
    from gesprekopname import store

    with _database() as db:
        store.save_session(db, session)
        session.vorige_vervolgstap = store.previous_vervolgstap(db, session)
    return session


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        _err(f"Let op: {warning}")


@app.command(cls=_Command)
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
    if session.vorige_vervolgstap and not as_json:
        _err(_previous_step(session.vorige_vervolgstap))
    print(transcripts.render(session, "json") if as_json else session.id)


def _previous_step(step: dict) -> str:
    """The student's previous vervolgstap and, when this conversation looked back on it, the suggested status."""
    lines = [f"Vorige vervolgstap #{step['id']} ({step['datum'][:10]}, {step['status']}): {step['wat']}"]
    suggestion = step.get("voorstel")
    if suggestion:
        lines.append(f"  Besproken op {clock(suggestion['start'])}: \"{suggestion['quote']}\"")
        if suggestion["status"]:
            lines.append(f"  Voorstel: {suggestion['status']}. Zet het met: gesprekopname vervolgstap {step['id']} "
                         f"--status {suggestion['status'].replace(' ', '-')}")
    return "\n".join(lines)


@app.command(cls=_Command)
def herverwerken(gesprek_id: SessionId) -> None:
    """Bepaal sprekers en fasen opnieuw, bijvoorbeeld na het aanpassen van de vragenbank."""
    from gesprekopname import pipeline, store

    with _database() as db:
        with _busy(ANALYSING):
            session = pipeline.reanalyse(store.load_session(db, gesprek_id))
        store.save_session(db, session)
    _print_warnings(session.warnings)
    print(session.id)


@app.command(cls=_Command)
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
        with store.writing(db):
            store.audit(db, "geëxporteerd", session_id=session.id)
    print(transcripts.render(session, format), end="" if format != "json" else "\n")


HtmlOption = Annotated[
    bool, typer.Option("--html", help="Een printbare HTML-pagina (open hem in de browser) in plaats van Markdown.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="BESTAND", help="Schrijf naar dit bestand in plaats van naar het scherm."),
]


def _write_atomically(path: Path, text: str) -> None:
    """A temporary file beside the target, then a rename: the target is whole or untouched, never half.
    The file is readable by the user only (mkstemp's mode): a verslag holds personal data."""
    import tempfile

    if not path.parent.is_dir():
        raise UserError(f"De map {path.parent} bestaat niet. Maak hem eerst aan of kies een ander pad voor -o.")
    if path.is_dir():
        raise UserError(f"{path} is een map. Geef een bestandsnaam op, bijvoorbeeld {path / 'verslag.html'}.")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise UserError(f"Kan {path} niet schrijven: {reason(exc)}") from None


def _report(render: Callable[..., str], gesprek_id: str, html: bool, output: Path | None) -> None:
    from gesprekopname import store

    with _database() as db:
        session = store.load_session(db, gesprek_id)
    text = render(session, html=html)
    if output is None:
        print(text, end="")
        return
    _write_atomically(output, text)
    _err(f"Geschreven naar {output}.")


@app.command(cls=_Command)
def verslag(gesprek_id: SessionId, html: HtmlOption = False, output: OutputOption = None) -> None:
    """Maak het gespreksverslag voor de begeleider.

    Per fase wat de leerling vertelde (met citaten en tijden), de afgesproken vervolgstap (wat, wanneer,
    met wie), belemmeringen met oplossingen, wat niet besproken is, hoe lang elke fase duurde, en feedback:
    spreektijd van begeleider en leerling en open tegenover gesloten vragen. Standaard Markdown op het
    scherm; met --html een pagina om te printen of als PDF op te slaan.

    Voorbeelden:

      gesprekopname verslag 3f2a9c1e

      gesprekopname verslag 3f2a --html -o verslag-sanne.html
    """
    from gesprekopname import reports

    _report(reports.verslag, gesprek_id, html, output)


@app.command(cls=_Command)
def actieplan(gesprek_id: SessionId, html: HtmlOption = False, output: OutputOption = None) -> None:
    """Maak het actieplan voor de leerling: kort, in gewone taal, in de jij-vorm.

    Mijn ervaring, waar ik goed in was, wat ik belangrijk vind, mijn volgende stap (wat, wanneer, met wie),
    als het lastig wordt dan ..., en het volgende gesprek; hoogstens 150 woorden. Wat niet besproken is,
    staat er eerlijk bij ("Dit bespreken we de volgende keer.").

    Voorbeelden:

      gesprekopname actieplan 3f2a9c1e

      gesprekopname actieplan 3f2a --html -o actieplan-sanne.html
    """
    from gesprekopname import reports

    _report(reports.actieplan, gesprek_id, html, output)


@app.command(cls=_Command)
def bewerken(
    gesprek_id: SessionId,
    veld: Annotated[str | None, typer.Option("--veld", help="Eén veld zetten zonder editor, bijv. wanneer.")] = None,
    waarde: Annotated[
        str | None, typer.Option("--waarde", help="Nieuwe waarde; een lijst gescheiden door ';'. Leeg: niet besproken.")
    ] = None,
) -> None:
    """Corrigeer de samenvatting van een gesprek.

    Zonder opties opent de samenvatting als YAML in je editor ($EDITOR). Wat je wijzigt, wordt als
    bewerkt bewaard: het verslag en het actieplan tonen jouw tekst, en herverwerken verandert die niet meer.

    Voorbeelden:

      gesprekopname bewerken 3f2a

      gesprekopname bewerken 3f2a --veld wanneer --waarde "vrijdag na de kerstvakantie"

      gesprekopname bewerken 3f2a --veld kwaliteiten --waarde "geduldig; goed luisteren"
    """
    from gesprekopname import edits, store

    if (veld is None) != (waarde is None):
        raise UserError("Gebruik --veld en --waarde samen, of geen van beide om de editor te openen.")
    with _database() as db:
        session = store.load_session(db, gesprek_id)
        current = edits.merged(session.summary, session.edits)
        if veld is not None:
            changed = edits.set_field(veld, waarde)
        else:
            changed = edits.from_yaml(_edit_in_editor(edits.to_yaml(session.id, current)), current)
        if not changed:
            _err("Niets gewijzigd.")
            return
        store.save_edits(db, session.id, session.edits | changed)
    _err(f"Bewerkt in gesprek {session.id}: {', '.join(changed)}.")


def _edit_in_editor(text: str) -> str:
    """The text after the begeleider edited it in $EDITOR; the file lives in the private data directory."""
    import shlex
    import shutil
    import subprocess
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or shutil.which("nano") or "vi"
    handle, name = tempfile.mkstemp(dir=config.ensure_data_dir(), prefix="bewerken-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            code = subprocess.call([*shlex.split(editor), name])
        except OSError:
            raise UserError(f"De editor '{editor}' start niet. Zet $EDITOR of gebruik --veld en --waarde.") from None
        if code != 0:
            raise UserError(f"De editor stopte met een fout (code {code}). Er is niets gewijzigd.")
        return Path(name).read_text(encoding="utf-8")
    finally:
        Path(name).unlink(missing_ok=True)


@app.command(cls=_Command)
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
        duur = ("ca. " if r["tijden_geschat"] else "") + clock(r["duur"])  # estimated from a text without times
        table.add_row(r["id"], r["leerling"] or "-", r["datum"][:16].replace("T", " "), duur,
                      str(r["segmenten"]), r["bestand"] or "-")
    Console().print(table)


@app.command(cls=_Command)
def verwijderen(
    gesprek_id: SessionId,
    ja: Annotated[bool, typer.Option("--ja", help="Niet om bevestiging vragen.")] = False,
) -> None:
    """Verwijder een gesprek met alles wat erbij hoort (bijvoorbeeld als toestemming is ingetrokken).

    Transcript, samenvatting, bewerkingen, vervolgstap, zoekindex en bewaard geluid gaan weg, zo grondig dat
    de tekst niet meer uit het databasebestand te lezen is. In het logboek blijft alleen staan dat er iets is
    verwijderd.
    """
    from gesprekopname import retention, store

    with _database() as db:
        session_id = store.find_session_id(db, gesprek_id)
        if not ja and not _ja(f"Gesprek {session_id} definitief verwijderen?"):
            raise UserError("Niets verwijderd.")
        store.delete_session(db, session_id)
    retention.delete_audio([session_id])
    _err(f"Gesprek {session_id} is verwijderd.")


# ---------------------------------------------------------------- students, search, retention

@app.command(cls=_Command)
def leerling(
    naam: Annotated[
        str | None, typer.Argument(metavar="NAAM", help="Naam of code van de leerling; zonder: alle leerlingen.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Als JSON.")] = False,
    export_all: Annotated[
        bool, typer.Option("--export", help="Alles wat over de leerling bewaard is als één JSON (inzagerecht).")
    ] = False,
    output: OutputOption = None,
    delete: Annotated[
        bool, typer.Option("--verwijderen", help="Verwijder alles van de leerling (toestemming ingetrokken).")
    ] = False,
    ja: Annotated[bool, typer.Option("--ja", help="Bij --verwijderen: niet om bevestiging vragen.")] = False,
) -> None:
    """Volg een leerling over gesprekken heen: tijdlijn, vervolgstappen en de rode draad.

    Per gesprek de datum, de ervaring en de vervolgstap met zijn nummer en status (open, gedaan, niet gedaan,
    bijgesteld). Gaat een later gesprek over een open vervolgstap, dan staat er een voorstel voor de status
    bij, met het citaat; zet de status met `gesprekopname vervolgstap NUMMER --status ...`. De rode draad:
    kwaliteiten en motieven die in meer gesprekken terugkomen.

    Voorbeelden:

      gesprekopname leerling                    (alle leerlingen)

      gesprekopname leerling Sanne

      gesprekopname leerling Sanne --export -o sanne.json

      gesprekopname leerling Sanne --verwijderen
    """
    from gesprekopname import store, students

    _check_student_options(naam, export_all, output, delete, ja)
    with _database() as db:
        if naam is None:
            _print_students(store.list_leerlingen(db), as_json)
            return
        student = store.find_leerling(db, naam)
        if delete:
            _delete_student(db, student, ja)
            return
        if export_all:
            _export_student(db, student, output)
            return
        profile = students.profile(db, student)
    print(json.dumps(profile, ensure_ascii=False, indent=2) if as_json else _profile_text(profile))


def _check_student_options(naam: str | None, export_all: bool, output: Path | None, delete: bool, ja: bool) -> None:
    if export_all and delete:
        raise UserError("Kies --export of --verwijderen, niet allebei.")
    if naam is None and (export_all or delete):
        raise UserError("Geef de naam van de leerling, bijvoorbeeld: gesprekopname leerling Sanne --export")
    if output is not None and not export_all:
        raise UserError("-o hoort bij --export, bijvoorbeeld: gesprekopname leerling Sanne --export -o sanne.json")
    if ja and not delete:
        raise UserError("--ja hoort bij --verwijderen.")


def _print_students(rows: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        _err("Nog geen leerlingen. Geef bij het verwerken een naam of code mee met --leerling.")
    else:
        for r in rows:
            print(f"{r['naam']}: {r['gesprekken']} gesprek(ken), laatste {r['laatste'][:10]}")


def _profile_text(profile: dict) -> str:
    lines = [f"{profile['leerling']}: {len(profile['gesprekken'])} gesprek(ken)", ""]
    for conversation in profile["gesprekken"]:
        lines.append(f"{conversation['datum'][:10]}  {conversation['id']}  "
                     f"Ervaring: {_short(conversation['ervaring']) or 'niet besproken'}")
        lines += [f"{'':24}{line}" for line in _step_lines(conversation["vervolgstap"])]
    lines += ["", "Rode draad (komt terug in meer gesprekken)"]
    for field, themes in profile["rode_draad"].items():
        found = "; ".join(f"{t['tekst']} ({len(t['gesprekken'])} gesprekken)" for t in themes)
        lines.append(f"  {field.capitalize()}: {found or 'nog niets dat terugkomt'}")
    return "\n".join(lines)


def _short(text: str | None, limit: int = 90) -> str | None:
    return text if not text or len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _step_lines(step: dict | None) -> list[str]:
    if step is None:
        return ["Vervolgstap: niet besproken"]
    details = "; ".join(x for x in (step["wanneer"], step["contact"] and f"met {step['contact']}") if x)
    lines = [f"Vervolgstap #{step['id']} [{step['status']}]: {_short(step['wat'])}"
             + (f" ({details})" if details else "")]
    suggestion = step.get("voorstel")
    if suggestion:
        lines.append(f"Gesprek {suggestion['gesprek']} op {clock(suggestion['start'])}: "
                     f"\"{_short(suggestion['quote'])}\"")
        if suggestion["status"]:
            lines.append(f"Voorstel: {suggestion['status']} (gesprekopname vervolgstap {step['id']} "
                         f"--status {suggestion['status'].replace(' ', '-')})")
    return lines


def _delete_student(db, student: dict, ja: bool) -> None:
    from gesprekopname import retention, store

    ids = store.session_ids_of(db, student["id"])
    question = f"Alles van leerling {student['naam']} ({len(ids)} gesprek(ken)) definitief verwijderen?"
    if not ja and not _ja(question):
        raise UserError("Niets verwijderd.")
    store.delete_sessions(db, ids, "leerling verwijderd", leerling_id=student["id"])
    files = retention.delete_audio(ids) + retention.discard_recordings(student["naam"])
    _err(f"Leerling {student['naam']} is verwijderd: {len(ids)} gesprek(ken) met transcript, samenvatting, "
         f"vervolgstappen en zoekindex" + (f", {files} geluidsbestand(en)" if files else "") + ".")


def _export_student(db, student: dict, output: Path | None) -> None:
    from gesprekopname import store, students

    document = students.export_document(db, student)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        print(text, end="")
    else:
        _write_atomically(output, text)
        _err(f"Alles over {student['naam']} staat in {output}.")
    with store.writing(db):
        store.audit(db, "geëxporteerd", leerling_id=student["id"], aantal=len(document["gesprekken"]))


@app.command(cls=_Command)
def vervolgstap(
    nummer: Annotated[str, typer.Argument(metavar="ID", help="Nummer van de vervolgstap (zie `leerling NAAM`).")],
    status: Annotated[
        str | None, typer.Option(help="Nieuwe status: open, gedaan, niet-gedaan (of \"niet gedaan\") of bijgesteld.")
    ] = None,
) -> None:
    """Toon een vervolgstap of zet zijn status.

    Zonder --status: de stap met zijn status en, als het volgende gesprek erover ging, het voorstel met het
    citaat. Het voorstel verandert niets: jij zet de status.

    Voorbeelden:

      gesprekopname vervolgstap 3

      gesprekopname vervolgstap 3 --status gedaan
    """
    from gesprekopname import store, students

    with _database() as db:
        step = store.get_vervolgstap(db, nummer)
        if status is None:
            step["voorstel"] = students.next_conversation_says(db, step["session_id"], step["wat"])
            print("\n".join([f"Gesprek {step['session_id']} van {step['leerling'] or '-'} ({step['datum'][:10]})",
                             *_step_lines(step)]))
            return
        value = _status(status)
        store.set_vervolgstap_status(db, step, value)
    _err(f"Vervolgstap #{step['id']} staat nu op: {value}.")


def _status(text: str) -> str:
    from gesprekopname.store import STATUSES

    value = " ".join(text.lower().replace("-", " ").replace("_", " ").split())
    if value not in STATUSES:
        raise UserError(f"Onbekende status '{text}'. Kies uit: open, gedaan, niet-gedaan, bijgesteld.")
    return value


@app.command(cls=_Command)
def zoeken(
    tekst: Annotated[str, typer.Argument(metavar="TEKST", help="Woord of zin; hoofdletters en accenten tellen niet.")],
    leerling: Annotated[str | None, typer.Option(help="Alleen in de gesprekken van deze leerling.")] = None,
    fase: Annotated[
        str | None,
        typer.Option(help="Alleen in deze fase: terugkijken, reflecteren, vooruitkijken, activeren, overig."),
    ] = None,
    limit: Annotated[int, typer.Option("--max", min=1, help="Hoogstens zoveel treffers per soort.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Als JSON-lijst.")] = False,
) -> None:
    """Zoek een woord of zin in alle gesprekken en samenvattingen.

    Eerst treffers in samenvattingen (met het veld, de beste eerst), dan in de gesprekken zelf (met tijdstip
    en fase, de nieuwste gesprekken eerst), de gevonden woorden gemarkeerd. Staat de zin nergens letterlijk,
    dan komen de stukken met al die woorden.

    Voorbeelden:

      gesprekopname zoeken "brood bakken"

      gesprekopname zoeken stage --leerling Sanne --fase vooruitkijken
    """
    from gesprekopname import store
    from gesprekopname.types import OVERIG, PHASES

    if fase is not None and fase not in (*PHASES, OVERIG):
        raise UserError(f"Onbekende fase '{fase}'. Kies uit: {', '.join((*PHASES, OVERIG))}.")
    with _database() as db:
        leerling_id = store.find_leerling(db, leerling)["id"] if leerling else None
        hits, exact = store.search(db, tekst, leerling_id, fase, limit)
    if as_json:
        print(json.dumps(hits, ensure_ascii=False, indent=2))
    elif not hits:
        where = "".join([f" bij {leerling}" if leerling else "", f" in de fase {fase}" if fase else ""])
        _err(f"Niets gevonden voor '{tekst}'{where}. Probeer een ander of korter woord.")
    else:
        if not exact:
            _err(f"'{tekst}' staat nergens letterlijk; dit zijn stukken met al die woorden.")
        _print_hits(hits)


def _print_hits(hits: list[dict]) -> None:
    import re

    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    for hit in hits:
        where = f"samenvatting: {hit['veld']}" if hit["veld"] else f"{clock(hit['start'])} {hit['fase'] or ''}"
        line = f"{hit['session_id']}  {hit['datum'][:10]}  {hit['leerling'] or '-'}  {where.strip()}  "
        if not console.is_terminal:  # pipes and files keep the « » markers
            print(line + hit["snippet"])
            continue
        text = Text(line)
        for i, part in enumerate(re.split("[«»]", hit["snippet"])):
            text.append(part, style="bold yellow" if i % 2 else None)
        console.print(text)


@app.command(cls=_Command)
def opschonen(
    ja: Annotated[bool, typer.Option("--ja", help="Echt verwijderen; zonder --ja alleen tonen wat weg gaat.")] = False,
) -> None:
    """Verwijder wat langer bewaard is dan de bewaartermijn toestaat.

    Transcripten en samenvattingen blijven standaard 2 jaar na het laatste gesprek van een leerling bewaard.
    Geluid wordt na het verwerken verwijderd, tenzij je het bewust bewaart; dan gaat het na audio_dagen weg.
    Zonder --ja toont deze opdracht alleen wat er weg zou gaan. Instellen in config.toml in de datamap:

      [bewaren]
      jaren = 2
      audio = false
      audio_dagen = 30
    """
    from gesprekopname import retention

    with _database() as db:
        todo = retention.plan(db)
        for r in todo.sessions:
            print(f"gesprek {r['id']}  {r['datum'][:10]}  {r['naam'] or '-'}  (laatste gesprek {r['laatste'][:10]})")
        for file in todo.audio:
            print(f"geluid  {file.name}")
        counts = f"{len(todo.sessions)} gesprek(ken) en {len(todo.audio)} geluidsbestand(en)"
        if not todo.sessions and not todo.audio:
            _err(f"Niets op te schonen: alles valt binnen de bewaartermijn ({todo.policy.jaren:g} jaar).")
            return
        if not ja:
            _err(f"Zou {counts} verwijderen (bewaartermijn {todo.policy.jaren:g} jaar na het laatste gesprek). "
                 "Verwijder ze met: gesprekopname opschonen --ja")
            return
        retention.execute(db, todo)
    _err(f"Verwijderd: {counts}.")


def _ja(question: str) -> bool:
    """An explicit ja or nee; anything else is asked again."""
    while (answer := typer.prompt(f"{question} (ja/nee)", err=True).strip().lower()) not in ("ja", "nee"):
        _err("Typ ja of nee.")
    return answer == "ja"


def _consent(leerling: str, door: str | None) -> dict:
    """Who consented, asked before any audio is captured: from 16 the student, under 16 a parent."""
    from gesprekopname import record

    if door is not None:
        return record.consent(door, leerling, "optie")
    if not sys.stdin.isatty():
        raise UserError(
            "Opnemen kan alleen met toestemming. Vraag die in een terminal, of geef met --toestemming leerling "
            "(16+) of --toestemming ouder (onder 16) aan wie toestemming gaf. Er is niets opgenomen."
        )
    questions = record.consent_wording()["vragen"]
    door = "leerling" if _ja(questions["leeftijd"]) else "ouder"
    _err(record.consent_text(door, leerling))
    if not _ja(questions["akkoord"]):
        raise UserError("Geen toestemming gegeven: er is niets opgenomen.")
    return record.consent(door, leerling, "interactief")


@app.command(cls=_Command)
def opnemen(
    leerling: Annotated[str, typer.Option(help="Naam of pseudoniem van de leerling.")],
    apparaat: Annotated[
        str | None, typer.Option(help="Naam (of een deel ervan) of nummer uit `gesprekopname apparaten`.")
    ] = None,
    toestemming: Annotated[
        str | None,
        typer.Option(help="Wie toestemming gaf, als die al vastligt: leerling (16+) of ouder (onder 16)."),
    ] = None,
    duur: Annotated[float | None, typer.Option(min=1, help="Stop vanzelf na zoveel seconden opname.")] = None,
    model: Annotated[str, typer.Option(help="auto (meegeleverd base-model), een pad of een gedownloade naam.")] = (
        "auto"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Druk de export-JSON af in plaats van het verslag.")] = False,
) -> None:
    """Neem een loopbaangesprek live op, met toestemming, en toon direct daarna het verslag.

    Eerst wordt de toestemming vastgelegd (vanaf 16 jaar van de leerling, jonger van een ouder of voogd).
    Tijdens de opname wordt al getranscribeerd; stoppen met Enter of Ctrl-C, pauzeren met p en Enter.
    De opname staat steeds veilig op schijf: na een storing maakt `gesprekopname herstel` er een gesprek van.
    Het geluid zelf wordt verwijderd zodra het gesprek is bewaard.

    Voorbeelden:

      gesprekopname opnemen --leerling Sanne

      gesprekopname opnemen --leerling Sanne --toestemming ouder --duur 900 --json > gesprek.json
    """
    from gesprekopname import asr, record, reports, retention, transcripts

    if not leerling.strip():
        raise UserError("Geef de naam of een pseudoniem van de leerling met --leerling.")
    device = record.find_device(apparaat)
    model_dir = asr.resolve_model(model)  # before consent and capture: fail fast
    folder = record.Folder.create(leerling, _consent(leerling, toestemming), device)
    result = record.record(folder, device, model_dir, duur)
    session = _save(record.to_session(folder, result.transcript, result.warnings))
    audio = retention.dispose_recording(folder)
    _err(f"Opgenomen: {clock(session.duur)}, verloren invoerblokken: {result.overflows}. "
         f"Gesprek {session.id} is bewaard; {audio}.")
    _print_warnings(session.warnings)
    print(transcripts.render(session, "json") if as_json else reports.verslag(session))


@app.command(cls=_Command)
def herstel(
    model: Annotated[str, typer.Option(help="auto (meegeleverd base-model), een pad of een gedownloade naam.")] = (
        "auto"
    ),
) -> None:
    """Maak gesprekken van onderbroken opnames (programma gestopt, stroom uitgevallen) en druk hun id's af.

    Alles wat tot de laatste seconde op schijf stond, wordt getranscribeerd en bewaard met de toestemming
    van de opname; daarna wordt het geluid verwijderd.
    """
    from gesprekopname import asr, record, retention

    folders, busy = record.unfinished()
    if busy:
        _err(f"{busy} opname(s) zijn nog bezig en blijven ongemoeid.")
    if not folders:
        _err("Geen onderbroken opnames gevonden.")
    for folder in folders:
        audio = folder.samples()
        name = f"opname {folder.meta['id']} van {folder.meta['leerling']} ({folder.meta['start'][:16]})"
        if audio.size == 0:
            folder.discard()
            _err(f"De {name} bevatte nog geen geluid en is verwijderd.")
            continue
        seconds = clock(audio.size / asr.SAMPLE_RATE)
        with _progress_bar(f"Herstellen van {name}") as update:
            transcript = asr.transcribe_audio(audio, model, update)
        note = f"Hersteld uit een onderbroken opname: {seconds} bewaard."
        session = _save(record.to_session(folder, transcript, [note]))
        _err(f"De {name} is hersteld als gesprek {session.id} ({seconds}); {retention.dispose_recording(folder)}.")
        print(session.id)


@app.command(cls=_Command)
def apparaten(as_json: Annotated[bool, typer.Option("--json", help="Als JSON-lijst.")] = False) -> None:
    """Toon de invoerapparaten (microfoons) waarmee `opnemen` kan opnemen."""
    from gesprekopname import record

    devices = record.input_devices()
    if not devices:
        raise UserError(record.NO_DEVICES)
    if as_json:
        print(json.dumps(devices, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("nr", "naam", "kanalen", "samplerate", "standaard")
    for d in devices:
        standaard = "ja" if d["standaard"] else ""
        table.add_row(str(d["index"]), d["naam"], str(d["kanalen"]), str(d["samplerate"]), standaard)
    Console().print(table)


@model_app.command("download", cls=_Command)
def model_download(naam: Annotated[str, typer.Argument(metavar="NAAM", help="small, medium, large-v3 of turbo.")]
                   ) -> None:
    """Download een groter Whisper-model (de enige opdracht die het netwerk gebruikt)."""
    from gesprekopname import asr

    path = asr.download_model(naam)
    _err(f"Model {naam} staat klaar in {path}. Gebruik het met --model {naam}.")


@app.command(cls=_Command)
def demo() -> None:
    """Laat het hele werk zien op een meegeleverd voorbeeldgesprek, zonder netwerk en zonder iets te bewaren."""
    from gesprekopname import demo as demo_run

    demo_run.run()


# The usage errors of the click that Typer runs on (its own copy in newer Typer versions, click itself before).
click = sys.modules[typer.BadParameter.__module__]


def _usage_error(exc: click.UsageError) -> str:
    """What was typed wrong, in Dutch (click says it in English)."""
    if isinstance(exc, click.MissingParameter):
        return f"{_param_name(exc.param)} ontbreekt."
    if isinstance(exc, click.BadParameter):
        return f"ongeldige waarde voor {_param_name(exc.param)}."
    if isinstance(exc, click.NoSuchOption):
        return f"onbekende optie {exc.option_name}."
    if isinstance(exc, click.BadOptionUsage):
        return f"de optie {exc.option_name} heeft een waarde nodig."
    if exc.message.startswith("No such command"):
        return f"onbekend commando{exc.message[len('No such command'):].rstrip('.')}."
    return f"verkeerd gebruik ({exc.message})."


def _param_name(param) -> str:
    """--duur for an option, ID for an argument: as --help shows them."""
    if param is None:
        return "een argument"
    options = [o for o in param.opts if o.startswith("-")]
    return max(options, key=len) if options else param.metavar or str(param.name).upper()


def main() -> None:
    """Entry point: Dutch message and non-zero exit code instead of a traceback."""
    try:
        app(standalone_mode=False)
    except UserError as exc:
        _err(f"Fout: {exc}")
        sys.exit(exc.exit_code)
    except getattr(click, "NoArgsIsHelpError", ()) as exc:  # `gesprekopname` alone: the help, not an error
        typer.echo(exc.message)
    except click.UsageError as exc:
        _err(f"Fout: {_usage_error(exc)} Zie `{exc.ctx.command_path if exc.ctx else 'gesprekopname'} --help`.")
        sys.exit(2)
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
