"""Who can help with the step (the contact): the persons a conversation names, leaving out the student, and who
each of them is ("Linda, je praktijkbegeleider")."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from gesprekopname.sentences import Rules, Unit, clean, normalised
from gesprekopname.vervolgstap import STEP_PHASES, Step, kept, turned_down
from gesprekopname.words import uncapitalised

_PARTICLES = ("van", "de", "der", "den", "el", "ten", "ter")  # "meneer El Amrani", "mevrouw Van Dam"
_NAME = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ]+(?:[-'][A-Za-zà-ÿ]+)*")


def persons(unit: Unit, r: Rules, known: set[str]) -> list[str]:
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
            if low in r.roles and not _says_who_is(words, i, r):
                before = words[i - 1].lower() if i else ""
                out.append(f"{before} {low}" if before in ("mijn", "m'n", "de", "haar", "zijn") else low)
        elif _is_name(word, r) and _as_name(words, i, known):
            out.append(word)
        i += 1
    return out


def _says_who_is(words: list[str], i: int, r: Rules) -> bool:
    """Whether the role at words[i] says who someone named already is ("Ja, bij Ria. Zij is de baas."): no one new."""
    said = [w.lower() for w in words[max(0, i - 3):i]]
    return len(said) == 3 and said[0] in r.pointers and said[1] == "is"


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
    """The persons a sentence names (see persons), leaving out the student (the names the begeleider greets the
    student with, "Hoi Lieke", or starts a sentence with before a colon, "Oké Lieke: jij mailt ...") and places
    ("in Ede" anywhere in the conversation)."""
    known = {w for u in units for w in _persons_in(u.text, r)} | _named_alone(units, r)
    greeted = (_GREETED.match(u.text) for u in units if u.speaker == "begeleider")
    student = {g[2] for g in greeted if g and (g[1].lower() in r.greetings or g[3]) and _is_name(g[2], r)}
    places = {m[1] for u in units for m in r.place.finditer(u.text)}
    return lambda unit: [p for p in persons(unit, r, known) if p not in student and p not in places]


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


def by_rules(units: list[Unit], step: Step | None, r: Rules) -> tuple[str | None, list[Unit]]:
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


NAMED_WEIGHT = 10  # being named in a sentence that likely says who helps counts as this many mentions


def named_most(units: list[Unit], p: np.ndarray, least: float, r: Rules) -> tuple[str | None, list[Unit]]:
    """contact: of the persons named in the step's phases (not the student), the one named most often, where
    the likeliest sentence to say who helps that names them adds NAMED_WEIGHT times its likelihood. The one
    the step is arranged with comes back, also in questions the student says yes to ("Vraag je dat zelf aan
    Jan?" "Jan. Ja."); a misheard name ("Ilte" for "Ilse") is said once. Not one the step turns down ("Dus niet
    bij Wouter, maar ..."). None when no sentence that names them is likely enough (`least`)."""
    named_by = _named_by(units, r)
    seen: dict[str, list[int]] = {}
    refused: set[str] = set()
    for i, unit in enumerate(units):
        if unit.phase in STEP_PHASES:
            people = named_by(unit)
            for person in people:
                seen.setdefault(person, []).append(i)
            refused |= _turned_down_only(unit.text, people, r)
    seen = {name: rows for name, rows in seen.items() if name not in refused}
    if not seen:
        return None, []
    likeliest = {name: max(rows, key=lambda i: p[i]) for name, rows in seen.items()}
    person = max(seen, key=lambda name: len(seen[name]) + NAMED_WEIGHT * p[likeliest[name]])
    if p[likeliest[person]] < least:
        return None, []
    return _described(_full_name(person, units, r), units[likeliest[person]], units, r)


def _turned_down_only(text: str, people: list[str], r: Rules) -> set[str]:
    """The persons a sentence names only in what it turns down."""
    parts = [text[start:end] for start, end in turned_down(text, r)] if people else []
    return {p for p in people if any(p in part for part in parts) and p not in kept(text, r)}


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
    low, words = person.lower(), normalised(person)
    for before, u in zip([None, *units], units, strict=False):
        if low not in u.text.lower() and not (before and words in normalised(before.text)):
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
    if not said and not does and before and f" {normalised(before)}".endswith(f" {normalised(person)}"):
        said = re.match(r"(\s*(?:" + "|".join(r.pointers) + r") is\s[^,.;:!?]{2,50}(?!\w))", text, re.IGNORECASE)
        does = not said and r.who_says.match(text)
    if does:
        clause = clean(does[0], r)
        return ", " + uncapitalised(clause)
    return _role_words(said) if said and _role_word(said[1].split()[-1], r) else None


_IS_ROLE = r"(,?\s+(?:die |dat )?is\s+(?:(?:je|jouw|de|mijn|m'n|onze|zijn|haar)\s+)?[^,.;:!?]{2,40}(?!\w))"


def _role_words(found: re.Match) -> str:
    """', dat is de chef van RVS' -> ', de chef van RVS'; ' is je werkbegeleider' -> ', je werkbegeleider'."""
    return re.sub(r"^\s*,?\s*(?:\w+\s+)?is\b", ",", found.group(1).rstrip(), flags=re.IGNORECASE)


