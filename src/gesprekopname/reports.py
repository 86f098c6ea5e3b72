"""The begeleider's gespreksverslag and the leerling's actieplan, as Markdown or as a printable HTML page.

Each document is built once from the export JSON as a small tree (sections of blocks) and rendered twice,
so the Markdown and the HTML cannot drift apart. All wording comes from prompts/verslag.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from itertools import zip_longest
from pathlib import Path

from gesprekopname import config, jijvorm, speakers, transcripts
from gesprekopname.segments import sentences
from gesprekopname.transcripts import clock
from gesprekopname.types import OVERIG, PHASES, ROLES, TOLD_ABOUT, Session
from gesprekopname.words import capitalised

ACTIEPLAN_MAX_WORDS = 150
# Limits (words per answer, answers per list, words of the step itself and of each belemmering and oplossing),
# tried in turn until the actieplan fits: what the leerling will do, and what to do when it gets hard, is what the
# plan is for, so it keeps the most words throughout ("Op de warme kant is het altijd te…" helps nobody).
_LIMITS = ((30, 3, 25), (20, 3, 25), (15, 3, 20), (12, 2, 20), (10, 2, 15), (8, 1, 15), (6, 1, 12), (3, 1, 6))
_CLOSED_EXAMPLES = 3
_QUOTES_PER_FIELD = 3
_TIMELINE_CELLS = 60
_COLOURS = {"terugkijken": "#3b6ea8", "reflecteren": "#e07b24", "vooruitkijken": "#3f9142",
            "activeren": "#c8353b", OVERIG: "#9a9a9a"}
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_TOKEN = re.compile(r"[\w'’]+")
_CLAUSE_END = re.compile(r"(?<=[.,;:!?])\s+")


# ---------------------------------------------------------------- wording


def wording() -> dict:
    """prompts/verslag.yaml, with a school's own file from config.toml ([verslag] tekst) laid over it."""
    text = config.load_prompt("verslag.yaml")
    own_path = config.settings().get("verslag", {}).get("tekst")
    if not own_path:
        return text
    # A school may show fields of its own choosing per phase ("velden"); every other key must be one of ours.
    return config.overlay(text, config.load_like(Path(own_path), text, frozenset({"velden"})))


# ---------------------------------------------------------------- the document tree


@dataclass
class Quote:
    text: str
    start: float


@dataclass
class Item:
    text: str
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class Row:
    label: str
    items: list[Item]  # one for a text field, several for a list field
    missing: bool = False  # the item is the "niet besproken" text: shown subdued
    quotes: list[Quote] = field(default_factory=list)  # quotes that could not be tied to one item


@dataclass
class Fields:
    rows: list[Row]
    title: str | None = None
    boxed: bool = False  # set apart: the vervolgstap


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Text:
    paragraphs: list[str]


@dataclass
class Bullets:
    items: list[str]
    title: str | None = None


@dataclass
class Timeline:
    title: str
    duration: float
    spans: list[tuple[str, float, float]]
    labels: dict[str, str]  # phase -> name, in legend order


Block = Fields | Table | Text | Bullets | Timeline


@dataclass
class Section:
    title: str
    blocks: list[Block]


@dataclass
class Document:
    kind: str  # "verslag" | "actieplan": the page's style
    title: str
    intro: list[str]
    sections: list[Section]


# ---------------------------------------------------------------- small helpers


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _date(iso: str | None, with_time: bool = True) -> str | None:
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or None
    return f"{moment:%d-%m-%Y %H:%M}" if with_time else f"{moment:%d-%m-%Y}"


