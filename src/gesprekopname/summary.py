"""Summary fields with evidence: what the student told, named and agreed, taken from the conversation itself.

Deterministic and offline, in two layers. The rules of prompts/samenvatting.yaml read the conversation sentence
by sentence: which field a begeleider's question asks for (keywords, likeness to example questions), what
fillers, times, people, agreements, changes and deferrals look like, and which sentences they would take each
field from. A model learned from the example conversations (fields.py) then scores every sentence per field,
with those rule signals among its features, so a paraphrased question or a misheard keyword still finds the
answer. Values come from the sentences above a field's threshold (tuned by cross-validation on the examples),
cleaned of fillers; evidence quotes the sentences verbatim. When nothing is likely enough, a field stays None
("niet besproken"): a wrong value is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from itertools import dropwhile, takewhile
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz

from gesprekopname import config, fields
from gesprekopname.cache import cached
from gesprekopname.examples import example_paths, read_example, school_folders
from gesprekopname.segments import sentence_offsets
from gesprekopname.types import Evidence, Segment
from gesprekopname.words import content

STRING_FIELDS = ("ervaring", "rol", "verwachtingen", "inzicht", "vervolgstap", "wanneer", "contact")
LIST_FIELDS = ("kwaliteiten", "motieven", "belemmeringen", "oplossingen", "competenties")
FIELDS = ("ervaring", "rol", "verwachtingen", "kwaliteiten", "motieven", "inzicht",
          "vervolgstap", "wanneer", "contact", "belemmeringen", "oplossingen", "competenties")

LIKENESS = 80  # rapidfuzz ratio from which a question counts as one of a field's example questions
STORY_WORDS = 45  # the ervaring: the student's first sentences about the experience, up to about this many words
ANSWER_SENTENCES = 3
STEP_SENTENCES = 3  # the step's value: the final sentence and the proposal it sums up
OVERSHOOT = 1.3  # a widened field may end up this much longer than its length when the last sentence is long
BEFORE_STEP = 2  # sentences before the step's first that may still say what it is (not an earlier proposal)
FINAL_SHARE = 0.7  # a later step sentence replaces the likeliest one when at least this share as likely
STEP_PHASES = ("vooruitkijken", "activeren")  # where the vervolgstap is agreed
_PARTICLES = ("van", "de", "der", "den", "el", "ten", "ter")  # "meneer El Amrani", "mevrouw Van Dam"
_WORD = re.compile(r"\w+")
_SUMMARY_START = re.compile(r"^(dus|je bent|jij bent|dan ben je|zo te horen)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“”']([^\"“”']{3,})[\"“”']")
_NAME = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ]+(?:[-'][A-Za-zà-ÿ]+)*")


@dataclass(frozen=True)
class Rules:
    """samenvatting.yaml, compiled."""

    keywords: dict[str, re.Pattern]
    examples: dict[str, tuple[str, ...]]
    phases: dict[str, frozenset[str]]
    probing: frozenset[str]
    follow_up: re.Pattern
    then_what: re.Pattern  # after an obstacle: asks for its solution
    question_start: re.Pattern
    asking: re.Pattern  # how a student's question starts besides a question word ("Mag dat", "Moet ik")
    filler: re.Pattern
    intro: re.Pattern
    empty: re.Pattern
    denied: re.Pattern  # a quality or motive the student says is not theirs ("geduldig ben ik niet")
    unfinished: re.Pattern  # a part of a summary that cannot stand alone ("jij bent iemand die")
    agreement: re.Pattern
    recorded: re.Pattern
    consent: re.Pattern
    no_commitment: re.Pattern
    change: re.Pattern
    defer: re.Pattern
    step: re.Pattern
    reach_out: re.Pattern
    setting: re.Pattern  # what kind of experience it was: stage, meeloopdag, bijbaan
    quality_words: re.Pattern  # words that name a quality (geduldig, precies) or a motive (belangrijk, hekel)
    motive_words: re.Pattern
    times: tuple[re.Pattern, ...]
    any_time: re.Pattern  # all of them at once: is there a time in the sentence at all
    time_detail: re.Pattern  # what may follow a time and belongs to it ("om half elf", "bij de koffie")
    titles: frozenset[str]
    roles: frozenset[str]
    who_says: re.Pattern  # "Die werkt in het Mariënhof": who the person just named is
    greetings: frozenset[str]
    not_names: frozenset[str]
    not_name_ends: tuple[str, ...]
    place: re.Pattern  # "in Ede", "uit Harlingen": the capitalised word is a place
    competences: dict[str, dict]
    sensitive: re.Pattern
    thresholds: dict[str, float]
    lengths: dict[str, int]  # about how many words a summarised field may take (ervaring, rol, vervolgstap)


@dataclass(eq=False)  # a sentence is itself: two "Ja." are different sentences, and identity is fast
class Unit:
    """One sentence: where it is, who said it, in which phase, and which field its question asked for."""

    start: float
    end: float
    text: str
    speaker: str | None
    phase: str | None
    question: bool = False
    topic: str | None = None  # the field the last question asked for (for a question: its own field)
    group: int = -1  # which question this sentence answers (index of that question)
    echo: frozenset[str] = frozenset()  # "nagezegd" (the other says it back) and/or "zegt_na" (says it back)


def _any(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


def _words(patterns: list[str]) -> re.Pattern:
    """Whole words or phrases only: 'nou' must not eat the start of 'nouveau'."""
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)", re.IGNORECASE)


def _lowered(pattern: re.Pattern) -> re.Pattern:
    """The pattern for lowercased text, without ignoring case: Python's re is several times slower ignoring
    case, and every sentence meets a dozen of these. Looked up by the pattern's text, whose hash Python keeps
    (a compiled pattern's hash goes over its whole code, each time)."""
    return _lowercase_twin(pattern.pattern, pattern.flags)


@cache
def _lowercase_twin(source: str, flags: int) -> re.Pattern:
    """A pattern that spells a capital keeps ignoring case."""
    return re.compile(source, flags if re.search(r"(?<!\\)[A-Z]", source) else flags & ~re.IGNORECASE)


@cache
def _rules(path: str | None) -> Rules:
    raw = config.load_yaml_file(Path(path)) if path else config.load_prompt("samenvatting.yaml")
    fields = raw["velden"]
    names = raw["contact"]
    return Rules(
        keywords={f: _any(v.get("woorden") or []) for f, v in fields.items()},
        examples={f: tuple(_norm(q) for q in v.get("vragen") or []) for f, v in fields.items()},
        phases={f: frozenset(v.get("fasen") or ()) for f, v in fields.items()},
        probing=frozenset(f for f, v in fields.items() if v.get("doorvragen")),
        follow_up=_any(raw["vervolgvragen"]),
        then_what=_any(raw["na_belemmering"]),
        question_start=re.compile(r"^(?:" + "|".join(raw["vraag_start"]) + r")\b", re.IGNORECASE),
        asking=re.compile(r"^(?:" + "|".join(raw["leerling_vraag_start"]) + r")\b", re.IGNORECASE),
        filler=_words(raw["vulwoorden"]),
        intro=re.compile(r"^(?:(?:" + "|".join(raw["inleidingen"]) + r")\b[\s,.!:;…-]*)+", re.IGNORECASE),
        empty=re.compile(r"^(?:(?:" + "|".join(raw["leeg"]) + r")\b[\s,.!?;…]*)+$", re.IGNORECASE),
        denied=re.compile(r"(?<!\w)(?:" + "|".join(raw["ontkend"]) + r")$", re.IGNORECASE),
        unfinished=re.compile(r"(?<!\w)(?:" + "|".join(raw["onaf"]["einde"]) + r")$|^(?:"
                              + "|".join(raw["onaf"]["begin"]) + r")(?!\w)", re.IGNORECASE),
        agreement=_any(raw["afspraak"] + raw["vastleggen"]),
        recorded=_any(raw["vastleggen"]),
        consent=_any(raw["instemming"]),
        no_commitment=_any(raw["geen_toezegging"]),
        change=_any(raw["verandering"]),
        defer=_any(raw["uitstel"]),
        step=_any(raw["stapwoorden"]),
        reach_out=_any(raw["contactwoorden"]),
        setting=_words(raw["soort_ervaring"]),
        quality_words=_words(raw["kwaliteitswoorden"]),
        motive_words=_words(raw["motiefwoorden"]),
        times=tuple(_words([p]) for p in raw["tijd"]),
        any_time=_words(raw["tijd"]),
        time_detail=re.compile(raw["tijd_detail"], re.IGNORECASE),
        titles=frozenset(names["titels"]),
        roles=frozenset(names["rollen"]),
        who_says=re.compile(r"\s*die\s(?:" + "|".join(names["wie_zin"]) + r")\b[^,.;:!?]{2,50}(?!\w)", re.IGNORECASE),
        greetings=frozenset(names["groeten"]),
        not_names=frozenset(names["geen_naam"]),
        not_name_ends=tuple(names["geen_naam_einde"]),
        place=re.compile(r"(?<![\w'])(?:" + "|".join(names["plaats_na"]) + r")\s+([A-Z][\w'-]+)"),
        competences=raw["competenties"],
        sensitive=_words(raw["gevoelig"]),
        thresholds={f: float(v) for f, v in raw["drempels"].items()},
        lengths={f: int(v) for f, v in raw["lengte"].items()},
    )


def rules() -> Rules:
    """Ours, or the school's own file (config.toml: [samenvatting] bestand = "pad")."""
    return _rules(config.settings().get("samenvatting", {}).get("bestand"))


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# --- reading the conversation -------------------------------------------------------------------------


def _units(segments: list[Segment], r: Rules) -> list[Unit]:
    """Sentences with times shared out by characters, then each question's field and each answer's topic,
    and what is said back."""
    units = []
    for seg in segments:
        size = max(1, len(seg.text))
        span = seg.end - seg.start
        parts = sentence_offsets(seg.text)
        for i, (offset, text) in enumerate(parts):
            end = parts[i + 1][0] if i + 1 < len(parts) else size
            units.append(Unit(round(seg.start + span * offset / size, 3), round(seg.start + span * end / size, 3),
                              text.strip(), seg.speaker, seg.phase))
    _mark_questions(units, r)
    _mark_echoes(units)
    return units


def _is_question(unit: Unit, r: Rules) -> bool:
    if unit.speaker == "leerling":
        return False
    if unit.text.rstrip().endswith("?"):
        return True
    return unit.speaker == "begeleider" and bool(r.question_start.match(unit.text))


def _asks(unit: Unit, r: Rules) -> bool:
    """A real question, by either speaker ("Mag dat leeg blijven?"); not a name offered with a rising tone
    ("Eh... rust in de storm?"). The student's questions are not marked as questions."""
    text = r.intro.sub("", unit.text).strip()
    return text.endswith("?") and bool(r.question_start.match(text) or r.asking.match(text))


def _field_of(text: str, phase: str | None, r: Rules) -> str | None:
    """A keyword says the field anywhere (the phase's own fields first); likeness only within the field's phases."""
    low = text.lower()
    hits = [f for f, pattern in r.keywords.items() if _lowered(pattern).search(low)]
    if hits:
        return next((f for f in hits if phase in r.phases[f]), hits[0])
    norm = _norm(text)
    best, score = None, LIKENESS
    for field, examples in r.examples.items():
        if phase not in r.phases[field]:
            continue
        for example in examples:
            s = fuzz.ratio(norm, example)
            if s >= score:
                best, score = field, s
    return best


def _mark_questions(units: list[Unit], r: Rules) -> None:
    """A follow-up ("Nog iets?") keeps the field before it; after an obstacle's solution, a follow-up that
    is itself followed by a solution question asks for another obstacle."""
    topic, group, answered, phase = None, -1, True, None
    questions: list[int] = []
    for i, unit in enumerate(units):
        if _is_question(unit, r):
            field = _field_of(unit.text, unit.phase, r)
            if field is None and topic == "belemmeringen" and answered and r.then_what.match(unit.text):
                field = "oplossingen"
            elif field is None and (r.follow_up.search(unit.text) or not answered
                                    or (topic in r.probing and unit.phase == phase)):
                field = topic
            phase = unit.phase
            topic, group, answered = field, i, False
            unit.question = True
            questions.append(i)
        elif unit.speaker != "begeleider":
            answered = True
        unit.topic, unit.group = topic, group
    for before, now, after in zip(questions, questions[1:], questions[2:], strict=False):
        if (units[before].topic == units[now].topic == units[after].topic == "oplossingen"
                and r.follow_up.search(units[now].text)):
            for unit in units[now:after]:
                unit.topic = "belemmeringen"


def _answers(units: list[Unit], field: str) -> list[list[Unit]]:
    """Per question asking for the field, the sentences the leerling (or an unknown speaker) said after it."""
    groups: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.topic == field and not unit.question and unit.speaker != "begeleider":
            groups.setdefault(unit.group, []).append(unit)
    return list(groups.values())


# --- cleaning values ----------------------------------------------------------------------------------


def clean(text: str, r: Rules | None = None) -> str:
    """The value in a sentence: fillers and opening words ("Ja, nou, eh") out, quotes and ends trimmed."""
    r = r or rules()
    text = r.filler.sub(lambda m: m[0] if _holds_clause_start(text, m) else " ", text)
    text = re.sub(r"[\"“”‘’]|(?<!\w)'(?!(?:s|t|n|k|m)\s)|(?<=\w)'(?!\w)", "", text)
    text = re.sub(r"\s+([,.!?;:…])", r"\1", re.sub(r"\s+", " ", text))
    text = re.sub(r"([,;:])(?:\s*[,;:.…])+", r"\1", text).strip(" ,.;:!?…-")
    previous = None
    while previous != text:
        previous = text
        text = r.intro.sub("", text).strip(" ,.;:!?…-")
    # "Eh..i" from a misheard word: a value needs a word of two letters or more.
    return "" if max(map(len, _tokens(text)), default=0) < 2 or r.empty.match(text) else text


# A word that opens a clause before its verb and subject ("Maar eigenlijk wil ik liever ..."): without it the
# clause would read as a question ("Wil ik liever ...?").
_CLAUSE_OPEN = re.compile(r"(?:^|[,.!?;:]|(?<!\w)(?:en|maar|dus|want|of))\s*$", re.IGNORECASE)
_VERB_SUBJECT = re.compile(r"\s+(?!(?:dat|die|wat|als|of|en|maar|want|toen|omdat|waar|hoe)\s)[\w'-]+\s+"
                           r"(?:ik|je|jij|we|wij|hij|zij|ze|u)(?!\w)", re.IGNORECASE)


def _holds_clause_start(text: str, filler: re.Match) -> bool:
    """Checked for every filler found: the anchored look ahead first, as it mostly fails."""
    return bool(_VERB_SUBJECT.match(text, filler.end()) and _CLAUSE_OPEN.search(text[: filler.start()]))


def _usable(text: str, r: Rules) -> bool:
    """Not sensitive, and more than function words: "Is.", "Dat was." or a misheard "De." add nothing to a value;
    a short name does ("Mo.")."""
    return any(t not in fields.STOP for t in _tokens(text)) and not r.sensitive.search(text)


def _evidence(units: list[Unit]) -> list[Evidence]:
    return [Evidence(u.start, u.end, u.text) for u in units]


def _joined(units: list[Unit], r: Rules, limit_words: int | None = None) -> tuple[str | None, list[Unit]]:
    """Cleaned sentences joined into one value, up to a number of words; the sentences used as evidence."""
    parts, used, count = [], [], 0
    for unit in units:
        value = clean(unit.text, r)
        if not _usable(value, r):
            continue
        parts.append(value)
        used.append(unit)
        count += len(_tokens(value))
        if limit_words and count >= limit_words:
            break
    return _sentences(parts), used


def _sentences(parts: list[str]) -> str | None:
    """Cleaned sentences as one value: each starts with a capital, as a clean may have cut its first word."""
    return ". ".join(p[:1].upper() + p[1:] for p in parts) or None


def _items(groups: list[list[Unit]], r: Rules, split: Callable[[str], list[str]] | None = None
           ) -> list[tuple[str, Unit]]:
    """Each answer sentence (or part of it) one item; an item already said in other words is skipped."""
    out: list[tuple[str, Unit]] = []
    for group in groups:
        for unit in group:
            for part in split(unit.text) if split else [unit.text]:
                value = clean(part, r)
                if _usable(value, r) and not any(_covers(v, value) for v, _ in out):
                    out.append((value, unit))
    return out


def _covers(have: str, new: str) -> bool:
    new_tokens = set(_tokens(new))
    return bool(new_tokens) and new_tokens <= set(_tokens(have))


# --- the fields ---------------------------------------------------------------------------------------


def _in_phase(units: list[Unit], phase: str) -> list[Unit]:
    return [u for u in units if u.phase == phase]


def _story(units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
    """ervaring: what the student told first about the experience (not the role or what was expected)."""
    told = [u for u in units if u.topic in (None, "ervaring") and u.phase in r.phases["ervaring"]
            and not u.question and u.speaker != "begeleider"]
    return _joined(told, r, STORY_WORDS)


def _first_answer(units: list[Unit], field: str, r: Rules) -> tuple[str | None, list[Unit]]:
    for group in _answers(units, field):
        value, used = _joined(group[:ANSWER_SENTENCES], r)
        if value:
            return value, used
    return None, []


def _summary_items(units: list[Unit], field: str, r: Rules) -> list[tuple[str, Unit]]:
    """The begeleider's summaries in the field's topic ("Dus je bent betrouwbaar"), split into parts."""
    said = [u for u in units if u.topic == field and u.speaker == "begeleider" and not u.question
            and _SUMMARY_START.match(u.text)]
    return _items([said], r, partial(_list_parts, r=r))


def _list_parts(text: str, r: Rules) -> list[str]:
    """"Dus je bent rustig, precies en eerlijk": one part each. A sentence whose parts cannot stand alone
    ("jij bent iemand die, als het misgaat, ...") stays whole."""
    text = re.sub(r"^(dus|je bent|jij bent)\b[\s,:]*", "", text, flags=re.IGNORECASE)
    parts = [p.strip() for p in re.split(r",\s*(?:en\s+)?|\s+en\s+", text) if p.strip()]
    return [text] if any(r.unfinished.search(p.rstrip(" .!?…")) for p in parts) else parts


def _qualities(units: list[Unit], r: Rules) -> list[tuple[str, Unit]]:
    items = _items(_answers(units, "kwaliteiten"), r)
    for value, unit in _summary_items(units, "kwaliteiten", r):
        if not any(_covers(v, value) for v, _ in items):
            items.append((value, unit))
    return items


def _insight(units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
    """inzicht: the name the student gives, in the last answer to the naming question; a quoted phrase in
    the answer is that name, and so is the sentence the begeleider says after them ("Eerst kijken, dan doen.");
    a single word said back ("Stal?") is a check, not a name."""
    for group in _answers(units, "inzicht")[-1:]:
        for unit in sorted(group, key=lambda u: not ("nagezegd" in u.echo and len(_tokens(u.text)) > 1)):
            value = _name_in(unit, r)
            if value:
                return value, [unit]
    return None, []


def _name_in(unit: Unit, r: Rules) -> str | None:
    """The name a sentence gives an insight: a quoted phrase in it, else the sentence; a question
    ("Mag dat leeg blijven?") names nothing."""
    if _asks(unit, r):
        return None
    quoted = _QUOTED.search(unit.text)
    value = clean(quoted.group(1) if quoted else unit.text, r)
    return value if _usable(value, r) else None


# --- the step, when and who ---------------------------------------------------------------------------


@dataclass
class Step:
    value: str
    units: list[Unit]


def _step_text(units: list[Unit], r: Rules) -> str:
    parts = []
    for unit in units:
        text = unit.text
        if r.agreement.search(text):
            text = re.sub(r"^dus\b\s*[:,]?", "", text, flags=re.IGNORECASE)
            text = re.sub(r"^.*?(spreken we (dan )?af|afgesproken|stap is|is dat (je|jouw|het) plan)\s*[:,]?", "",
                          text, flags=re.IGNORECASE)
            written = r.recorded.search(text)
            text = text[written.end():] if written else text
        value = clean(r.consent.sub("", clean(text, r)), r)
        if value:
            parts.append(value)
    return _sentences([parts[i] for i in _unrepeated(parts)]) or ""


def _step(units: list[Unit], r: Rules) -> Step | None:
    """The step finally agreed: answers to the step question, a proposal the student accepts, an agreement
    the begeleider sums up or a change the student makes replace what came before; "eerst met mijn ouders
    praten" leaves no step until a new one is agreed. Asking when ("Wanneer?") accepts what was just
    proposed. In activeren only an explicit change counts (the closing summary there is about contacting)."""
    current: Step | None = None
    proposal: list[Unit] = []
    said: list[Unit] = []  # the student's sentences since the last question
    for unit in units:
        if unit.phase not in STEP_PHASES or not _may_change_step(unit, r):
            continue
        text = unit.text
        if unit.speaker != "begeleider" and r.defer.search(text):
            current, proposal, said = None, [], []
        elif unit.speaker == "begeleider":
            if unit.question and unit.topic == "wanneer" and unit.phase == "vooruitkijken":
                offered = proposal or [u for u in said if r.step.search(u.text)][:2]
                if offered and (current is None or units.index(offered[0]) > units.index(current.units[-1])):
                    current = _new_step(offered, r)
            if not unit.question and r.step.search(text) and r.agreement.search(text) and not r.defer.search(text):
                current, proposal = _new_step([unit], r), []
            elif r.step.search(text):
                proposal = [*proposal[-1:], unit]
            if unit.question:
                said = []
        elif not unit.question:
            current, proposal = _answer_step(unit, current, proposal, r), []
            said.append(unit)
    return current if current and current.value else None


def _may_change_step(unit: Unit, r: Rules) -> bool:
    if unit.phase != "activeren":
        return True
    changed = bool(r.change.search(unit.text) or r.recorded.search(unit.text))
    return (changed or bool(re.search(r"\b(vervolg)?stap\b", unit.text, re.IGNORECASE))) and (
        changed or not r.reach_out.search(unit.text))


def _answer_step(unit: Unit, current: Step | None, proposal: list[Unit], r: Rules) -> Step | None:
    """What a student's sentence does to the step: accept a proposal, answer the step question, add to
    the answer just given (where, with whom), or change the step."""
    value = clean(unit.text, r)
    if proposal and (r.consent.match(unit.text.strip()) or r.consent.match(value)):
        rest = clean(r.consent.sub("", value), r) if value else ""
        return _new_step([*proposal, unit] if rest and not _time_in([unit], r)[0] else proposal, r)
    if not value or not _usable(value, r):
        return current
    own = current is not None and current.units[-1].speaker != "begeleider"
    if own and unit.group == current.units[-1].group and len(current.units) < 3 and not _time_in([unit], r)[0]:
        return _new_step([*current.units, unit], r)
    if unit.topic == "vervolgstap" and (current is None or unit.group != current.units[-1].group):
        return _new_step([unit], r)
    if r.change.search(unit.text) and r.step.search(unit.text):
        return _new_step([unit], r)
    return current


def _new_step(units: list[Unit], r: Rules) -> Step:
    return Step(_step_text(units, r), units)


def _time_in(units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
    """The first time pattern (in the file's order) found in any of the sentences; where it occurs more than
    once, the one that pins it down most ("Dinsdag." then "Dinsdag het zevende uur.")."""
    for pattern in r.times:
        found = [(m.group(0) + _time_details(u.text, m.end(), r), u) for u in units for m in pattern.finditer(u.text)]
        if found:
            value, unit = max(found, key=lambda f: len(f[0]))
            return value[0].lower() + value[1:], [unit]
    return None, []


def _time_details(text: str, end: int, r: Rules, most: int = 2) -> str:
    """What directly follows the time and pins it down: "donderdag" + " om half elf, bij de koffie"."""
    details = ""
    for _ in range(most):
        more = r.time_detail.match(text, end)
        if not more:
            break
        details, end = details + more.group(0), more.end()
    return details.rstrip()


def _pinned_down(found: tuple[str | None, list[Unit]], units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
    """A time said on its own, pinned down in the speaker's next sentence ("April. Na de toetsweek."): both."""
    value, used = found
    if not value or clean(used[-1].text, r).lower() != value.lower():
        return found
    after = units.index(used[-1]) + 1
    if after < len(units) and units[after].speaker == used[-1].speaker:
        more = clean(units[after].text, r)
        if more and r.time_detail.fullmatch(" " + more):
            return f"{value}, {more[0].lower()}{more[1:]}", [*used, units[after]]
    return found


def _when(units: list[Unit], step: Step | None, r: Rules) -> tuple[str | None, list[Unit]]:
    """wanneer: a time in the step itself, else the answer to the when-question that follows the step
    (before another field is asked about), else to the last when-question before it."""
    if step is None:
        return None, []
    source = step.units[-1]
    same_group = [u for u in units if u.group == source.group and u.group >= 0 and not u.question
                  and u.speaker != "begeleider"]
    value, used = _time_in(step.units + same_group, r)
    if value:
        return value, used
    where = units.index(source)
    asked = [i for i, u in enumerate(units) if u.question and u.phase in STEP_PHASES]
    after = []
    for i in (i for i in asked if i > where):
        if units[i].topic == "wanneer":
            after.append(i)
            break
        if units[i].topic not in (None, "vervolgstap"):
            break
    before = [i for i in asked if i < where and units[i].topic == "wanneer"][-1:]
    for i in after + before:
        value, used = _time_in([u for u in units if u.group == i and not u.question and u.speaker != "begeleider"], r)
        if value:
            return value, used
    return None, []


def _people(unit: Unit, r: Rules, known: set[str]) -> list[str]:
    """Persons in a sentence: a title with a name ("mevrouw Bulut", "nicht Fenna"), a name, or a role
    ("mijn oom", "de decaan")."""
    words = re.findall(r"[\w'-]+", unit.text)
    out, i = [], 0
    while i < len(words):
        word, low = words[i], words[i].lower()
        if low in r.titles:
            name = _name_after(words, i + 1, r)
            if name:
                out.append(" ".join([word.lower() if i == 0 else word, *name]))
                i += 1 + len(name)
                continue
            if low in r.roles:
                before = words[i - 1].lower() if i else ""
                out.append(f"{before} {low}" if before in ("mijn", "m'n", "de", "haar", "zijn") else low)
        elif _is_name(word, r) and _as_name(words, i, known):
            out.append(word)
        i += 1
    return out


def _as_name(words: list[str], i: int, known: set[str]) -> bool:
    """Whether a word shaped like a name is a person here. At the start of a sentence only a known name (see
    _named_by); never after an article ("de Schakel"), except "het" before a known person ("vraag je het
    Ingrid"); never before a number ("Windows 11")."""
    if i + 1 < len(words) and words[i + 1].isdigit():
        return False
    if i == 0:
        return words[i] in known
    before = words[i - 1]
    return before not in _NOT_BEFORE_NAME or (before == "het" and words[i] in known)


def _named_by(units: list[Unit], r: Rules) -> Callable[[Unit], list[str]]:
    """The persons a sentence names (see _people), leaving out the student (the names the begeleider greets the
    student with, "Hoi Lieke", or starts a sentence with before a colon, "Oké Lieke: jij mailt ...") and places
    ("in Ede" anywhere in the conversation)."""
    known = {w for u in units for w in _persons_in(u.text, r)} | _named_alone(units, r)
    greeted = (_GREETED.match(u.text) for u in units if u.speaker == "begeleider")
    student = {g[2] for g in greeted if g and (g[1].lower() in r.greetings or g[3]) and _is_name(g[2], r)}
    places = {m[1] for u in units for m in r.place.finditer(u.text)}
    return lambda unit: [p for p in _people(unit, r, known) if p not in student and p not in places]


def _persons_in(text: str, r: Rules) -> list[str]:
    """Names that are surely persons: inside a sentence and not after an article, or at its start when the
    sentence says who that is ("Marco is je werkbegeleider")."""
    words = re.findall(r"[\w'-]+", text) if _CAPITAL_INSIDE.search(text) else []  # most sentences have none
    inside = [w for k, w in enumerate(words[1:], 1) if words[k - 1] not in _NOT_BEFORE_NAME and _is_name(w, r)]
    first = _STARTS_WHO_IS.match(text)  # most sentences do not start so
    return inside + [first[1]] if first and _is_name(first[1], r) and _said_who(first[1], text, None, r) else inside


def _named_alone(units: list[Unit], r: Rules) -> set[str]:
    """Names said as a sentence of their own: the answer to who can help ("Marco."), or with who that is
    next ("Ruud. Die is front office manager."); not a word the conversation also uses in small letters
    ("Kaartje." beside "een kaartje")."""
    alone = {word for unit, after in zip(units, [*units[1:], None], strict=True)
             if _is_name(word := unit.text.strip(" .!?"), r)
             and (unit.topic == "contact" or (after and _said_who(word, after.text, unit.text, r)))}
    said = " ".join(u.text for u in units) if alone else ""
    return {word for word in alone if not re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", said)}


_CAPITAL_INSIDE = re.compile(r"\s[A-ZÀ-Ý]")
_STARTS_WHO_IS = re.compile(r"\W*([\w'-]+),?\s+(?:die |dat )?is\s")


def _role_word(word: str, r: Rules) -> bool:
    return word.lower().endswith(tuple(r.roles))


_GREETED = re.compile(r"\W*([\w'-]+),?\s+([\w'-]+)\s*(:?)")


# A capitalised word after these is a place or organisation ("de Schakel", "het Erasmus") or a time ("'s Ochtends").
_NOT_BEFORE_NAME = frozenset(["'s", "de", "het", "een"])


def _name_after(words: list[str], i: int, r: Rules) -> list[str]:
    name = []
    while i < len(words) and len(name) < 3:
        particle = not name and words[i].lower() in _PARTICLES and i + 1 < len(words) and _is_name(words[i + 1], r)
        if not (particle or _is_name(words[i], r)):
            break
        name.append(words[i])
        i += 1
    return name


def _is_name(word: str, r: Rules) -> bool:
    low = word.lower()
    return (bool(_NAME.fullmatch(word)) and len(word) > 2 and not word.isupper()
            and low not in r.not_names and not low.endswith(r.not_name_ends))


def _contact(units: list[Unit], step: Step | None, r: Rules) -> tuple[str | None, list[Unit]]:
    """contact: the person the student names when asked who can help; else one the begeleider names there;
    else the person of the step. Only when the conversation asked about it."""
    asked = [u for u in units if u.topic == "contact" and not u.question]
    if not asked:
        return None, []
    said = [u for u in asked if u.speaker != "begeleider"]
    told = [u for u in asked if u.speaker == "begeleider"]
    named_by = _named_by(units, r)
    for unit in said + told + (step.units if step else []):
        people = named_by(unit)
        if people:
            return people[0], [unit]
    return None, []


# --- obstacles and solutions --------------------------------------------------------------------------


def _obstacles(units: list[Unit], r: Rules) -> tuple[list[tuple[str, Unit]], list[tuple[str, Unit]]]:
    """belemmeringen and oplossingen in order, kept aligned: a solution answer with more parts than the
    obstacles before it is merged into the last one (the student gave alternatives)."""
    obstacles: list[tuple[str, Unit]] = []
    solutions: list[tuple[str, Unit]] = []
    groups: dict[int, tuple[str, list[Unit]]] = {}
    for unit in units:
        if unit.topic in ("belemmeringen", "oplossingen") and not unit.question and unit.speaker != "begeleider":
            groups.setdefault(unit.group, (unit.topic, []))[1].append(unit)
    pending = 0
    for field, group in groups.values():
        items = _items([group], r)
        if field == "belemmeringen":
            obstacles += items
            pending = len(items)
        else:
            if pending and len(items) > pending:
                head, tail = items[: pending - 1], items[pending - 1 :]
                items = [*head, ("; ".join(v for v, _ in tail), tail[0][1])]
            solutions += items
            pending = 0
    return obstacles, solutions


# --- competences --------------------------------------------------------------------------------------


def _competences(units: list[Unit], summary: dict, evidence: dict[str, list[Evidence]], r: Rules
                 ) -> tuple[list[str], list[Evidence]]:
    """Which of the five loopbaancompetenties were touched: a field that got a value, or one of the
    competence's words in what the leerling said in its phases. One piece of evidence per competence."""
    names, proof = [], []
    for name, spec in r.competences.items():
        hit = next((evidence[f][0] for f in spec.get("velden") or () if summary.get(f) and evidence.get(f)), None)
        if hit is None and spec.get("woorden"):
            pattern = _any(spec["woorden"])
            unit = next((u for u in units if u.phase in (spec.get("fasen") or ()) and u.speaker != "begeleider"
                         and not u.question and pattern.search(u.text)), None)
            hit = Evidence(unit.start, unit.end, unit.text) if unit else None
        if hit:
            names.append(name)
            proof.append(hit)
    return names, proof


# --- the learned model -------------------------------------------------------------------------------


def _signals(units: list[Unit], chosen: dict[str, list[Unit]], r: Rules) -> list[set[str]]:
    """Per sentence, what the rules see in it: the patterns of samenvatting.yaml that match, the fields
    whose rule picked it, and what the student does later in the step's phases (change it, defer it)."""
    picked: dict[int, set[str]] = {id(u): set() for u in units}
    for field, used in chosen.items():
        for unit in used:
            picked[id(unit)].add(f"regel:{field}")
    searched = [(name, _lowered(pattern).search) for name, pattern in (
        ("tijd", r.any_time), ("afspraak", r.agreement), ("verandering", r.change), ("uitstel", r.defer),
        ("stap", r.step), ("contactwoord", r.reach_out), ("kwaliteitwoord", r.quality_words),
        ("motiefwoord", r.motive_words))]
    consent, summed_up, empty = (_lowered(p).match for p in (r.consent, _SUMMARY_START, r.empty))
    out: list[set[str]] = []
    later: set[str] = set()
    for k in range(len(units) - 1, -1, -1):
        unit = units[k]
        text, own = unit.text.lower(), unit.speaker != "begeleider"
        found = {name for name, search in searched if search(text)} | {name for name, hit in (
            ("persoon", _people(unit, r, set())), ("instemming", consent(text.strip())),
            ("samenvatting", summed_up(text)), ("citaat", _QUOTED.search(text)),
            ("leeg", empty(text.strip(" ,.!?…")))) if hit}
        out.append(found | picked[id(unit)] | later | unit.echo)
        if own and unit.phase in STEP_PHASES:
            later |= {f"later_{s}" for s in found & {"verandering", "uitstel", "stap"}}
    return out[::-1]


ECHO_SHARE = 0.6  # a sentence echoes another when it holds this share of the other's content words


def _mark_echoes(units: list[Unit]) -> None:
    """What is said twice matters: a begeleider repeats the name a student gives ("Afmaken."), a student
    takes up a proposal ("zonder muziek gaat het ook"). Per sentence: "nagezegd" when one of the next two
    sentences of the other speaker holds most of its content words, "zegt_na" when it does so itself."""
    said = [content(u.text, fields.STOP) for u in units]
    for i, words in enumerate(said):
        for j in range(i + 1, min(i + 3, len(units))):
            if words and units[j].speaker != units[i].speaker and len(words & said[j]) >= ECHO_SHARE * len(words):
                units[i].echo |= {"nagezegd"}
                units[j].echo |= {"zegt_na"}


def _rows(units: list[Unit], chosen: dict[str, list[Unit]], r: Rules) -> list[dict[str, float]]:
    return fields.features(units, _signals(units, chosen, r))


@cache
def _example(path: Path, rule_path: str | None, changed: float) -> tuple[list[dict[str, float]], np.ndarray] | None:
    """An example conversation's sentences as the pipeline would see them (one segment per turn, speakers
    and phases as labelled), with labels from its gold; None without gold. Kept per file version: the
    cross-validation trains many models on the same files."""
    r = _rules(rule_path)
    gold = _gold(path)
    if not gold:
        return None
    turns = read_example(path)
    segments = [Segment(2.0 * i, 2.0 * i + 1.5, text, speaker=who, phase=phase)
                for i, (who, phase, text) in enumerate(turns)]
    units = _units(segments, r)
    return _rows(units, _by_rules(units, r), r), fields.labels(units, gold, r.phases)


def _gold(path: Path) -> dict | None:
    parts = path.read_text(encoding="utf-8").split("---", 2)
    meta = yaml.safe_load(parts[1]) if len(parts) == 3 else None
    return meta.get("gold") if isinstance(meta, dict) else None


def field_model(exclude: frozenset[str] = frozenset()) -> fields.FieldModel:
    """The model learned from the example conversations with gold (ours and the school's folders), minus
    the files named in `exclude` (to score it on conversations it has not seen)."""
    return _field_model(school_folders(), config.settings().get("samenvatting", {}).get("bestand"), exclude)


@cache
def _field_model(dirs: tuple[str, ...], rule_path: str | None, exclude: frozenset[str]) -> fields.FieldModel:
    paths = [p for p in example_paths(dirs) if p.name not in exclude]
    rule_file = Path(rule_path) if rule_path else config.PROMPTS_DIR / "samenvatting.yaml"

    def build() -> fields.FieldModel:
        data = [d for d in (_example(p, rule_path, p.stat().st_mtime) for p in paths) if d]
        rows = [row for d in data for row in d[0]]
        return fields.train(rows, np.vstack([d[1] for d in data]) if data else np.zeros((0, len(fields.FIELDS))))

    return cached("velden", [rule_file, *paths], build)


# --- public -------------------------------------------------------------------------------------------


def summarise(segments: list[Segment], *, model: fields.FieldModel | None = None
              ) -> tuple[dict, dict[str, list[Evidence]]]:
    """The export's summary fields (None or [] = niet besproken) and, per field, the quotes that support
    them; list fields have one Evidence per item, in order. `model` replaces the learned model (evaluation)."""
    return decide(read(segments, model))


@dataclass
class Reading:
    """A conversation's sentences, what the rules chose and the model's probability per sentence and field."""

    units: list[Unit]
    chosen: dict[str, list[Unit]]
    p: np.ndarray  # (sentences, fields.FIELDS)


def read(segments: list[Segment], model: fields.FieldModel | None = None) -> Reading:
    r = rules()
    units = _units(segments, r)
    chosen = _by_rules(units, r)
    return Reading(units, chosen, fields.probabilities(model or field_model(), _rows(units, chosen, r)))


def _by_rules(units: list[Unit], r: Rules) -> dict[str, list[Unit]]:
    """The sentences the rules take each field from (a signal for the model)."""
    step = _step(units, r)
    obstacles, solutions = _obstacles(units, r)
    return {
        "ervaring": _story(units, r)[1],
        "rol": _first_answer(units, "rol", r)[1],
        "kwaliteiten": [u for _, u in _qualities(units, r)],
        "motieven": [u for _, u in _items(_answers(units, "motieven"), r)],
        "inzicht": _insight(units, r)[1],
        "vervolgstap": step.units if step else [],
        "wanneer": _when(units, step, r)[1],
        "contact": _contact(units, step, r)[1],
        "belemmeringen": [u for _, u in obstacles],
        "oplossingen": [u for _, u in solutions],
    }


def decide(reading: Reading, thresholds: dict[str, float] | None = None) -> tuple[dict, dict[str, list[Evidence]]]:
    """Values from the sentences the model finds likely enough (thresholds from samenvatting.yaml, tuned by
    cross-validation on the examples); below the threshold a field stays empty: a wrong value is worse."""
    r = rules()
    t = thresholds or r.thresholds
    units, p = reading.units, reading.p
    col = {f: p[:, j] for j, f in enumerate(fields.FIELDS)}
    summary: dict = dict.fromkeys(STRING_FIELDS) | {f: [] for f in LIST_FIELDS}
    evidence: dict[str, list[Evidence]] = {}

    def put(field: str, value, used: list[Unit]) -> None:
        if value:
            summary[field] = value
            evidence[field] = _evidence(used)

    def put_items(field: str, items: list[tuple[str, Unit]]) -> None:
        put(field, [v for v, _ in items], [u for _, u in items])

    def likely(field: str) -> list[int]:
        """A question can hold the step the begeleider proposes ("Een middag meelopen bij Anouk?")."""
        return [i for i in np.argsort(-col[field], kind="stable") if col[field][i] >= t[field]
                and (not units[i].question or (field == "vervolgstap" and r.step.search(units[i].text)))]

    def told(field: str) -> list[int]:
        """What else may fill out the story or the role: likely sentences outside the step's phases."""
        return [i for i in likely(field) if units[i].phase not in STEP_PHASES]

    # The first sentence that says what kind of experience it was; searching on would only cost time.
    setting = next((i for i, u in enumerate(units) if u.phase in ("overig", "terugkijken")
                    and r.setting.search(u.text)), None)
    put("ervaring", *_widened("ervaring", _story_from(units, likely("ervaring")[:3], r), units,
                              ([] if setting is None else [setting]) + told("ervaring"), r))
    put("rol", *_widened("rol", _joined(_by_time(units, likely("rol")[:2]), r, STORY_WORDS), units, told("rol"), r))
    put("verwachtingen", *_first_answer(units, "verwachtingen", r))
    put("inzicht", *_named(units, likely("inzicht")[:1], r))
    lists = _list_items(units, col, {f: likely(f) for f in LISTED}, r)
    for field in ("kwaliteiten", "motieven"):
        put_items(field, lists[field])
    step = _final_step(units, likely("vervolgstap"), col["vervolgstap"], r)
    if step:
        # What was said about it, from just before where the step starts: not an earlier proposal it replaced.
        start = min(units.index(u) for u in step.units) - BEFORE_STEP
        about = [i for i in likely("vervolgstap") if i >= start and units[i].phase in STEP_PHASES]
        put("vervolgstap", *_widened("vervolgstap", (step.value, step.units), units, about, r))
        put("wanneer", *_pinned_down(_time_in(_by_time(units, likely("wanneer")[:2]) or step.units, r), units, r))
        # The contact helps with the step: without an agreed step there is no one to name yet.
        put("contact", *_person(units, col["contact"], t["contact"], r))
    asked, answered = _what_if(units, lists, r)
    obstacles, solutions = _paired(lists["belemmeringen"] + asked, lists["oplossingen"] + answered, units)
    put_items("belemmeringen", obstacles)
    put_items("oplossingen", solutions)
    names, proof = _competences(units, summary, evidence, r)
    if names:
        summary["competenties"], evidence["competenties"] = names, proof
    return summary, evidence


LISTED = ("kwaliteiten", "motieven", "belemmeringen", "oplossingen")
DENIABLE = ("kwaliteiten", "motieven")  # not what the student denies or asks; an obstacle may ("het mag niet")


def _by_time(units: list[Unit], picked: list[int]) -> list[Unit]:
    return [units[i] for i in sorted(picked)]


def _story_from(units: list[Unit], likely: list[int], r: Rules) -> tuple[str | None, list[Unit]]:
    """ervaring: the student's sentences from where the story most likely starts, up to about STORY_WORDS."""
    if not likely:
        return None, []
    first = min(likely)
    told = [u for u in units[first:] if u.phase == units[first].phase and not u.question and u.speaker != "begeleider"]
    return _joined(told, r, STORY_WORDS)


def _widened(field: str, core: tuple[str | None, list[Unit]], units: list[Unit], likely: list[int], r: Rules
             ) -> tuple[str | None, list[Unit]]:
    """A summarised field (ervaring, rol, vervolgstap) is one sentence in a begeleider's words that no single
    sentence said holds: the core value first, then the likeliest other sentences about it, in the order
    said, up to about the field's length in words (samenvatting.yaml: lengte)."""
    value, used = core
    if not value:
        return core
    words, count = r.lengths[field], len(_tokens(value))
    said, extra = [value], []
    for i in likely:
        if count >= words:
            break
        text = clean(units[i].text, r)
        size = len(_tokens(text))
        if (units[i] in used or not _usable(text, r) or count + size > OVERSHOOT * words
                or any(_covers(s, text) for s in said)):
            continue
        extra.append(i)
        said.append(text)
        count += size
    more = _by_time(units, extra)
    parts = [value, *(clean(u.text, r) for u in more)]
    kept = _unrepeated(parts, fixed=1)
    return _sentences([parts[i] for i in kept]), [*used, *(more[i - 1] for i in kept[1:])]


def _unrepeated(parts: list[str], fixed: int = 0) -> list[int]:
    """Which parts of a value to keep: a part whose every content word the other kept parts say already
    ("Volgende week donderdag dan." beside "Volgende week donderdag een ochtend meekijken bij Ruud.") would only
    repeat them. The shortest go first, so of two that repeat each other the longer stays; the first `fixed`
    parts always stay."""
    words = [_named_words(p) for p in parts]
    kept = list(range(len(parts)))
    for i in sorted(range(fixed, len(parts)), key=lambda i: len(_tokens(parts[i]))):
        if words[i] <= set().union(*(words[j] for j in kept if j != i)):
            kept.remove(i)
    return kept


def _named(units: list[Unit], picked: list[int], r: Rules) -> tuple[str | None, list[Unit]]:
    """inzicht: the name the likeliest sentence gives (see _name_in)."""
    for unit in _by_time(units, picked):
        value = _name_in(unit, r)
        if value:
            return value, [unit]
    return None, []


def _list_items(units: list[Unit], col: dict[str, np.ndarray], likely: dict[str, list[int]], r: Rules
                ) -> dict[str, list[tuple[str, Unit]]]:
    """Each likely sentence becomes an item of the list field it is most likely for; a begeleider's summary
    ("Dus je bent rustig en precies") gives one item per part."""
    out: dict[str, list[tuple[str, Unit]]] = {f: [] for f in LISTED}
    for field in LISTED:
        mine = [i for i in sorted(likely[field]) if max(LISTED, key=lambda f: col[f][i]) == field]
        said: list[set[str]] = []
        for i in mine:
            unit = units[i]
            summed_up = unit.speaker == "begeleider" and _SUMMARY_START.match(unit.text)
            parts = partial(_list_parts, r=r) if summed_up else None
            for value, used in _items([[unit]], r, parts):
                if ((field in DENIABLE and (r.denied.search(value) or _asks(unit, r))) or _trails_off(unit, value, r)
                        or not _says_something(value)):
                    continue
                words = set(_tokens(value))
                if not any(words <= have for have in said):
                    out[field].append((value, used))
                    said.append(words)
    return out


def _named_words(value: str) -> set[str]:
    """The words of three letters or more that are no function word: what a value names."""
    return {t for t in _tokens(value) if len(t) > 2 and t not in fields.STOP}


def _says_something(value: str) -> bool:
    """A list item names something: a word of three letters or more that is no function word ("dat wel", "als dat
    zo is" and a misheard "de" say nothing on their own). Words, not lemmas as in words.content: "dat ik door ben
    gegaan" names something, though the lemma of "gegaan", "gaan", is a function word."""
    return bool(_named_words(value))


_TRAILING = re.compile(r"(\.\.\.|…)\s*$")


def _trails_off(unit: Unit, value: str, r: Rules) -> bool:
    """The end of a sentence left open ("Dus je ging van zenuwachtig naar...", "Dat ik..."): a begeleider's
    invites the student to finish it, a student's ends before it says anything."""
    if not _TRAILING.search(unit.text) or not clean(unit.text, r).endswith(value):
        return False
    return unit.speaker == "begeleider" or _tokens(value)[-1] in fields.STOP


def _final_step(units: list[Unit], likely: list[int], p: np.ndarray, r: Rules) -> Step | None:
    """The step finally agreed: of the likely step sentences, the last one about as likely as the best; unless
    it is the begeleider's agreement ("Dan spreken we af: ..."), with the likeliest ones before it (what it
    builds on). In activeren only a changed step counts, unless vooruitkijken made none (then activeren makes
    the step); a student who defers after it ("eerst met mijn ouders praten") leaves no step."""
    talked = [i for i in likely if units[i].phase in STEP_PHASES]
    likely = [i for i in talked if _may_change_step(units[i], r)]
    if not any(units[i].phase != "activeren" for i in likely):
        likely = talked
    if not likely:
        return None
    last = max(i for i in likely if p[i] >= FINAL_SHARE * p[likely[0]])
    # What the begeleider writes down ("Dan noteer ik: ...") is what was agreed, however likely the rest.
    last = max([last] + [i for i in likely if units[i].speaker == "begeleider" and r.recorded.search(units[i].text)])
    # A deferral from either side ("je wilt eerst thuis praten") after or in the step, or before it with
    # nothing explicitly agreed since: nothing agreed yet.
    deferred = [i for i, u in enumerate(units) if u.phase in STEP_PHASES and not u.question and r.defer.search(u.text)]
    if deferred and (deferred[-1] >= last or not any(r.agreement.search(u.text) for u in units[deferred[-1]:])):
        return None
    summed_up = units[last].speaker == "begeleider" and r.agreement.search(units[last].text)
    if not summed_up and _not_taken_up(units, last, r):
        return None
    before = [] if summed_up else _builds_on(units, last, [i for i in likely if i < last])
    accepted = [] if summed_up else _accepted_with(units, last, r)
    # The agreed sentence first (with the yes and what it adds), what it builds on after it: whoever reads
    # only the first sentence, as the actieplan does, reads the step itself.
    step = _new_step([units[last], *_by_time(units, accepted), *_by_time(units, before)], r)
    return step if step.value else None


def _not_taken_up(units: list[Unit], proposal: int, r: Rules) -> bool:
    """A begeleider's proposal (options named: "Je zou kunnen ...", "Of bij ...") that the student answers only
    with "Weet niet." or "Misschien." (and nothing more in that turn): nothing was agreed."""
    if units[proposal].speaker != "begeleider":
        return False
    reply = dropwhile(lambda u: u.speaker != "leerling", units[proposal + 1:])
    turn = list(takewhile(lambda u: u.speaker == "leerling", reply))
    return bool(turn) and all(r.no_commitment.match(u.text.strip()) for u in turn)


def _builds_on(units: list[Unit], last: int, earlier: list[int]) -> list[int]:
    """The sentences the final step sentence builds on: the nearest earlier statement about the step that
    shares two content words with it (what it names: "Op het ROC heb je ook Medewerker ICT support" for
    "Dat ik meeloop bij ICT support"), then the likeliest step sentences."""
    own = content(units[last].text, fields.STOP)
    named = next((i for i in range(last - 1, -1, -1) if units[i].phase in STEP_PHASES and not units[i].question
                  and len(own & content(units[i].text, fields.STOP)) >= 2), None)
    first = [] if named is None else [named]
    return (first + [i for i in earlier if i != named])[: STEP_SENTENCES - 1]


def _accepted_with(units: list[Unit], proposal: int, r: Rules) -> list[int]:
    """A begeleider's proposal the student takes up and fills in ("O ja, dat wil ik. Bij psychologie in
    Utrecht."): the student's sentences that say yes and what they add belong to the step."""
    if units[proposal].speaker != "begeleider" or units[proposal].question:
        return []
    after = proposal + 1
    while after < len(units) and units[after].speaker == "begeleider" and not units[after].question:
        after += 1
    if after >= len(units) or units[after].speaker != "leerling" or not r.consent.match(units[after].text.strip()):
        return []
    answer = [after]
    while len(answer) < 2 and answer[-1] + 1 < len(units) and units[answer[-1] + 1].speaker == "leerling":
        answer.append(answer[-1] + 1)
    return [i for i in answer if clean(r.consent.sub("", units[i].text.strip()), r)]  # a bare "Oké." adds nothing


NAMED_WEIGHT = 10  # being named in a sentence that likely says who helps counts as this many mentions


def _person(units: list[Unit], p: np.ndarray, least: float, r: Rules) -> tuple[str | None, list[Unit]]:
    """contact: of the persons named in the step's phases (not the student), the one named most often, where
    the likeliest sentence to say who helps that names them adds NAMED_WEIGHT times its likelihood. The one
    the step is arranged with comes back, also in questions the student says yes to ("Vraag je dat zelf aan
    Jan?" "Jan. Ja."); a misheard name ("Ilte" for "Ilse") is said once. None when no sentence that names
    them is likely enough (`least`)."""
    named_by = _named_by(units, r)
    seen: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        if unit.phase in STEP_PHASES:
            for person in named_by(unit):
                seen.setdefault(person, []).append(i)
    if not seen:
        return None, []
    likeliest = {name: max(rows, key=lambda i: p[i]) for name, rows in seen.items()}
    person = max(seen, key=lambda name: len(seen[name]) + NAMED_WEIGHT * p[likeliest[name]])
    if p[likeliest[person]] < least:
        return None, []
    return _described(_full_name(person, units, r), units[likeliest[person]], units, r)


def _full_name(person: str, units: list[Unit], r: Rules) -> str:
    """The longest form of a name in the conversation: "Hanneke" -> "Hanneke de Wit"."""
    if person[0].islower():
        return person
    after = re.compile(re.escape(person) + r"((?:\s+(?:" + "|".join(_PARTICLES) + r"))*\s+[A-Z][\w'-]+)")
    forms = (person + m[1] for u in units for m in after.finditer(u.text) if _is_name(m[1].split()[-1], r))
    return max(forms, key=len, default=person)


# What follows a name to say who that is: "Linda, mijn praktijkbegeleider", "Els, de coördinator van het taalcafé",
# "Joost, dat is de chef van RVS", "mijn tante die bij de politie werkt"; or where they are: "Erik van de
# planning". In the sentence that names the contact any such phrase counts; elsewhere only one that says a role.
_WHERE = r"\s+van (?:de|het)\s[^,.;:!?]{2,40}(?!\w)|\s+die (?:bij|op|in) [^,.;:!?]{2,40}(?!\w)"
_APPOSITION = "(" + r"\s*,\s*(?:de|het|mijn|m'n|onze|jouw|je|die|dat|een)\s[^,.;:!?]{2,70}(?!\w)|" + _WHERE + ")"
_ROLE = "(" + r"\s*,\s*(?:(?:die|dat) is )?(?:de|mijn|m'n|onze)\s[^,.;:!?]{2,50}(?!\w)|" + _WHERE + ")"
# A name after a role: "de decaan, meneer Visser, ...", "mijn stagebegeleider daar, Anouk."
_NAME_AFTER_ROLE = (r"([^,.;:!?]{0,40}),\s*((?:(?:mevrouw|meneer|juf|meester)\s)?[A-Z][\w'-]+)"
                    r"(?=\s*[,.;:!?]|\s*$|\s+(?:en|die|heeft|is|was|werkt|regelt|wel)\b)")


def _described(person: str, named: Unit, units: list[Unit], r: Rules) -> tuple[str, list[Unit]]:
    """The person with who they are: from the sentence that names them, else the first sentence that says it.
    A role with a name after it ("mijn stagebegeleider daar, Anouk") becomes the name with the role."""
    called = person[0].islower() and re.search(re.escape(person) + _NAME_AFTER_ROLE, named.text, re.IGNORECASE)
    if called and _is_name(called.group(2).split()[-1], r):
        return f"{called.group(2)}, {person}{called.group(1).rstrip()}", [named]
    found = re.search(re.escape(person) + _APPOSITION, named.text, re.IGNORECASE)
    if found:
        return person + _role_words(found), [named]
    low, words = person.lower(), _norm(person)
    for before, u in zip([None, *units], units, strict=False):
        if low not in u.text.lower() and not (before and words in _norm(before.text)):
            continue  # neither it nor the sentence before names them: most sentences, and quick to tell
        found = re.search(re.escape(person) + _ROLE, u.text, re.IGNORECASE)
        said = _role_words(found) if found else _said_who(person, u.text, before.text if before else None, r)
        if said:
            return person + said, sorted({named, u}, key=units.index)
    return person, [named]


def _said_who(person: str, text: str, before: str | None, r: Rules) -> str | None:
    """Who someone is, said in a sentence of its own: "Marco is je werkbegeleider, toch?", in a clause right after
    the name ("naast Marjan, die werkt bij de bibliotheek"), or right after a sentence that ends with the name
    (`before`): "Ruud. Die is front office manager.", "Tante Nadia. Die werkt in het Mariënhof." (samenvatting.yaml:
    contact, wie_zin)."""
    said = re.match(r"\W*" + re.escape(person) + _IS_ROLE, text)
    named = not said and re.search(r"(?<!\w)" + re.escape(person) + r"\s*,", text)  # "naast Marjan, die werkt"
    does = named and r.who_says.match(text, named.end())
    if not said and not does and before and f" {_norm(before)}".endswith(f" {_norm(person)}"):
        said = re.match(r"(\s*(?:die|hij|zij|ze) is\s[^,.;:!?]{2,50}(?!\w))", text, re.IGNORECASE)
        does = not said and r.who_says.match(text)
    if does:
        clause = clean(does[0], r)
        return ", " + clause[:1].lower() + clause[1:]
    return _role_words(said) if said and _role_word(said[1].split()[-1], r) else None


_IS_ROLE = r"(,?\s+(?:die |dat )?is\s+(?:(?:je|jouw|de|mijn|m'n|onze|zijn|haar)\s+)?[^,.;:!?]{2,40}(?!\w))"


def _role_words(found: re.Match) -> str:
    """', dat is de chef van RVS' -> ', de chef van RVS'; ' is je werkbegeleider' -> ', je werkbegeleider'."""
    return re.sub(r"^\s*,?\s*(?:(?:die|dat|hij|zij|ze)\s+)?is\b", ",", found.group(1).rstrip(), flags=re.IGNORECASE)


# "En als hij nee zegt?": the begeleider names the obstacle, the student's answer is the solution.
_WHAT_IF = re.compile(r"^\W*(?:(?:en|maar|of|oké|goed|stel|dus)[,\s]+)*(?:wat (?:doe je|ga je doen|dan)[,\s]+|wat\s+)?"
                      r"(als\s+[^,?]{3,60})\?\s*$", re.IGNORECASE)


def _what_if(units: list[Unit], lists: dict[str, list[tuple[str, Unit]]], r: Rules
             ) -> tuple[list[tuple[str, Unit]], list[tuple[str, Unit]]]:
    """Obstacles the begeleider puts as a question ("En als het te druk is?") in the step's phases, each with
    the student's answer as the solution, unless the lists have them already."""
    have = {id(u) for items in lists.values() for _, u in items}
    obstacles, solutions = [], []
    for i, unit in enumerate(units[:-1]):
        found = unit.speaker == "begeleider" and unit.phase in STEP_PHASES and _WHAT_IF.match(unit.text)
        answer = units[i + 1]
        if (found and id(unit) not in have and answer.speaker == "leerling" and clean(answer.text, r)
                and _says_something(found.group(1))):
            obstacles.append((clean(found.group(1), r), unit))
            if id(answer) not in have:
                solutions.append((clean(answer.text, r), answer))
    return obstacles, solutions


def _paired(obstacles: list[tuple[str, Unit]], solutions: list[tuple[str, Unit]], units: list[Unit]
            ) -> tuple[list[tuple[str, Unit]], list[tuple[str, Unit]]]:
    """Each solution beside the obstacle it answers: the first one still without a solution in the latest
    answer that named obstacles (one answer can name several: "Mijn rooster. En ik ken er niemand."); once
    they all have one, a further solution is an alternative and joins the one before. Obstacles with a
    solution come first, in the order said, then those without, so the two lists stay side by side; a
    solution the student said before any obstacle (to one not recognised) goes last, beside whatever is left.
    The begeleider's, with no obstacle named yet, is not the student's own."""
    order = {id(u): k for k, u in enumerate(units)}
    said = sorted([(order[id(u)], 0, v, u) for v, u in obstacles] + [(order[id(u)], 1, v, u) for v, u in solutions],
                  key=lambda e: (e[0], e[1]))
    pairs: list[list] = []  # [obstacle, its unit, solution or None, its unit]
    loose: list[tuple[str, Unit]] = []
    last: list | None = None
    for _, kind, value, unit in said:
        if kind == 0:
            pairs.append([value, unit, None, None])
            continue
        if not pairs:
            if unit.speaker != "begeleider":
                loose.append((value, unit))
            continue
        latest = pairs[-1][1].group
        target = next((p for p in pairs if p[1].group == latest and p[2] is None), None)
        if target is None:  # the latest answer's obstacles all have one (so `last` is set): an alternative
            target, value = last, f"{last[2]}; {value}"
        target[2:] = [value, target[3] or unit]
        last = target
    solved = [p for p in pairs if p[2] is not None]
    unsolved = [p for p in pairs if p[2] is None]
    return [(p[0], p[1]) for p in solved + unsolved], [(p[2], p[3]) for p in solved] + loose
