"""The conversation as the summary reads it: the rules of prompts/samenvatting.yaml, compiled; the sentences
(`Unit`), each with who said it, its phase and the field the question before it asked for; and how a value is
cleaned of fillers and joined from sentences."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from gesprekopname import config, fields
from gesprekopname.errors import UserError
from gesprekopname.segments import sentence_offsets
from gesprekopname.types import Evidence, Segment
from gesprekopname.words import capitalised, content, conversation_spelling, respelled

LIKENESS = 80  # rapidfuzz ratio from which a question counts as one of a field's example questions
_WORD = re.compile(r"\w+")


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
    no_obstacle: re.Pattern  # says something is no obstacle ("Mijn moeder vindt het goed.")
    turned_down: re.Pattern  # the student's reply that turns down what the begeleider said ("Nee.", "Niet echt.")
    about_student: re.Pattern  # a begeleider's sentence about the student ("je", "jij")
    negation: re.Pattern  # after which "nee" agrees ("Je raakte niet in paniek." "Nee.")
    check: re.Pattern  # a question that only checks what was said ("Herken je dat?")
    confirms: re.Pattern  # a reply that takes what was just said as the name ("Dat is het eigenlijk.")
    taken_back: re.Pattern  # the speaker takes back what they just said ("Nee, wacht.")
    unfinished: re.Pattern  # a part of a summary that cannot stand alone ("jij bent iemand die")
    agreement: re.Pattern
    recorded: re.Pattern
    consent: re.Pattern
    no_commitment: re.Pattern
    change: re.Pattern
    put_aside: tuple[re.Pattern, ...]  # each with a group 'weg': what is turned down ("niet X, maar ...")
    defer: re.Pattern
    step: re.Pattern
    reach_out: re.Pattern
    purpose: re.Pattern  # what a step is for: "om te zien of ...", "Dan weet je of ..."
    setting: re.Pattern  # what kind of experience it was: stage, meeloopdag, bijbaan
    quality_words: re.Pattern  # words that name a quality (geduldig, precies) or a motive (belangrijk, hekel)
    self_image: re.Pattern  # someone says what the student is or can: "dat kan ik wel", "jij kan heel rustig"
    motive_words: re.Pattern
    times: tuple[re.Pattern, ...]
    any_time: re.Pattern  # all of them at once: is there a time in the sentence at all
    time_detail: re.Pattern  # what may follow a time and belongs to it ("om half elf", "bij de koffie")
    titles: frozenset[str]
    roles: frozenset[str]
    who_says: re.Pattern  # "Die werkt in het Mariënhof": who the person just named is
    pointers: frozenset[str]  # "die", "zij": words that point back at someone just named
    greetings: frozenset[str]
    not_names: frozenset[str]
    not_name_ends: tuple[str, ...]
    place: re.Pattern  # "in Ede", "uit Harlingen": the capitalised word is a place
    competences: dict[str, dict]
    sensitive: re.Pattern
    thresholds: dict[str, float]
    lengths: dict[str, int]  # about how many words a summarised field may take (ervaring, rol, vervolgstap)
    warnings: tuple[str, ...] = ()  # a school's file that was skipped, and why


@dataclass(eq=False)  # a sentence is itself: two "Ja." are different sentences, and identity is fast
class Unit:
    """One sentence: where it is, who said it, in which phase, and which field its question asked for."""

    start: float
    end: float
    text: str  # as read: misheard words in the conversation's own spelling (words.conversation_spelling)
    speaker: str | None
    phase: str | None
    question: bool = False
    topic: str | None = None  # the field the last question asked for (for a question: its own field)
    group: int = -1  # which question this sentence answers (index of that question)
    echo: frozenset[str] = frozenset()  # "nagezegd" (the other says it back) and/or "zegt_na" (says it back)
    said: str = ""  # verbatim, for the evidence


def any_of(patterns: list[str]) -> re.Pattern:
    """Any of the patterns, ignoring case; one that never matches for none."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


