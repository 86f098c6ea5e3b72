"""Summary fields with evidence: what the student told, named and agreed, taken from the conversation itself.

Deterministic and offline, in two layers. The rules of prompts/samenvatting.yaml read the conversation sentence
by sentence (sentences.py): which field a begeleider's question asks for (keywords, likeness to example
questions), what fillers, times, people, agreements, changes and deferrals look like, and which sentences they
would take each field from (the step and its time in vervolgstap.py, who helps in contact.py). A model learned
from the example conversations (fields.py) then scores every sentence per field, with those rule signals among
its features, so a paraphrased question or a misheard keyword still finds the answer. Values come from the
sentences above a field's threshold (tuned by cross-validation on the examples), cleaned of fillers, with a word
misheard once in the spelling the conversation uses elsewhere (a name heard three ways is one name); evidence
quotes the sentences verbatim. When nothing is likely enough, a field stays None ("niet besproken"): a wrong
value is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial
from itertools import islice, takewhile
from pathlib import Path

import numpy as np
import yaml

from gesprekopname import config, contact, fields, jijvorm, vervolgstap
from gesprekopname.cache import cached
from gesprekopname.examples import example_paths, read_example, school_folders, spoken_words
from gesprekopname.segments import sentences
from gesprekopname.sentences import (
    Rules,
    Unit,
    answers,
    any_of,
    as_sentences,
    asks,
    by_time,
    clean,
    covers,
    evidence_of,
    items_of,
    joined,
    lowered,
    named_words,
    rules,
    rules_from,
    tokens,
    units_of,
    unrepeated,
    usable,
)
from gesprekopname.types import TOLD_ABOUT, Evidence, Segment

STRING_FIELDS = ("ervaring", "rol", "verwachtingen", "inzicht", "vervolgstap", "wanneer", "contact")
LIST_FIELDS = ("kwaliteiten", "motieven", "belemmeringen", "oplossingen", "competenties")
FIELDS = ("ervaring", "rol", "verwachtingen", "kwaliteiten", "motieven", "inzicht",
          "vervolgstap", "wanneer", "contact", "belemmeringen", "oplossingen", "competenties")
STORY_WORDS = 45  # the ervaring: the student's first sentences about the experience, up to about this many words
ANSWER_SENTENCES = 3
OVERSHOOT = 1.3  # a widened field may end up this much longer than its length when the last sentence is long
NAMING_PHASES = ("reflecteren", "vooruitkijken")  # where an insight is named (or late, decoded as the next phase)
_SUMMARY_START = re.compile(r"^(dus|je bent|jij bent|dan ben je|zo te horen)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“”']([^\"“”']{3,})[\"“”']")


def _story(units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
    """ervaring: what the student told first about the experience (not the role or what was expected)."""
    told = [u for u in units if u.topic in (None, "ervaring") and u.phase in r.phases["ervaring"]
            and not u.question and u.speaker != "begeleider"]
    return joined(told, r, STORY_WORDS)


def _first_answer(units: list[Unit], field: str, r: Rules) -> tuple[str | None, list[Unit]]:
    for group in answers(units, field):
        value, used = joined(group[:ANSWER_SENTENCES], r)
        if value:
            return value, used
    return None, []


def _summary_items(units: list[Unit], field: str, r: Rules) -> list[tuple[str, Unit]]:
    """The begeleider's summaries in the field's topic ("Dus je bent betrouwbaar"), split into parts."""
    said = [u for u in units if u.topic == field and u.speaker == "begeleider" and not u.question
            and _SUMMARY_START.match(u.text)]
    return items_of([said], r, partial(_list_parts, r=r))


def _list_parts(text: str, r: Rules) -> list[str]:
    """"Dus je bent rustig, precies en eerlijk": one part each. A sentence whose parts cannot stand alone
    ("jij bent iemand die, als het misgaat, ...") stays whole."""
    text = re.sub(r"^(dus|je bent|jij bent)\b[\s,:]*", "", text, flags=re.IGNORECASE)
    parts = [p.strip() for p in re.split(r",\s*(?:en\s+)?|\s+en\s+", text) if p.strip()]
    return [text] if any(r.unfinished.search(p.rstrip(" .!?…")) for p in parts) else parts


def _qualities(units: list[Unit], r: Rules) -> list[tuple[str, Unit]]:
    items = items_of(answers(units, "kwaliteiten"), r)
    for value, unit in _summary_items(units, "kwaliteiten", r):
        if not any(covers(v, value) for v, _ in items):
            items.append((value, unit))
    return items


def _insight(units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
    """inzicht: the name the student gives, in the last answer to the naming question; a quoted phrase in
    the answer is that name, and so is the sentence the begeleider says after them ("Eerst kijken, dan doen.");
    a single word said back ("Stal?") is a check, not a name. Without such an answer, the last sentence
    confirmed as the name."""
    asked = [unit for group in answers(units, "inzicht")[-1:] for unit in
             sorted(group, key=lambda u: not ("nagezegd" in u.echo and len(tokens(u.text)) > 1))]
    for unit in [*asked, *reversed(_confirmed(units, r))]:
        value = _name_in(unit, r)
        if value:
            return value, [unit]
    return None, []


def _confirmed(units: list[Unit], r: Rules) -> list[Unit]:
    """Without the naming question: a student's sentence that one of the next two confirms as the name
    ("Ik hou van een beetje chaos." "Dat is het eigenlijk.", or the begeleider's "Mooi gezegd.")."""
    confirming = [bool(r.confirms.search(unit.text)) for unit in units]  # the pattern ignores case
    return [unit for k, unit in enumerate(units) if unit.speaker == "leerling" and unit.phase in NAMING_PHASES
            and not confirming[k] and any(confirming[k + 1:k + 3])]


def _name_in(unit: Unit, r: Rules) -> str | None:
    """The name a sentence gives an insight: a quoted phrase in it, else the sentence; a question
    ("Mag dat leeg blijven?") names nothing."""
    if asks(unit, r):
        return None
    quoted = _QUOTED.search(unit.text)
    value = clean(quoted.group(1) if quoted else unit.text, r)
    return value if usable(value, r) else None


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
        items = items_of([group], r)
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


def _competences(units: list[Unit], summary: dict, evidence: dict[str, list[Evidence]], r: Rules
                 ) -> tuple[list[str], list[Evidence]]:
    """Which of the five loopbaancompetenties were touched: a field that got a value, or one of the
    competence's words in what the leerling said in its phases. One piece of evidence per competence."""
    names, proof = [], []
    for name, spec in r.competences.items():
        hit = next((evidence[f][0] for f in spec.get("velden") or () if summary.get(f) and evidence.get(f)), None)
        if hit is None and spec.get("woorden"):
            pattern = any_of(spec["woorden"])
            unit = next((u for u in units if u.phase in (spec.get("fasen") or ()) and u.speaker != "begeleider"
                         and not u.question and pattern.search(u.text)), None)
            hit = Evidence(unit.start, unit.end, unit.said) if unit else None
        if hit:
            names.append(name)
            proof.append(hit)
    return names, proof


def _signals(units: list[Unit], chosen: dict[str, list[Unit]], r: Rules) -> list[set[str]]:
    """Per sentence, what the rules see in it: the patterns of samenvatting.yaml that match, the fields
    whose rule picked it, and what the student does later in the step's phases (change it, defer it)."""
    picked: dict[int, set[str]] = {id(u): set() for u in units}
    for field, used in chosen.items():
        for unit in used:
            picked[id(unit)].add(f"regel:{field}")
    searched = [(name, lowered(pattern).search) for name, pattern in (
        ("tijd", r.any_time), ("afspraak", r.agreement), ("verandering", r.change), ("uitstel", r.defer),
        ("stap", r.step), ("contactwoord", r.reach_out), ("kwaliteitwoord", r.quality_words),
        ("motiefwoord", r.motive_words), ("zelfbeeld", r.self_image))]
    consent, summed_up, empty = (lowered(p).match for p in (r.consent, _SUMMARY_START, r.empty))
    out: list[set[str]] = []
    later: set[str] = set()
    for k in range(len(units) - 1, -1, -1):
        unit = units[k]
        text, own = unit.text.lower(), unit.speaker != "begeleider"
        found = {name for name, search in searched if search(text)} | {name for name, hit in (
            ("persoon", contact.persons(unit, r, set())), ("instemming", consent(text.strip())),
            ("samenvatting", summed_up(text)), ("citaat", _QUOTED.search(text)),
            ("leeg", empty(text.strip(" ,.!?…")))) if hit}
        out.append(found | picked[id(unit)] | later | unit.echo)
        if own and unit.phase in vervolgstap.STEP_PHASES:
            later |= {f"later_{s}" for s in found & {"verandering", "uitstel", "stap"}}
    return out[::-1]


def _rows(units: list[Unit], chosen: dict[str, list[Unit]], r: Rules) -> list[dict[str, float]]:
    return fields.features(units, _signals(units, chosen, r))


@cache
def _example(path: Path, rule_path: str | None, changed: float) -> tuple[list[dict[str, float]], np.ndarray] | None:
    """An example conversation's sentences as the pipeline would see them (one segment per turn, speakers
    and phases as labelled), with labels from its gold; None without gold. Kept per file version: the
    cross-validation trains many models on the same files."""
    r = rules_from(rule_path)
    gold = _gold(path)
    if not gold:
        return None
    turns = read_example(path)
    segments = [Segment(2.0 * i, 2.0 * i + 1.5, text, speaker=who, phase=phase)
                for i, (who, phase, text) in enumerate(turns)]
    units = units_of(segments, r)
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


def rule_warnings() -> list[str]:
    """A school's summary file that was skipped, and why: for the begeleider, on screen and in the export."""
    return list(rules().warnings)


def summarise(segments: list[Segment], *, model: fields.FieldModel | None = None, name: str | None = None
              ) -> tuple[dict, dict[str, list[Evidence]]]:
    """The export's summary fields (None or [] = niet besproken) and, per field, the quotes that support
    them; list fields have one Evidence per item, in order. `model` replaces the learned model (evaluation);
    `name`: the student's, to tell the ervaring, rol and vervolgstap about them."""
    return decide(read(segments, model), name=name)


@dataclass
class Reading:
    """A conversation's sentences, what the rules chose and the model's probability per sentence and field."""

    units: list[Unit]
    chosen: dict[str, list[Unit]]
    p: np.ndarray  # (sentences, fields.FIELDS)


def read(segments: list[Segment], model: fields.FieldModel | None = None, known: frozenset[str] | None = None
         ) -> Reading:
    """`known`: the words never taken for misheard (default: the example conversations')."""
    r = rules()
    units = units_of(segments, r, spoken_words(school_folders()) if known is None else known)
    chosen = _by_rules(units, r)
    return Reading(units, chosen, fields.probabilities(model or field_model(), _rows(units, chosen, r)))


def _by_rules(units: list[Unit], r: Rules) -> dict[str, list[Unit]]:
    """The sentences the rules take each field from (a signal for the model)."""
    step = vervolgstap.by_rules(units, r)
    obstacles, solutions = _obstacles(units, r)
    return {
        "ervaring": _story(units, r)[1],
        "rol": _first_answer(units, "rol", r)[1],
        "kwaliteiten": [u for _, u in _qualities(units, r)],
        "motieven": [u for _, u in items_of(answers(units, "motieven"), r)],
        "inzicht": _insight(units, r)[1],
        "vervolgstap": step.units if step else [],
        "wanneer": vervolgstap.when(units, step, r)[1],
        "contact": contact.by_rules(units, step, r)[1],
        "belemmeringen": [u for _, u in obstacles],
        "oplossingen": [u for _, u in solutions],
    }


def decide(reading: Reading, thresholds: dict[str, float] | None = None, name: str | None = None
           ) -> tuple[dict, dict[str, list[Evidence]]]:
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
            summary[field] = _about(value, used, name, r, field) if name and field in TOLD_ABOUT else value
            evidence[field] = evidence_of(used)

    def put_items(field: str, items: list[tuple[str, Unit]]) -> None:
        put(field, [v for v, _ in items], [u for _, u in items])

    def likely(field: str) -> list[int]:
        """A question can hold the step the begeleider proposes ("Een middag meelopen bij Anouk?")."""
        return [i for i in np.argsort(-col[field], kind="stable") if col[field][i] >= t[field]
                and (not units[i].question or (field == "vervolgstap" and r.step.search(units[i].text)))]

    talk = vervolgstap.step_talk(units)

    def told(field: str) -> list[int]:
        """What else may fill out the story or the role: likely sentences outside the talk about the step."""
        return [i for i in likely(field) if not talk[i]]

    # The first sentence that says what kind of experience it was, from before the talk turns to the future:
    # the closing planning ("Wanneer heb jij praktijkles?") names lessons and stage days, not the experience.
    opening = takewhile(lambda iu: iu[1].phase not in vervolgstap.STEP_PHASES, enumerate(units))
    setting = next((i for i, u in opening if u.phase in ("overig", "terugkijken")
                    and r.setting.search(u.text)), None)
    story, role = told("ervaring"), told("rol")
    put("ervaring", *_widened("ervaring", _story_from(units, story[:3], r), units,
                              ([] if setting is None else [setting]) + story, r))
    put("rol", *_widened("rol", joined(by_time(units, role[:2]), r, STORY_WORDS), units, role, r))
    put("verwachtingen", *_first_answer(units, "verwachtingen", r))
    put("inzicht", *_named(units, likely("inzicht")[:1], r))
    lists = _list_items(units, col, {f: likely(f) for f in LISTED}, r)
    for field in ("kwaliteiten", "motieven"):
        put_items(field, lists[field])
    step = vervolgstap.final_step(units, likely("vervolgstap"), col["vervolgstap"], r)
    if step:
        # What was said about it, from just before where the step starts: not an earlier proposal it replaced.
        start = min(units.index(u) for u in step.units) - vervolgstap.BEFORE_STEP
        about = [i for i in likely("vervolgstap") if i >= start and talk[i]]
        put("vervolgstap", *_widened("vervolgstap", (step.value, step.units), units, about, r,
                                     vervolgstap.purpose(units, step, talk, r)))
        when = vervolgstap.time_in(by_time(units, likely("wanneer")[:2]) or step.units, r,
                                   vervolgstap.refused_times(units, r))
        put("wanneer", *vervolgstap.pinned_down(vervolgstap.said_back_later(when, units, r), units, r))
        # The contact helps with the step: without an agreed step there is no one to name yet.
        put("contact", *contact.named_most(units, col["contact"], t["contact"], r))
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


def _story_from(units: list[Unit], likely: list[int], r: Rules) -> tuple[str | None, list[Unit]]:
    """ervaring: the student's sentences from where the story most likely starts, up to about STORY_WORDS."""
    if not likely:
        return None, []
    first = min(likely)
    told = [u for u in units[first:] if u.phase == units[first].phase and not u.question and u.speaker != "begeleider"]
    return joined(told, r, STORY_WORDS)


def _widened(field: str, core: tuple[str | None, list[Unit]], units: list[Unit], likely: list[int], r: Rules,
             always: tuple[int, ...] = ()) -> tuple[str | None, list[Unit]]:
    """A summarised field (ervaring, rol, vervolgstap) is one sentence in a begeleider's words that no single
    sentence said holds: the core value first, then the likeliest other sentences about it, in the order
    said, up to about the field's length in words (samenvatting.yaml: lengte); `always` come first, whatever the
    length (what the step is for)."""
    value, used = core
    if not value:
        return core
    words, count = r.lengths[field], len(tokens(value))
    said, extra = [value], []
    for i in [*always, *likely]:
        free = i in always
        if count >= words and not free:
            break
        text = clean(units[i].text, r)
        size = 0 if free else len(tokens(text))
        if (units[i] in used or not usable(text, r) or count + size > OVERSHOOT * words
                or any(covers(s, text) for s in said)):
            continue
        extra.append(i)
        said.append(text)
        count += size
    more = by_time(units, extra)
    parts = [value, *(clean(u.text, r) for u in more)]
    kept = unrepeated(parts, fixed=1)
    return as_sentences([parts[i] for i in kept]), [*used, *(more[i - 1] for i in kept[1:])]


def _about(value: str, used: list[Unit], name: str, r: Rules, field: str) -> str:
    """The student's own sentences in a value told about them ("Ik bleef rustig" -> "Noor bleef rustig"); one the
    rules cannot turn stays as said, between quotes. The begeleider's words to the student are told about them
    too ("Dus jij stond achter de kassa" -> "Dus Noor stond achter de kassa") where the rules are sure; else, and
    where the begeleider speaks of themselves, they stay as they are. The step itself (the vervolgstap's first
    sentence) said without a subject ("Een dag meelopen bij Marloes") is what the student will do: "Noor loopt een
    dag mee bij Marloes"; what it builds on stays as said."""
    theirs = [clean(u.text, r).lower() for u in used if u.speaker == "leerling"]
    others = [clean(u.text, r).lower() for u in used if u.speaker != "leerling"]
    told = []
    for n, sentence in enumerate(sentences(value)):
        said = sentence.rstrip(".!?…").lower()
        own = any(said in text for text in theirs) and not any(said in text for text in others)
        planned = jijvorm.planned(sentence, name) if field == "vervolgstap" and n == 0 else None
        told.append(planned or (jijvorm.told_about(sentence, name) if own
                                else jijvorm.addressed_about(sentence, name) or sentence))
    return " ".join(told)


def _named(units: list[Unit], picked: list[int], r: Rules) -> tuple[str | None, list[Unit]]:
    """inzicht: the name the likeliest sentence gives (see _name_in); one the student takes back at once gives way
    to the name said after that ("“Ik word beter van druk.” Nee, wacht. “Ik heb tempo en een team nodig.”")."""
    for k in sorted(picked):
        unit = _instead(units, k, r)
        value = _name_in(unit, r) if unit else None
        if value:
            return value, [unit]
    return None, []


def _instead(units: list[Unit], k: int, r: Rules) -> Unit | None:
    """The sentence itself, or, where the speaker's next sentence takes it back (samenvatting.yaml:
    zelfcorrectie), the one they say after that (None when they say nothing more)."""
    own = [u for u in units[k + 1:k + 3] if u.speaker == units[k].speaker]
    if not (own and r.taken_back.search(own[0].text)):
        return units[k]
    return own[1] if len(own) > 1 else None


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
            for value, used in items_of([[unit]], r, parts):
                if ((field in DENIABLE and (r.denied.search(value) or asks(unit, r) or _turned_down(units, i, r)))
                        or (field == "belemmeringen" and r.no_obstacle.search(value))
                        or _trails_off(unit, value, r) or not _says_something(value)):
                    continue
                words = set(tokens(value))
                if not any(words <= have for have in said):
                    out[field].append((value, used))
                    said.append(words)
    return out


def _turned_down(units: list[Unit], i: int, r: Rules) -> bool:
    """The begeleider's last word about the student in a turn, which the student's reply turns down ("Ik denk dat je
    geduldig bent. Zo'n lange heg." "Nee.") and does not then accept ("Nee hoor. Ja, wel."). Not after a negation in the
    turn ("Je raakte niet in paniek." "Nee."), where "nee" agrees, nor where the turn ends in a question other
    than a check ("Herken je dat?"): the reply answers that question."""
    if units[i].speaker != "begeleider":
        return False
    start, end = i, i
    while start > 0 and units[start - 1].speaker == "begeleider":
        start -= 1
    while end + 1 < len(units) and units[end + 1].speaker == "begeleider":
        end += 1
    turn = units[start:end + 1]
    reply = list(takewhile(lambda u: u.speaker == "leerling", islice(units, end + 1, None)))  # no copy of the rest
    claims = [u for u in turn if not u.question and r.about_student.search(u.text)]
    return (bool(reply) and claims[-1:] == [units[i]] and bool(r.turned_down.match(reply[0].text.strip()))
            and not any(r.consent.match(u.text.strip()) for u in reply)
            and not any(r.negation.search(u.text) for u in turn)
            and (not turn[-1].question or bool(r.check.search(turn[-1].text))))


def _says_something(value: str) -> bool:
    """A list item names something: a word of three letters or more that is no function word ("dat wel", "als dat
    zo is" and a misheard "de" say nothing on their own). Words, not lemmas as in words.content: "dat ik door ben
    gegaan" names something, though the lemma of "gegaan", "gaan", is a function word."""
    return bool(named_words(value))


_TRAILING = re.compile(r"(\.\.\.|…)\s*$")


def _trails_off(unit: Unit, value: str, r: Rules) -> bool:
    """The end of a sentence left open ("Dus je ging van zenuwachtig naar...", "Dat ik..."): a begeleider's
    invites the student to finish it, a student's ends before it says anything."""
    if not _TRAILING.search(unit.text) or not clean(unit.text, r).endswith(value):
        return False
    return unit.speaker == "begeleider" or tokens(value)[-1] in fields.STOP


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
        found = unit.speaker == "begeleider" and unit.phase in vervolgstap.STEP_PHASES and _WHAT_IF.match(unit.text)
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