def _values(value: object) -> list[str]:
    """A summary field as a list of non-empty texts: null, "" and [] all mean "niet besproken"."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [text for text in (str(item).strip() for item in items if item is not None) if text]


def _describe(value: object, w: dict) -> str | None:
    """Begeleider or toestemming as the recording step stores it: text, yes/no, or a small record."""
    if isinstance(value, bool):
        return w["ja"] if value else w["nee"]
    if isinstance(value, dict):
        parts = [f"{key}: {text}" for key, text in ((k, _describe(v, w)) for k, v in value.items()) if text]
        return ", ".join(parts) or None
    return ", ".join(_values(value)) or None


def _consent(value: object, w: dict) -> str | None:
    """The consent record of a recording (see record.consent) in one line; another form is shown as it is."""
    if not isinstance(value, dict) or not value.get("door"):
        return _describe(value, w)
    t, unknown = w["verslag"]["toestemming"], w["niet_vastgelegd"]
    return t["waarde"].format(
        door=t["door"].get(value["door"], value["door"]),
        tijdstip=_date(value.get("tijdstip")) or unknown,
        versie=value.get("versie") or unknown,
    )


def _join(items: list[str], w: dict) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {w['en']} {items[-1]}"


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# ---------------------------------------------------------------- feedback measures


def speaking_time(segments: list[dict]) -> dict[str, float]:
    """Seconds of speech per role; segments without a known role do not count."""
    seconds = dict.fromkeys(ROLES, 0.0)
    for segment in segments:
        if segment.get("speaker") in seconds:
            seconds[segment["speaker"]] += max(0.0, segment["end"] - segment["start"])
    return seconds


@dataclass
class Questions:
    open: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # neither, e.g. "Dus je bent betrouwbaar?"


def question_kind(question: str, lists: dict) -> str:
    """'open' (starts with a question word), 'closed' (starts with a verb) or 'other'.

    Each clause counts as a start, so a name or topic in front does not hide the question:
    "Yara, welke ervaring wil je delen?", "En je praktijkopleider, waar was die?"."""
    kinds = [_clause_kind(clause, lists) for clause in question.split(",")]
    return next((kind for kind in kinds if kind != "other"), "other")


def _clause_kind(clause: str, lists: dict) -> str:
    words = _TOKEN.findall(clause.lower())
    while words and words[0] in lists["inleiders"]:
        words.pop(0)
    if not words:
        return "other"
    if words[0] in lists["open"]:
        return "open"
    if words[0] in lists["geen_werkwoord"]:
        return "other"
    # A verb first, or any first word followed by a subject: "Snap je?" with a verb missing from the list.
    if words[0] in lists["gesloten"] or (len(words) > 1 and words[1] in lists["onderwerp_na_werkwoord"]):
        return "closed"
    return "other"


def count_questions(segments: list[dict], lists: dict) -> Questions:
    """The begeleider's sentences that end in a question mark, sorted by kind."""
    found = Questions()
    for segment in segments:
        if segment.get("speaker") != "begeleider":
            continue
        for sentence in sentences(segment["text"]):
            if sentence.rstrip().endswith("?"):
                getattr(found, question_kind(sentence, lists)).append(sentence)
    return found


# ---------------------------------------------------------------- the verslag


def verslag(session: Session, html: bool = False) -> str:
    """The begeleider's gespreksverslag: Markdown, or a self-contained printable HTML page."""
    document = build_verslag(transcripts.session_to_json(session), wording())
    return render_html(document) if html else render_markdown(document)


def build_verslag(data: dict, w: dict) -> Document:
    v = w["verslag"]
    warnings = Bullets(data["warnings"]) if data["warnings"] else Text([v["meldingen"]["geen"]])
    sections = [
        _header(data, w),
        *([_previous_step(data["vorige_vervolgstap"], w)] if data.get("vorige_vervolgstap") else []),
        *(_phase_section(phase, data, w) for phase in PHASES),
        _competences(data, w),
        _coverage(data, w),
        _feedback(data, w),
        Section(v["meldingen"]["titel"], [warnings]),
    ]
    return Document("verslag", v["titel"], [], sections)


def _plain_row(label: str, text: str | None, fallback: str) -> Row:
    return Row(label, [Item(text or fallback)], missing=not text)


