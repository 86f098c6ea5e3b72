"""The vervolgstap and when it happens: the step finally agreed (a later agreement replaces an earlier proposal;
"eerst met mijn ouders praten" leaves none) and the time said for it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import dropwhile, takewhile

import numpy as np

from gesprekopname import fields
from gesprekopname.sentences import Rules, Unit, as_sentences, asks, by_time, clean, unrepeated, usable
from gesprekopname.types import OVERIG
from gesprekopname.words import content, uncapitalised

STEP_SENTENCES = 3  # the step's value: the final sentence and the proposal it sums up
BEFORE_STEP = 2  # sentences before the step's first that may still say what it is (not an earlier proposal)
FINAL_SHARE = 0.7  # a later step sentence replaces the likeliest one when at least this share as likely
STEP_PHASES = ("vooruitkijken", "activeren")  # where the vervolgstap is agreed
OBSTACLE_TALK = ("belemmeringen", "oplossingen")
PURPOSE_REACH = 4  # sentences before and after the step's own in which what it is for may be said


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
    return as_sentences([parts[i] for i in unrepeated(parts)]) or ""


def by_rules(units: list[Unit], r: Rules) -> Step | None:
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
        return _new_step([*proposal, unit] if rest and not time_in([unit], r)[0] else proposal, r)
    if not value or not usable(value, r):
        return current
    own = current is not None and current.units[-1].speaker != "begeleider"
    if own and unit.group == current.units[-1].group and len(current.units) < 3 and not time_in([unit], r)[0]:
        return _new_step([*current.units, unit], r)
    if unit.topic == "vervolgstap" and (current is None or unit.group != current.units[-1].group):
        return _new_step([unit], r)
    if r.change.search(unit.text) and r.step.search(unit.text):
        return _new_step([unit], r)
    return current


def _new_step(units: list[Unit], r: Rules) -> Step:
    return Step(_step_text(units, r), units)


def time_in(units: list[Unit], r: Rules, refused: frozenset[str] = frozenset()) -> tuple[str | None, list[Unit]]:
    """The first time pattern (in the file's order) found in any of the sentences; where it occurs more than
    once, the one that pins it down most ("Dinsdag." then "Dinsdag het zevende uur."). Not a time the sentence
    turns down ("niet in de krokusvakantie, maar woensdag"), nor one in `refused` (see refused_times)."""
    texts = [kept(u.text, r) for u in units]
    for pattern in r.times:
        found = [(m.group(0) + _time_details(text, m.end(), r), u)
                 for u, text in zip(units, texts, strict=True) for m in pattern.finditer(text)
                 if m.group(0).lower() not in refused]
        if found:
            value, unit = max(found, key=lambda f: len(f[0]))
            return uncapitalised(value), [unit]
    return None, []


def turned_down(text: str, r: Rules) -> list[tuple[int, int]]:
    """Where a sentence turns something down (samenvatting.yaml, afgewezen): "Dus niet [in de krokusvakantie
    bij Wouter], maar ...", "Wil je dat liever dan [bij Wouter]?"."""
    return [m.span("weg") if "weg" in p.groupindex else m.span() for p in r.put_aside for m in p.finditer(text)]


def refused_times(units: list[Unit], r: Rules) -> frozenset[str]:
    """The times the talk about the step turns down, lowercased: said earlier, they are no longer its time."""
    parts = (u.text[start:end] for u in units if u.phase in STEP_PHASES for start, end in turned_down(u.text, r))
    return frozenset(m.group(0).lower() for part in parts for pattern in r.times for m in pattern.finditer(part))


def kept(text: str, r: Rules) -> str:
    """The sentence with what it turns down blanked out; as long as it was, so places in it still hold."""
    for start, end in turned_down(text, r):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _time_details(text: str, end: int, r: Rules, most: int = 2) -> str:
    """What directly follows the time and pins it down: "donderdag" + " om half elf, bij de koffie"."""
    details = ""
    for _ in range(most):
        more = r.time_detail.match(text, end)
        if not more:
            break
        details, end = details + more.group(0), more.end()
    return details.rstrip()


def pinned_down(found: tuple[str | None, list[Unit]], units: list[Unit], r: Rules) -> tuple[str | None, list[Unit]]:
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


def said_back_later(found: tuple[str | None, list[Unit]], units: list[Unit], r: Rules
                    ) -> tuple[str | None, list[Unit]]:
    """A later time agreed on replaces the one found: the last time the begeleider says back on its own after it,
    in the talk about the step ("Ik dacht woensdag 3 april." ... "Dan maak ik er donderdag 4 april van."
    "Donderdag 4 april."); not one the found time already holds ("Dinsdag, het zevende uur." "Dinsdag.")."""
    value, used = found
    if not value:
        return found
    after = units.index(used[-1]) + 1
    for k in range(len(units) - 1, after - 1, -1):
        unit = units[k]
        if unit.speaker == "begeleider" and "zegt_na" in unit.echo and unit.phase in STEP_PHASES:
            said = clean(unit.text, r)
            if said.lower() not in value.lower() and r.any_time.fullmatch(said):
                student = [u for u in units[max(0, k - 2):k] if "nagezegd" in u.echo][-1:]
                return uncapitalised(said), [*student, unit]
    return found