def _words(patterns: list[str]) -> re.Pattern:
    """Whole words or phrases only: 'nou' must not eat the start of 'nouveau', nor 'of zo' that of "of zo'n"."""
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?![\w'])", re.IGNORECASE)


def lowered(pattern: re.Pattern) -> re.Pattern:
    """The pattern for lowercased text, without ignoring case: Python's re is several times slower ignoring
    case, and every sentence meets a dozen of these. Looked up by the pattern's text, whose hash Python keeps
    (a compiled pattern's hash goes over its whole code, each time)."""
    return _lowercase_twin(pattern.pattern, pattern.flags)


@cache
def _lowercase_twin(source: str, flags: int) -> re.Pattern:
    """A pattern that spells a capital keeps ignoring case."""
    return re.compile(source, flags if re.search(r"(?<!\\)[A-Z]", source) else flags & ~re.IGNORECASE)


@cache
def rules_from(path: str | None) -> Rules:
    """samenvatting.yaml compiled, with a school's own file at `path` laid over it key by key; kept per path.
    A school's file with a mistake (in its YAML, its keys or a pattern) is skipped: the summary is made with
    ours, and the rules carry the warning that names the file."""
    ours = config.load_prompt("samenvatting.yaml")
    if not path:
        return _compiled(ours)
    try:
        raw = config.overlay(ours, config.load_like(Path(path), ours))
        return _compiled(raw)
    except UserError as exc:
        problem = str(exc)
    except re.error:  # a pattern that does not compile
        problem = _wrong_pattern(Path(path))
    return replace(_compiled(ours), warnings=(ours["eigen_bestand"].format(fout=problem),))


def _wrong_pattern(path: Path) -> str:
    """The first text of a school's file that is not a valid pattern, with its line: what the compiler's own
    message would not tell a school."""
    for node in _texts(config.yaml_file_tree(path)):
        if not _is_pattern(node.value):
            return (f"{path}, regel {node.start_mark.line + 1}: '{node.value}' is geen geldig patroon (kijk of elk"
                    " haakje ( en [ ook gesloten wordt).")
    return f"{path}: een patroon klopt niet."


def _texts(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            yield from _texts(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _texts(item)
    else:
        yield node


def _is_pattern(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


def _compiled(raw: dict) -> Rules:
    fields = raw["velden"]
    names = raw["contact"]
    return Rules(
        keywords={f: any_of(v.get("woorden") or []) for f, v in fields.items()},
        examples={f: tuple(normalised(q) for q in v.get("vragen") or []) for f, v in fields.items()},
        phases={f: frozenset(v.get("fasen") or ()) for f, v in fields.items()},
        probing=frozenset(f for f, v in fields.items() if v.get("doorvragen")),
        follow_up=any_of(raw["vervolgvragen"]),
        then_what=any_of(raw["na_belemmering"]),
        question_start=re.compile(r"^(?:" + "|".join(raw["vraag_start"]) + r")\b", re.IGNORECASE),
        asking=re.compile(r"^(?:" + "|".join(raw["leerling_vraag_start"]) + r")\b", re.IGNORECASE),
        filler=_words(raw["vulwoorden"]),
        intro=re.compile(r"^(?:(?:" + "|".join(raw["inleidingen"]) + r")\b[\s,.!:;…-]*)+", re.IGNORECASE),
        empty=re.compile(r"^(?:(?:" + "|".join(raw["leeg"]) + r")\b[\s,.!?;…]*)+$", re.IGNORECASE),
        denied=re.compile(r"(?<!\w)(?:" + "|".join(raw["ontkend"]) + r")$", re.IGNORECASE),
        no_obstacle=_words(raw["geen_belemmering"]),
        turned_down=re.compile(raw["afwijzing"]["antwoord"], re.IGNORECASE),
        about_student=_words(raw["afwijzing"]["over_leerling"]),
        negation=_words(raw["afwijzing"]["ontkenning"]),
        check=any_of(raw["afwijzing"]["controle"]),
        confirms=any_of(raw["bevestiging"]),
        taken_back=any_of(raw["zelfcorrectie"]),
        unfinished=re.compile(r"(?<!\w)(?:" + "|".join(raw["onaf"]["einde"]) + r")$|^(?:"
                              + "|".join(raw["onaf"]["begin"]) + r")(?!\w)", re.IGNORECASE),
        agreement=any_of(raw["afspraak"] + raw["vastleggen"]),
        recorded=any_of(raw["vastleggen"]),
        consent=any_of(raw["instemming"]),
        no_commitment=any_of(raw["geen_toezegging"]),
        change=any_of(raw["verandering"]),
        put_aside=tuple(re.compile(p, re.IGNORECASE) for p in raw["afgewezen"]),
        defer=any_of(raw["uitstel"]),
        step=any_of(raw["stapwoorden"]),
        reach_out=any_of(raw["contactwoorden"]),
        purpose=_words(raw["stapdoel"]),
        setting=_words(raw["soort_ervaring"]),
        quality_words=_words(raw["kwaliteitswoorden"]),
        self_image=_words(raw["zelfbeeld"]),
        motive_words=_words(raw["motiefwoorden"]),
        times=tuple(_words([p]) for p in raw["tijd"]),
        any_time=_words(raw["tijd"]),
        time_detail=re.compile(raw["tijd_detail"], re.IGNORECASE),
        titles=frozenset(names["titels"]),
        roles=frozenset(names["rollen"]),
        pointers=frozenset(names["verwijswoorden"]),
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
    return rules_from(config.settings().get("samenvatting", {}).get("bestand"))


def normalised(text: str) -> str:
    """Lowercased words only, one space between: what likeness and name checks compare."""
    return " ".join(_WORD.findall(text.lower()))


def tokens(text: str) -> list[str]:
    """The lowercased words of a text."""
    return _WORD.findall(text.lower())


def units_of(segments: list[Segment], r: Rules, known: frozenset[str] | None = None) -> list[Unit]:
    """Sentences with times shared out by characters, then each question's field and each answer's topic,
    and what is said back. With `known` words (a transcript), misheard words are read as the conversation
    spells them elsewhere: a name heard three ways counts as one, and a value shows it as said most."""
    spelling = conversation_spelling([seg.text for seg in segments], known) if known is not None else {}
    units = []
    for seg in segments:
        size = max(1, len(seg.text))
        span = seg.end - seg.start
        parts = sentence_offsets(seg.text)
        for i, (offset, text) in enumerate(parts):
            end = parts[i + 1][0] if i + 1 < len(parts) else size
            units.append(Unit(round(seg.start + span * offset / size, 3), round(seg.start + span * end / size, 3),
                              respelled(text.strip(), spelling), seg.speaker, seg.phase, said=text.strip()))
    _mark_questions(units, r)
    _mark_echoes(units)
    return units


def _is_question(unit: Unit, r: Rules) -> bool:
    if unit.speaker == "leerling":
        return False
    if unit.text.rstrip().endswith("?"):
        return True
    return unit.speaker == "begeleider" and bool(r.question_start.match(unit.text))


def asks(unit: Unit, r: Rules) -> bool:
    """A real question, by either speaker ("Mag dat leeg blijven?"); not a name offered with a rising tone
    ("Eh... rust in de storm?"). The student's questions are not marked as questions."""
    text = r.intro.sub("", unit.text).strip()
    return text.endswith("?") and bool(r.question_start.match(text) or r.asking.match(text))


def _field_of(text: str, phase: str | None, r: Rules) -> str | None:
    """A keyword says the field anywhere (the phase's own fields first); likeness only within the field's phases."""
    low = text.lower()
    hits = [f for f, pattern in r.keywords.items() if lowered(pattern).search(low)]
    if hits:
        return next((f for f in hits if phase in r.phases[f]), hits[0])
    norm = normalised(text)
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


def answers(units: list[Unit], field: str) -> list[list[Unit]]:
    """Per question asking for the field, the sentences the leerling (or an unknown speaker) said after it."""
    groups: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.topic == field and not unit.question and unit.speaker != "begeleider":
            groups.setdefault(unit.group, []).append(unit)
    return list(groups.values())


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
    return "" if max(map(len, tokens(text)), default=0) < 2 or r.empty.match(text) else text


# A word that opens a clause before its verb and subject ("Maar eigenlijk wil ik liever ...", "Eigenlijk is dat
# een betere stap"): without it the clause would read as a question ("Wil ik liever ...?", "Is dat ...?").
_CLAUSE_OPEN = re.compile(r"(?:^|[,.!?;:]|(?<!\w)(?:en|maar|dus|want|of))\s*$", re.IGNORECASE)
_VERB_SUBJECT = re.compile(r"\s+(?!(?:dat|die|wat|als|of|en|maar|want|toen|omdat|waar|hoe)\s)[\w'-]+\s+"
                           r"(?:ik|je|jij|we|wij|hij|zij|ze|u|dat|dit|het|er)(?!\w)", re.IGNORECASE)


_HESITATION = re.compile(r"\W*(?:e+h+m*|u+h+m*|h+m+)\W*", re.IGNORECASE)  # opens no clause: "Eh is het klaar?"


def _holds_clause_start(text: str, filler: re.Match) -> bool:
    """Checked for every filler found: the anchored look ahead first, as it mostly fails."""
    return bool(_VERB_SUBJECT.match(text, filler.end()) and _CLAUSE_OPEN.search(text[: filler.start()])
                and not _HESITATION.fullmatch(filler[0]))


def usable(text: str, r: Rules) -> bool:
    """Not sensitive, and more than function words: "Is.", "Dat was." or a misheard "De." add nothing to a value;
    a short name does ("Mo.")."""
    return any(t not in fields.STOP for t in tokens(text)) and not r.sensitive.search(text)


def evidence_of(units: list[Unit]) -> list[Evidence]:
    """The sentences as evidence: when and verbatim what was said."""
    return [Evidence(u.start, u.end, u.said) for u in units]


def joined(units: list[Unit], r: Rules, limit_words: int | None = None) -> tuple[str | None, list[Unit]]:
    """Cleaned sentences joined into one value, up to a number of words; the sentences used as evidence."""
    parts, used, count = [], [], 0
    for unit in units:
        value = clean(unit.text, r)
        if not usable(value, r):
            continue
        parts.append(value)
        used.append(unit)
        count += len(tokens(value))
        if limit_words and count >= limit_words:
            break
    return as_sentences(parts), used


def as_sentences(parts: list[str]) -> str | None:
    """Cleaned sentences as one value: each starts with a capital, as a clean may have cut its first word."""
    return ". ".join(capitalised(p) for p in parts) or None


def items_of(groups: list[list[Unit]], r: Rules, split: Callable[[str], list[str]] | None = None
           ) -> list[tuple[str, Unit]]:
    """Each answer sentence (or part of it) one item; an item already said in other words is skipped."""
    out: list[tuple[str, Unit]] = []
    for group in groups:
        for unit in group:
            for part in split(unit.text) if split else [unit.text]:
                value = clean(part, r)
                if usable(value, r) and not any(covers(v, value) for v, _ in out):
                    out.append((value, unit))
    return out


def covers(have: str, new: str) -> bool:
    """Whether every word of `new` is in `have` already."""
    new_tokens = set(tokens(new))
    return bool(new_tokens) and new_tokens <= set(tokens(have))


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


def by_time(units: list[Unit], picked: list[int]) -> list[Unit]:
    """The picked sentences in the order they were said."""
    return [units[i] for i in sorted(picked)]


def unrepeated(parts: list[str], fixed: int = 0) -> list[int]:
    """Which parts of a value to keep: a part whose every content word the other kept parts say already
    ("Volgende week donderdag dan." beside "Volgende week donderdag een ochtend meekijken bij Ruud.") would only
    repeat them. The shortest go first, so of two that repeat each other the longer stays; the first `fixed`
    parts always stay."""
    words = [named_words(p) for p in parts]
    kept = list(range(len(parts)))
    for i in sorted(range(fixed, len(parts)), key=lambda i: len(tokens(parts[i]))):
        if words[i] <= set().union(*(words[j] for j in kept if j != i)):
            kept.remove(i)
    return kept


def named_words(value: str) -> set[str]:
    """The words of three letters or more that are no function word: what a value names."""
    return {t for t in tokens(value) if len(t) > 2 and t not in fields.STOP}