def _field_row(data: dict, key: str, label: str, w: dict) -> Row:
    """A summary field with the quotes that show it; quotes go with list items one to one when they can."""
    values = _values(data["summary"].get(key))
    quotes = [Quote(e["quote"], e["start"]) for e in data["evidence"].get(key, [])]
    if key in data.get("bewerkt", []):  # the begeleider's own words: the recogniser's quotes backed the old value
        label, quotes = f"{label} ({w['bewerkt']})", []
    if not values:
        return _plain_row(label, None, w["niet_besproken"])
    if len(values) == 1:  # its first quotes show it; all of them would retell the story
        return Row(label, [Item(values[0], quotes[:_QUOTES_PER_FIELD])])
    # Each item starts with a capital, as the others do ("jij kijkt goed naar mensen" was a summary's part).
    if len(values) == len(quotes):
        return Row(label, [Item(capitalised(value), [quote]) for value, quote in zip(values, quotes, strict=True)])
    return Row(label, [Item(capitalised(value)) for value in values], quotes=quotes)


def _fields(data: dict, labels: dict, w: dict, **options) -> Fields:
    return Fields([_field_row(data, key, label, w) for key, label in labels.items()], **options)


def _header(data: dict, w: dict) -> Section:
    k, unknown = w["verslag"]["kop"], w["niet_vastgelegd"]
    rows = [
        _plain_row(k["leerling"], data.get("leerling"), unknown),
        _plain_row(k["datum"], _date(data.get("datum")), unknown),
        _plain_row(k["duur"], k["duur_geschat"].format(duur=clock(data["duur"])) if data.get("tijden_geschat")
                   else clock(data["duur"]), unknown),
        _plain_row(k["begeleider"], _describe(data.get("begeleider"), w), unknown),
        _plain_row(k["toestemming"], _consent(data.get("toestemming"), w), unknown),
    ]
    return Section(k["titel"], [Fields(rows)])


def _previous_step(step: dict, w: dict) -> Section:
    """Whether the last vervolgstap happened: what it was, its status, and what this conversation suggests."""
    v, unknown = w["verslag"]["vorige_vervolgstap"], w["niet_besproken"]
    rows = [_plain_row(v[key], _date(step.get("datum"), with_time=False) if key == "datum" else step.get(key), unknown)
            for key in ("datum", "wat", "wanneer", "contact", "status")]
    suggestion = step.get("voorstel")
    if suggestion:
        status = suggestion.get("status")
        said = (v["voorstel_status"].format(status=status, id=step["id"], optie=status.replace(" ", "-")) if status
                else v["voorstel_onduidelijk"].format(id=step["id"]))
        rows.append(Row(v["voorstel"], [Item(said, [Quote(suggestion["quote"], suggestion["start"])])]))
    return Section(v["titel"], [Fields(rows)])


def _phase_section(phase: str, data: dict, w: dict) -> Section:
    v = w["verslag"]
    labels = v["velden"].get(phase) or {}
    blocks: list[Block] = [_fields(data, labels, w)] if labels else []
    if phase == "vooruitkijken":  # the plan that vooruitkijken ends in
        step = v["vervolgstap"]
        blocks.append(_fields(data, step["velden"], w, title=step["titel"], boxed=True))
    if phase == "activeren":
        blocks.append(_obstacles(data, w))
    return Section(w["fasen"][phase], blocks)


def _obstacles(data: dict, w: dict) -> Table:
    b, summary, missing = w["verslag"]["belemmeringen"], data["summary"], w["niet_besproken"]
    found = (map(capitalised, _values(summary.get(key))) for key in ("belemmeringen", "oplossingen"))
    return Table([b["belemmering"], b["oplossing"]], [list(pair) for pair in zip_longest(*found, fillvalue=missing)]
                 or [[missing, missing]])


def _competences(data: dict, w: dict) -> Section:
    c = w["verslag"]["competenties"]
    touched = _values(data["summary"].get("competenties"))
    known = {name.casefold() for name in touched}
    untouched = [name for name in c["namen"] if name.casefold() not in known]
    rows = [Row(c["aan_bod"], [Item(name) for name in touched]) if touched
            else _plain_row(c["aan_bod"], None, w["niet_besproken"])]
    if untouched:
        rows.append(Row(c["niet_aan_bod"], [Item(name) for name in untouched]))
    return Section(c["titel"], [Fields(rows)])