def when(units: list[Unit], step: Step | None, r: Rules) -> tuple[str | None, list[Unit]]:
    """wanneer: a time in the step itself, else the answer to the when-question that follows the step
    (before another field is asked about), else to the last when-question before it."""
    if step is None:
        return None, []
    source = step.units[-1]
    same_group = [u for u in units if u.group == source.group and u.group >= 0 and not u.question
                  and u.speaker != "begeleider"]
    value, used = time_in(step.units + same_group, r)
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
        value, used = time_in([u for u in units if u.group == i and not u.question and u.speaker != "begeleider"], r)
        if value:
            return value, used
    return None, []


def final_step(units: list[Unit], likely: list[int], p: np.ndarray, r: Rules) -> Step | None:
    """The step finally agreed: of the likely step sentences, the last one about as likely as the best (naming
    a kind of step, where one does); unless it is the begeleider's agreement ("Dan spreken we af: ..."), with
    the likeliest ones before it (what it builds on). In activeren only a changed step counts, unless
    vooruitkijken made none (then activeren makes the step); a student who defers after it ("eerst met mijn
    ouders praten") leaves no step."""
    talk = step_talk(units)
    talked = [i for i in likely if talk[i]]
    likely = [i for i in talked if _may_change_step(units[i], r)]
    if not any(units[i].phase != "activeren" for i in likely):
        likely = talked
    if not likely:
        return None
    # Of those from the last agreement or change on, one that names a kind of step ("een dag meelopen", "open
    # dag") over one that only talks about it.
    near_best = [i for i in likely if p[i] >= FINAL_SHARE * p[likely[0]]]
    firm = [i for i in near_best if r.agreement.search(units[i].text) or r.change.search(units[i].text)]
    near_best = [i for i in near_best if i >= max(firm, default=0)]
    last = max([i for i in near_best if r.step.search(units[i].text) and not asks(units[i], r)] or near_best)
    # What the begeleider writes down ("Dan noteer ik: ...") is what was agreed, however likely the rest or itself.
    last = max([last] + [i for i, u in enumerate(units)
                         if talk[i] and u.speaker == "begeleider" and r.recorded.search(u.text)])
    # A deferral from either side ("je wilt eerst thuis praten") with nothing explicitly agreed after it:
    # nothing agreed yet. Not one about an obstacle's solution ("Hoe voorkom je dat?" "Weet niet." "Denk er nog
    # even over na.").
    deferred = [i for i, u in enumerate(units) if talk[i] and not u.question and r.defer.search(u.text)
                and u.topic not in OBSTACLE_TALK]
    if deferred and not any(r.agreement.search(u.text) for u in units[deferred[-1] + 1:]):
        return None
    summed_up = units[last].speaker == "begeleider" and r.agreement.search(units[last].text)
    if not summed_up and _not_taken_up(units, last, r):
        return None
    before = [] if summed_up else _builds_on(units, last, [i for i in likely if i < last])
    accepted = [] if summed_up else _accepted_with(units, last, r)
    # The agreed sentence first (with the yes and what it adds), what it builds on after it: whoever reads
    # only the first sentence, as the actieplan does, reads the step itself.
    step = _new_step([units[last], *by_time(units, accepted), *by_time(units, before)], r)
    return step if step.value else None


def purpose(units: list[Unit], step: Step, talk: list[bool], r: Rules) -> tuple[int, ...]:
    """The sentences near the step that say what it is for ("Dan weet je of je het binnen ook leuk vindt."): a
    begeleider who writes the step down says why, and the likeliest sentences about the step seldom do."""
    at = [units.index(u) for u in step.units]
    near = range(max(0, min(at) - PURPOSE_REACH), min(len(units), max(at) + PURPOSE_REACH + 1))
    return tuple(i for i in near if talk[i] and not units[i].question and units[i] not in step.units
                 and r.purpose.search(units[i].text))


def step_talk(units: list[Unit]) -> list[bool]:
    """Per sentence, whether a step can be agreed there: in vooruitkijken or activeren, and in talk about other
    things once those have begun (where the conversation closes with the agreement, "Wanneer heb jij
    praktijkles?" reads as planning)."""
    begun, out = False, []
    for unit in units:
        begun = begun or unit.phase in STEP_PHASES
        out.append(unit.phase in STEP_PHASES or (begun and unit.phase == OVERIG))
    return out


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