def _coverage(data: dict, w: dict) -> Section:
    d = w["verslag"]["dekking"]
    spans = [(p["phase"], p["start"], p["end"]) for p in data["phases"]]
    total = max([data["duur"] or 0.0, *(end for _, _, end in spans)])
    seconds: dict[str, float] = {}
    for phase, start, end in spans:
        seconds[phase] = seconds.get(phase, 0.0) + max(0.0, end - start)
    rows = [
        [w["fasen"][phase], clock(seconds[phase]), _percent(seconds[phase] / total) if total else "-"]
        if seconds.get(phase) else [w["fasen"][phase], d["niet_aan_bod"], "-"]
        for phase in PHASES
    ]
    if seconds.get(OVERIG):
        rows.append([w["fasen"][OVERIG], clock(seconds[OVERIG]), _percent(seconds[OVERIG] / total)])
    skipped = [w["fasen"][phase] for phase in PHASES if not seconds.get(phase)]
    notes = [d["overgeslagen"].format(fasen=_join(skipped, w)) if skipped else d["niets_overgeslagen"]]
    if data.get("tijden_geschat"):
        notes.append(d["geschat"])
    labels = {phase: w["fasen"][phase] for phase in (*PHASES, OVERIG)}
    return Section(d["titel"], [
        Table([d["fase"], d["duur"], d["aandeel"]], rows), Text(notes), Timeline(d["tijdlijn"], total, spans, labels),
    ])


def _feedback(data: dict, w: dict) -> Section:
    f = w["verslag"]["feedback"]
    seconds = speaking_time(data["segments"])
    total = sum(seconds.values())
    share = {role: f"{_percent(s / total)} ({clock(s)})" for role, s in seconds.items()} if total else {}
    questions = count_questions(data["segments"], w["vragen"])
    rows = [
        _plain_row(f["spreektijd"], f["spreektijd_waarde"].format(**share) if share else None, f["geen_sprekers"]),
        Row(f["open"], [Item(str(len(questions.open)))]),
        Row(f["gesloten"], [Item(str(len(questions.closed)))]),
        Row(f["overige"], [Item(str(len(questions.other)))]),
    ]
    blocks: list[Block] = [Fields(rows)]
    if total and seconds["begeleider"] / total >= f["veel_aan_het_woord"]:
        blocks.append(Text([f["tip_spreektijd"]]))
    if questions.closed:
        blocks.append(Bullets(questions.closed[:_CLOSED_EXAMPLES], title=f["voorbeelden"]))
    return Section(f["titel"], blocks)


# ---------------------------------------------------------------- the actieplan


def actieplan(session: Session, html: bool = False) -> str:
    """The leerling's actieplan: jij-form, plain Dutch, at most ACTIEPLAN_MAX_WORDS words."""
    document = build_actieplan(transcripts.session_to_json(session), wording())
    return render_html(document) if html else render_markdown(document)


def build_actieplan(data: dict, w: dict) -> Document:
    """The fullest version that fits the word limit: long answers are shortened, never left out."""
    for limits in _LIMITS:
        document = _actieplan(data, w, *limits)
        if word_count(render_markdown(document)) <= ACTIEPLAN_MAX_WORDS:
            break
    return document


def _shorten(text: str, cap: int, a: dict) -> str:
    """At most cap words, cut after a whole sentence or clause where one fits with half of them or more ("Ik
    dacht…" says nothing), else after a word that is no article or preposition ("op de…"); "…" marks a cut."""
    text = text.strip().rstrip(".!").rstrip()
    words = text.split()
    if len(words) <= cap:
        return text
    kept: list[str] = []
    for clause in _CLAUSE_END.split(text):
        if len(kept) + len(clause.split()) > cap:
            break
        kept += clause.split()
    if len(kept) < cap / 2:
        kept = words[:cap]
        while len(kept) > 1 and kept[-1].lower().strip(".,;:") in a["geen_eindwoord"]:
            kept.pop()
    return " ".join(kept).rstrip(".,;:") + "…"


def _to_you(text: str) -> str:
    """The student's words in the jij-form where the rules are sure of it, else quoted as said. Words already
    said to the student ("Volgens mij werk jij netjes") stay as they are: their "mij" is the begeleider."""
    if jijvorm.said_to_student(text):
        return jijvorm.as_said(text) if re.search(r"\bik\b", text, re.IGNORECASE) else text
    return jijvorm.to_you(text) or jijvorm.as_said(text)


def _say(lead: str, value: str, cap: int, a: dict) -> str:
    text = _shorten(value, cap, a)
    return f"{lead} {_to_you(text)}" + ("" if text.endswith("…") else ".")


def _told(lead: str, values: list[str], cap: int, a: dict) -> list[Block]:
    """One value in a sentence, several as a list under the lead: easier to read than "a, b en c"."""
    if len(values) == 1:
        return [Text([_say(lead, values[0], cap, a)])]
    return [Text([lead]), Bullets([capitalised(_to_you(_shorten(value, cap, a))) for value in values])]


def _actieplan(data: dict, w: dict, cap: int, list_cap: int, step_cap: int) -> Document:
    a, fields = w["actieplan"], _in_own_words(data)

    def part(key: str) -> Section:
        values = _values(fields.get(key))[:list_cap]
        return Section(a[key]["kop"], _told(a[key]["zin"], values, cap, a) if values else [Text([a["anders"]])])

    sections = [
        part("ervaring"), part("kwaliteiten"), part("motieven"),
        _next_step(fields, "vervolgstap" in data.get("bewerkt", []), w, cap, step_cap),
        _if_hard(fields, w, step_cap, list_cap),
        Section(a["volgende_gesprek"]["kop"], [Text([a["volgende_gesprek"]["zin"]])]),
    ]
    intro = [a["intro"].format(datum=_date(data.get("datum"), with_time=False) or "")]
    return Document("actieplan", a["titel"], intro, sections)


def _in_own_words(data: dict) -> dict:
    """The summary with what it tells about the student by name ("Noor bleef rustig") in their own words again
    ("Ik bleef rustig"), so the actieplan can say it to them ("Je bleef rustig")."""
    name = speakers.student_name(data.get("leerling"), [(s["speaker"], s["text"]) for s in data["segments"]])
    if not name:
        return data["summary"]
    told = {key: jijvorm.told_back(data["summary"][key], name) for key in TOLD_ABOUT
            if data["summary"].get(key)}
    return data["summary"] | told


def _next_step(summary: dict, edited: bool, w: dict, cap: int, step_cap: int) -> Section:
    """What, when, with whom. Of a found step only its first sentence, the one agreed (the rest is what it builds
    on, for the verslag); a step the begeleider wrote is theirs, whole."""
    a = w["actieplan"]
    step = a["stap"]
    what = _values(summary.get("vervolgstap"))
    if not what:
        return Section(step["kop"], [Text([a["anders"]])])
    said = "; ".join(what) if edited else (sentences(what[0]) or what)[0]
    lines = [_say(step["wat"], said, step_cap, a)] + [
        _say(step[key], "; ".join(_values(summary.get(key))) or step["nog_afspreken"], cap, a)
        for key in ("wanneer", "contact")
    ]
    return Section(step["kop"], [Bullets(lines)])


def _if_hard(summary: dict, w: dict, cap: int, list_cap: int) -> Section:
    """Each belemmering with the leerling's own oplossing, in the order they were named."""
    a = w["actieplan"]
    hard = a["lastig"]
    obstacles, solutions = (_values(summary.get(key))[:list_cap] for key in ("belemmeringen", "oplossingen"))
    paragraphs = [
        " ".join(filter(None, [
            _say(hard["belemmering"], obstacle, cap, a) if obstacle else None,
            _say(hard["oplossing"], solution, cap, a) if solution else hard["geen_oplossing"],
        ]))
        for obstacle, solution in zip_longest(obstacles, solutions)
    ]
    return Section(hard["kop"], [Text(paragraphs or [a["anders"]])])


# ---------------------------------------------------------------- Markdown


def render_markdown(document: Document) -> str:
    lines = [f"# {document.title}", ""]
    for paragraph in document.intro:
        lines += [paragraph, ""]
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            lines += _MARKDOWN[type(block)](block) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _md_quote(quote: Quote) -> str:
    return f"„{quote.text}” ({clock(quote.start)})"


def _md_row(row: Row) -> list[str]:
    label = f"- **{row.label}:**"
    if row.missing:
        return [f"{label} _{row.items[0].text}_"]
    if len(row.items) == 1 and not row.quotes:
        item = row.items[0]
        return [f"{label} {item.text}", *(f"  - {_md_quote(q)}" for q in item.quotes)]
    lines = [label]
    for item in row.items:
        lines += [f"  - {item.text}", *(f"    - {_md_quote(q)}" for q in item.quotes)]
    return lines + [f"  - {_md_quote(q)}" for q in row.quotes]


def _md_fields(block: Fields) -> list[str]:
    lines = [f"**{block.title}**", ""] if block.title else []
    lines += [line for row in block.rows for line in _md_row(row)]
    return [f"> {line}".rstrip() for line in lines] if block.boxed else lines


def _md_table(block: Table) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(block.header), line(["---"] * len(block.header)), *(line(row) for row in block.rows)]


def _md_text(block: Text) -> list[str]:
    return "\n\n".join(block.paragraphs).split("\n")


def _md_bullets(block: Bullets) -> list[str]:
    return ([f"**{block.title}**", ""] if block.title else []) + [f"- {item}" for item in block.items]


def _md_timeline(block: Timeline) -> list[str]:
    """One letter per time slice (the phase's initial), so the shape of the talk shows in a terminal."""
    cells = []
    for index in range(_TIMELINE_CELLS):
        moment = (index + 0.5) * block.duration / _TIMELINE_CELLS
        phase = next((phase for phase, start, end in block.spans if start <= moment < end), None)
        cells.append(block.labels[phase][0].upper() if phase in block.labels else "·")
    legend = ", ".join(f"{label[0].upper()} = {label}" for label in block.labels.values())
    bar = f"{clock(0)} {''.join(cells)} {clock(block.duration)}"
    return [f"**{block.title}**", "", "```", bar, "```", "", legend]


_MARKDOWN: dict[type, Callable[..., list[str]]] = {
    Fields: _md_fields, Table: _md_table, Text: _md_text, Bullets: _md_bullets, Timeline: _md_timeline,
}


# ---------------------------------------------------------------- HTML


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1d1d1f; font: 16px/1.5 system-ui, "Segoe UI", Arial, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 1rem; padding-bottom: .4rem; border-bottom: 3px solid #3b6ea8; }
h2 { font-size: 1.25rem; margin: 1.8rem 0 .6rem; color: #20456e; }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
.intro { font-size: 1.05rem; }
dl { display: grid; grid-template-columns: minmax(9rem, 15rem) 1fr; gap: .35rem 1rem; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; }
dd ul, section > ul { margin: 0; padding-left: 1.2rem; }
.leeg { color: #6b6b6b; font-style: italic; }
.citaat { display: block; margin: .15rem 0 .3rem; padding-left: .6rem; border-left: 3px solid #c9c9c9;
  color: #444; font-style: italic; }
.tijd { color: #6b6b6b; font-style: normal; font-size: .85em; }
.vervolgstap { margin: .8rem 0; padding: .8rem 1rem; border: 2px solid #3f9142; border-radius: 6px;
  background: #eef7ee; }
.vervolgstap h3 { color: #2b6b2e; }
table { width: 100%; border-collapse: collapse; margin: .6rem 0; }
th, td { padding: .35rem .5rem; border: 1px solid #bdbdbd; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
figure { margin: .8rem 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #555; }
.label { font-weight: 600; margin: .6rem 0 .2rem; }
body.actieplan { font-size: 18px; }
body.actieplan main { max-width: 40rem; }
body.actieplan h2 { color: #2b6b2e; }
@media print {
  body, body.actieplan { font-size: 11pt; }
  main, body.actieplan main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .vervolgstap, table, figure, dl { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { margin: 1.5cm; }
}
"""


def render_html(document: Document) -> str:
    """A self-contained page: inline CSS, no scripts, no external resources; all text escaped."""
    intro = "".join(f'<p class="intro">{escape(p)}</p>' for p in document.intro)
    sections = "".join(
        f"<section><h2>{escape(s.title)}</h2>{''.join(_HTML[type(b)](b) for b in s.blocks)}</section>"
        for s in document.sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(document.title)}</title><style>{_CSS}</style></head>\n"
        f'<body class="{document.kind}"><main><h1>{escape(document.title)}</h1>{intro}{sections}</main></body></html>\n'
    )


def _html_quotes(quotes: list[Quote]) -> str:
    return "".join(
        f'<span class="citaat">„{escape(q.text)}” <span class="tijd">({clock(q.start)})</span></span>' for q in quotes
    )


def _html_row(row: Row) -> str:
    if row.missing:
        value = f'<dd class="leeg">{escape(row.items[0].text)}</dd>'
    elif len(row.items) == 1 and not row.quotes:
        value = f"<dd>{escape(row.items[0].text)}{_html_quotes(row.items[0].quotes)}</dd>"
    else:
        items = "".join(f"<li>{escape(i.text)}{_html_quotes(i.quotes)}</li>" for i in row.items)
        value = f"<dd><ul>{items}</ul>{_html_quotes(row.quotes)}</dd>"
    return f"<dt>{escape(row.label)}</dt>{value}"


def _html_fields(block: Fields) -> str:
    title = f"<h3>{escape(block.title)}</h3>" if block.title else ""
    fields = f"{title}<dl>{''.join(_html_row(row) for row in block.rows)}</dl>"
    return f'<div class="vervolgstap">{fields}</div>' if block.boxed else fields


def _html_table(block: Table) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in block.header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in block.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_text(block: Text) -> str:
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in block.paragraphs)


def _html_bullets(block: Bullets) -> str:
    title = f'<p class="label">{escape(block.title)}</p>' if block.title else ""
    return title + "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>"


def _html_timeline(block: Timeline) -> str:
    """Coloured bars per phase span over the whole conversation, an axis in minutes and a legend."""
    width, scale = 1000, 1000 / (block.duration or 1)
    bars = "".join(
        f'<rect x="{start * scale:.1f}" y="0" width="{max(1.0, (end - start) * scale):.1f}" height="36" '
        f'fill="{_COLOURS.get(phase, _COLOURS[OVERIG])}"><title>{escape(block.labels.get(phase, phase))} '
        f"{clock(start)}-{clock(end)}</title></rect>"
        for phase, start, end in block.spans
    )
    axis = (f'<text x="0" y="56">{clock(0)}</text>'
            f'<text x="{width}" y="56" text-anchor="end">{clock(block.duration)}</text>')
    legend = "".join(
        f'<rect x="{i * 200}" y="72" width="16" height="16" fill="{_COLOURS[phase]}"/>'
        f'<text x="{i * 200 + 22}" y="85">{escape(label)}</text>'
        for i, (phase, label) in enumerate(block.labels.items())
    )
    return (
        f'<figure class="tijdlijn"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 96" role="img" '
        f'aria-label="{escape(block.title)}" font-family="system-ui, Arial, sans-serif" font-size="15">'
        f'<rect x="0" y="0" width="{width}" height="36" fill="#ececec"/>{bars}{axis}{legend}</svg>'
        f"<figcaption>{escape(block.title)}</figcaption></figure>"
    )


_HTML: dict[type, Callable[..., str]] = {
    Fields: _html_fields, Table: _html_table, Text: _html_text, Bullets: _html_bullets, Timeline: _html_timeline,
}
