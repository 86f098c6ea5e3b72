"""What the student said, turned to another person: the jij-form for the actieplan ("Ik zet het in mijn
telefoon" becomes "Je zet het in je telefoon") and a sentence about the student for the verslag and the export
("Ik bleef rustig" becomes "Noor bleef rustig"), and back. Only what the rules are sure of is turned around;
anything else stays as said.

The verb after "ik" must agree: present tense gets its -t ("ik vraag" -> "je vraagt", "Noor vraagt"), the past
stays ("ik bleef"). A verb before "ik" stays with "je" ("dan vraag ik" -> "dan vraag je") but agrees with a name
("dan vraagt Noor"). In a clause after "dat", "als", "of" ... the verb stands later ("dat ik mensen wil helpen"
-> "dat je mensen wilt helpen"). Whether a word is a present tense comes from its dictionary form (simplemma):
"probeer" is the stem of "proberen". The word lists (irregular verbs, pronouns, clause openers) are in
prompts/persoonsvorm.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import groupby

import simplemma

from gesprekopname import config
from gesprekopname.segments import sentences
from gesprekopname.words import capitalised, lemma, uncapitalised

_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_CLAUSE_END = frozenset(",;:.!?…")
_VOWELS = "aeiouy"


@dataclass(frozen=True)
class _Person:
    """A way to turn a text: who the subject was, who it becomes, how the verbs and pronouns go along."""

    is_subject: Callable[[str], bool]
    subject: str
    agree: Callable[[str, bool], str | None]  # a finite verb -> its form with the new subject; None: no verb
    inverted_agrees: bool  # "dan vraag ik": the verb before the subject changes too
    pronouns: dict[str, str | None]  # None: a sentence with it stays as said
    reflexive: dict[str, str]  # right after the subject or its verb ("Ik voelde me klein")
    once: bool = False  # said once: "Noor zat achteraan en dacht", not "... en Noor dacht"
    agree_before: Callable[[str, bool], str | None] | None = None  # the verb before the subject, if not as agree


@cache
def rules() -> dict:
    return config.load_prompt("persoonsvorm.yaml")


def to_you(text: str) -> str | None:
    """The text in the jij-form, or None where a verb could not be turned around with certainty."""
    r = rules()
    verbs = r["werkwoorden"]["jij"]
    return _turned(text, _Person(
        is_subject=lambda token: token.lower() == "ik",
        subject="je",
        agree=lambda word, guess: _agree(word, verbs, guess),
        inverted_agrees=False,
        pronouns=r["voornaamwoorden"]["jij"],
        reflexive={},
    ))


def about(text: str, name: str) -> str | None:
    """The student's own sentence told about them by name ("Ik heb me vergist" -> "Noor heeft zich vergist"), or
    None where a verb could not be turned. Words said to the student ("Dus jij deed ...") are not turned: their
    "ik" is the begeleider."""
    r = rules()
    if said_to_student(text):
        return None
    verbs = r["werkwoorden"]["naam"]
    names = {"naam": name, "van": possessive(name)}
    return _turned(text, _Person(
        is_subject=lambda token: token.lower() == "ik",
        subject=name,
        agree=lambda word, guess: _agree(word, verbs, guess),
        inverted_agrees=True,
        pronouns={k: v and v.format(**names) for k, v in r["voornaamwoorden"]["naam"].items()},
        reflexive=r["wederkerend"]["naam"],
        once=True,
    ))


def addressed_about(text: str, name: str) -> str | None:
    """The begeleider's words to the student told about them by name ("Dus jij stond achter de kassa" -> "Dus Noa
    stond achter de kassa", "Dan loop je mee" -> "Dan loopt Noa mee"), or None where a verb or a "je" that is no
    subject ("je mentor", "ik bel je") could not be turned with certainty, and where the begeleider speaks of
    themselves too ("als ik het goed begrijp"): the actieplan, which turns the student's "ik" back to "je", would
    turn theirs as well."""
    r = rules()
    if _first_person(text):
        return None
    names = {"naam": name, "van": possessive(name)}
    to_name, before_je = _addressed_forms()
    # "je" is often anyone ("Op het mbo leer je ..."): in the present only with "jij" (or "jou", "jouw") or in a
    # summary ("Dus je pakt het systematisch aan") is it sure to be the student.
    words = [token.lower() for token in _TOKEN.findall(text)]
    anyone = not (set(words) & set(r["zeker_aangesproken"]["woorden"]) or words[:1] == r["zeker_aangesproken"]["begin"])

    def sure(agree: Callable[[str, bool], str | None]) -> Callable[[str, bool], str | None]:
        return lambda word, guess: None if anyone and not _surely_past(word.lower(), to_name) else agree(word, guess)

    return _turned(text, _Person(
        is_subject=lambda token: token.lower() in ("je", "jij"),
        subject=name,
        agree=sure(lambda word, guess: _agree_addressed(word, to_name)),
        inverted_agrees=True,
        pronouns={k: v and v.format(**names) for k, v in r["voornaamwoorden"]["aangesproken"].items()},
        reflexive=r["wederkerend"]["aangesproken"],
        once=True,
        # Before "je" the verb is said as with "ik": "loop je" -> "loopt Noa" ("kun je" -> "kan Noa").
        agree_before=sure(lambda word, guess: _agree(word, before_je, guess)),
    ))


@cache
def _addressed_forms() -> tuple[dict[str, str], dict[str, str]]:
    """The verbs said with "jij" and their form with a name ("bent" -> "is"), and the forms with a name of the verbs
    said before "je" ("kun" -> "kan")."""
    verbs = rules()["werkwoorden"]
    to_name = {verbs["jij"][stem]: said for stem, said in verbs["naam"].items() if stem in verbs["jij"]}
    return to_name, verbs["naam"] | verbs["voor_je"]


def _surely_past(word: str, present: dict[str, str]) -> bool:
    """"stond", "werkte"; not "kunt" or "loopt", which the dictionary also leads to another form of the verb."""
    return _is_past(word) and word not in present and not _stem_and_t(word)


def _agree_addressed(word: str, to_name: dict[str, str]) -> str | None:
    """The form with a name of a verb said after "jij": "bent" -> "is", "loopt" and a past as they are. Only a sure
    verb form: after "je" most words are a possessive's noun ("je stageweek zit erop")."""
    low = word.lower()
    if low in to_name:
        return to_name[low]
    if low in rules()["geen_werkwoord"]:
        return None
    return word if _tensed(low) else None


def _tensed(word: str) -> bool:
    """Surely a past or a present with "jij" or a name: "stond", "loopt", "zit"."""
    return _is_past(word) or _stem_and_t(word) or (word[-1:] in "td" and word in _stems(lemma(word)))


def _stem_and_t(word: str) -> bool:
    """"loopt" (lopen), "vraagt" (vragen): a stem and its -t, the form with "jij" or a name."""
    return word.endswith("t") and word[:-1] in _stems(lemma(word))


def back(text: str, name: str) -> str | None:
    """A sentence `about` made, in the student's words again ("Noor heeft zich vergist" -> "Ik heb me vergist"),
    so the actieplan can say it in the jij-form; None where a verb could not be turned."""
    r = rules()
    to_stem = {said: stem for stem, said in r["werkwoorden"]["naam"].items()}
    reflexive: dict[str, str] = {}
    for word, said in r["wederkerend"]["naam"].items():
        reflexive.setdefault(said, word)
    return _turned(text, _Person(
        is_subject=lambda token: token == name,
        subject="ik",
        agree=lambda word, guess: _agree_back(word, to_stem, guess),
        inverted_agrees=True,
        pronouns={possessive(name).lower(): "mijn"},
        reflexive=reflexive,
    ))


def planned(text: str, name: str) -> str | None:
    """A step said as an infinitive, without a subject ("Een dag meelopen bij Marloes, dinsdag"), as a sentence
    about the student ("Noor loopt een dag mee bij Marloes, dinsdag"); None where it is no such phrase (see
    _infinitive_at)."""
    found = list(_TOKEN.finditer(text))
    k = _infinitive_at([m.group().lower() for m in found])
    if k is None:
        return None
    verb, particle = _planned_verb(found[k].group().lower(), rules()["voornemen"])  # type: ignore[misc]
    first = found[0].group()
    before = text[: found[k].start()].strip()
    if before and simplemma.is_known(first.lower(), lang="nl") and first[1:].islower():
        before = uncapitalised(before)  # "Een dag" -> "een dag"; a name stays as it is
    after = text[found[k].end():].strip()
    joined = " ".join(filter(None, [name, verb, before, particle]))
    return joined + ("" if after[:1] in (",", ".", ";", ":", "!", "") else " ") + after


def _infinitive_at(words: list[str]) -> int | None:
    """Where the infinitive of a step said without a subject stands: the last one in the first clause (not after
    "te": "Naar de open dag gaan", "Twee dagen meelopen"), in a clause with no subject or other verb, with no
    other infinitive after it (two steps in one), not followed by a verb (then it is a subject: "Meelopen zegt meer
    dan een interview"), in a sentence that is no question, speaks of no "ik" (the other rules turn it) and adds
    no clause of its own after a comma ("..., ja, daar zit een techniek achter")."""
    r = rules()["voornemen"]
    opens = {*rules()["bijzin"], *rules()["nevenschikkend"], "om"}
    no_step = {*r["geen"], *rules()["onderwerp"]}
    end = next((k for k, w in enumerate(words) if k and (w in _CLAUSE_END or w in opens)), len(words))

    def infinitive(k: int) -> bool:
        return (k == 0 or words[k - 1] != "te") and _planned_verb(words[k], r) is not None

    def subordinate(j: int) -> bool:
        """In a clause a subordinator opens ("als hij de slagbomen komt nakijken"): part of the step, not another."""
        start = max(k for k in range(end, j + 1) if words[k] in _CLAUSE_END or words[k] in opens)
        return words[start] in rules()["bijzin"] and words[start] != "of"

    at = next((k for k in range(end - 1, -1, -1) if infinitive(k)), None)
    if (at is None or "?" in words or any(w in no_step for w in words[:end])
            or any(w in r["persoon"] for w in words)
            or any(infinitive(j) and not subordinate(j) for j in range(end, len(words)))
            or (at + 1 < len(words) and _finite(words[at + 1]))
            or len([w for w in words if w not in _CLAUSE_END]) < 3):
        return None
    clauses = [list(c) for ends, c in groupby(words[end:], lambda w: w in _CLAUSE_END) if not ends]
    if any(c[0] not in opens and any(_finite(w) for w in c) for c in clauses):
        return None
    return at


def _finite(word: str) -> bool:
    """A present or past tense: "is", "loopt", "zit", "stond"."""
    return word in rules()["werkwoorden"]["naam"].values() or _tensed(word)


def _planned_verb(word: str, r: dict) -> tuple[str, str] | None:
    """The form with a name of an infinitive, and the part it splits off: "meelopen" -> ("loopt", "mee"); a
    particle said without its verb, with the verb it means: "mee" -> ("gaat", "mee")."""
    if word in r["zonder_werkwoord"]:
        form = _named_form(r["zonder_werkwoord"][word], r)
        return (form, word) if form else None
    if not word.endswith("n") or len(word) < 4:
        return None
    for particle in sorted(r["partikels"], key=len, reverse=True):
        rest = word[len(particle):]
        if word.startswith(particle) and len(rest) >= 4 and (form := _named_form(rest, r)):
            return form, particle
    form = _named_form(word, r)
    return (form, "") if form else None


def _named_form(infinitive: str, r: dict) -> str | None:
    """"lopen" -> "loopt", "zitten" -> "zit", "gaan" -> "gaat": a form the dictionary knows as that verb's."""
    if infinitive in r["werkwoorden"]:
        return r["werkwoorden"][infinitive]
    if not infinitive.endswith("en"):
        return None
    for stem in sorted(_stems(infinitive), key=len):
        form = stem if stem.endswith("t") else stem + "t"
        if simplemma.is_known(form, lang="nl") and lemma(form) == infinitive:
            return form
    return None


def told_about(sentence: str, name: str) -> str:
    """A sentence of the student's about them, or as said between quotes where it speaks of "ik" and cannot
    be turned."""
    turned = about(sentence, name)
    if turned is not None:
        return turned
    return as_said(sentence) if _first_person(sentence) else sentence


def told_back(text: str, name: str) -> str:
    """What `told_about` made, in the student's words again."""
    quoted = re.compile(re.escape(rules()["eigen_woorden"]).replace(re.escape("{tekst}"), "(.+)"))
    return " ".join(
        found.group(1) if (found := quoted.fullmatch(sentence)) else back(sentence, name) or sentence
        for sentence in sentences(text)
    )


def as_said(text: str) -> str:
    """The student's words as said, between quotes: where they could not be turned."""
    return rules()["eigen_woorden"].format(tekst=text)


def said_to_student(text: str) -> bool:
    """Words said to the student ("Volgens mij werk jij netjes"): their "ik" and "mij" are the begeleider."""
    return any(token.lower() in rules()["tegen_de_leerling"] for token in _TOKEN.findall(text))


def _first_person(text: str) -> bool:
    words = rules()["voornaamwoorden"]["naam"].keys() | {"ik"}
    return any(token.lower() in words for token in _TOKEN.findall(text))


def possessive(name: str) -> str:
    """"Noors", "Floris'", "Noa's": the Dutch spelling of a name's possessive."""
    if name[-1:].lower() in "sxz":
        return name + "'"
    return name + ("'s" if name[-1:].lower() in "aiouy" else "s")


def _turned(text: str, person: _Person) -> str | None:
    spans = [m.span() for m in _TOKEN.finditer(text)]
    tokens = [text[a:b] for a, b in spans]
    out = list(tokens)
    anchors: set[int] = set()  # the subject and its verb: a pronoun right after them points back at it
    # After a colon someone speaks ("Zij zei: dat doet de software, ik zit ..."): their "ik" is their own.
    said = tokens.index(":") if ":" in tokens else len(tokens)
    for i, token in enumerate(tokens[:said]):
        low = token.lower()
        # "Ik voelde me klein": right after the subject or its verb a pronoun points back at it.
        pointing_back = low in person.reflexive and i - 1 in anchors
        if person.is_subject(token) and i - 1 in anchors and not pointing_back:
            return None  # "Jij voelde je klein": a "je" that may point back or be a possessive, not sure which
        verb = _turn_verb(tokens, out, i, person) if person.is_subject(token) and not pointing_back else None
        if verb is not None:
            repeated = person.once and anchors and tokens[i - 1].lower() == "en" and verb == i + 1
            out[i] = "" if repeated else person.subject
            anchors |= {i, verb}
            if repeated:
                continue
        elif pointing_back:
            out[i] = person.reflexive[low]
        elif person.is_subject(token) or (low in person.pronouns and person.pronouns[low] is None):
            return None
        elif low in person.pronouns:
            out[i] = person.pronouns[low]  # type: ignore[assignment]
        else:
            continue
        if i == 0 or tokens[i - 1] in ".!?":
            out[i] = capitalised(out[i])
    for (a, b), word in reversed(list(zip(spans, out, strict=True))):
        text = text[:a] + word + (text[b:] if word else text[b:].lstrip())
    return text


def _turn_verb(tokens: list[str], out: list[str], i: int, person: _Person) -> int | None:
    """Make the verb that goes with the subject at i agree; its index, or None when unsure."""
    r = rules()
    before = tokens[i - 1].lower() if i > 0 else ""
    if before and before not in _CLAUSE_END and before not in r["nevenschikkend"]:
        if before in r["bijzin"]:
            return _turn_final_verb(tokens, out, i, person)
        if i > 1 and tokens[i - 2].lower() in r["onderwerp"]:  # "Ik bel je": the verb has its subject
            return None
        agreed = (person.agree_before or person.agree)(tokens[i - 1], True)  # "Dan vraag ik"
        if agreed is None:
            return None
        if person.inverted_agrees:
            out[i - 1] = capitalised(agreed) if tokens[i - 1][:1].isupper() else agreed
        return i - 1
    if i + 1 >= len(tokens):
        return None
    turned = person.agree(tokens[i + 1], True)
    if turned is None:
        return None
    out[i + 1] = turned
    _turn_coordinated(tokens, out, i + 2, person)
    return i + 1


def _turn_coordinated(tokens: list[str], out: list[str], start: int, person: _Person) -> None:
    """A second verb of the same subject in the clause ("ik bel aan en vraag of ...") agrees too."""
    for k in range(start, len(tokens) - 1):
        if tokens[k] in _CLAUSE_END:
            return
        if tokens[k].lower() in rules()["nevenschikkend"] and _coordinated_verb(tokens[k + 1].lower()):
            out[k + 1] = person.agree(tokens[k + 1], True) or tokens[k + 1]


def _coordinated_verb(word: str) -> bool:
    """After "en", "maar", "dus" most words are no verb ("en de lijst", "dus bij die", "maar twintig minuten"),
    though some look like a stem ("de" of "deden"): a guessed stem counts only when its -t form is that verb's."""
    if any(word in verbs or word in verbs.values() for verbs in rules()["werkwoorden"].values()):
        return True
    stem = word[:-1] if word.endswith("t") and _present(word[:-1], guess=True) else word  # "vraagt" with a name
    form = stem if stem.endswith("t") else stem + "t"
    return len(stem) > 2 and _present(stem, guess=True) and stem in _stems(lemma(form))


def _turn_final_verb(tokens: list[str], out: list[str], i: int, person: _Person) -> int | None:
    """In a clause after "dat", "als", "of" the verb that goes with the subject comes later: the clause must
    have exactly one word that is surely a present or past tense ("dat ik het heb gedaan": heb), which agrees.
    The clause ends at a punctuation mark, or at a clause opener after its verb ("dat ik zie | wat er
    gebeurt"), unless "en", "maar" ... follow: a verb of the same "ik" may stand at the end ("dat ik aanvoel hoe
    iemand zich voelt en dan pas iets doe")."""
    r = rules()
    end = next((k for k in range(i + 1, len(tokens)) if tokens[k] in _CLAUSE_END), len(tokens))
    words = [token.lower() for token in tokens[i + 1 : end]]
    may_stop = not any(word in r["nevenschikkend"] for word in words)
    finite: list[tuple[int, str]] = []
    for k in range(i + 1, end):
        if finite and may_stop and tokens[k].lower() in r["bijzin"]:
            break
        if agreed := person.agree(tokens[k], False):
            finite.append((k, agreed))
    if len(finite) != 1:
        return None
    verb, agreed = finite[0]
    out[verb] = agreed
    return verb


def _agree(word: str, verbs: dict[str, str], guess: bool) -> str | None:
    """The form of a verb said with "ik" that goes with "je" or a name: "vraag" -> "vraagt", "ben" -> "bent" or
    "is", a past tense as it is; None for a word that is not surely a present or past tense. `guess`: where
    only a verb can stand, a stem whose dictionary form is a noun ("werk", "vraag") counts when its infinitive
    is a known word."""
    low = word.lower()
    if low in verbs:
        return verbs[low]
    if low in rules()["geen_werkwoord"]:
        return None
    if _is_past(low):
        return word
    if _present(low, guess):
        return word if low.endswith("t") else word + "t"
    return None


def _agree_back(word: str, to_stem: dict[str, str], guess: bool) -> str | None:
    """The form said with "ik" of a verb said with a name: "vraagt" -> "vraag", "is" -> "ben", "zet" -> "zet"."""
    low = word.lower()
    if low in to_stem:
        return to_stem[low]
    if low in rules()["geen_werkwoord"]:
        return None
    if low in rules()["verleden"]:
        return word
    # Before the past: "vraagt" looks like one of "vragen"; "zit" is a stem itself, not "zi" + t.
    if low.endswith("t") and _present(low[:-1], guess) and not _present(low, False):
        return word[:-1]
    if _past(low):
        return word
    return word if _present(low, guess) else None


def _is_past(word: str) -> bool:
    return word in rules()["verleden"] or _past(word)  # first: "stond" would pass for the stem of "stonden"


def _present(word: str, guess: bool) -> bool:
    """A guessed stem counts only where the dictionary knows its -t form: "vraag" (vraagt), not "zondag", whose
    plural looks like an infinitive."""
    if word in _stems(lemma(word)):
        return True
    return guess and any(word in _stems(i) for i in _infinitives(word)) and simplemma.is_known(
        word if word.endswith("t") else word + "t", lang="nl")


def _infinitives(stem: str) -> list[str]:
    """Known infinitives a stem may come from: "werk" -> werken, "vraag" -> vragen (also the plural of vraag)."""
    guesses = {stem + "en", stem + stem[-1:] + "en"}
    if len(stem) > 2 and stem[-2] == stem[-3] and stem[-2] in _VOWELS:
        guesses.add(stem[:-2] + stem[-1] + "en")
    guesses |= {g[:-3] + {"f": "v", "s": "z"}[g[-3]] + "en" for g in list(guesses) if g[-3:-2] in ("f", "s")}
    return [g for g in guesses if simplemma.is_known(g, lang="nl") and lemma(g) in (g, stem)]


def _past(word: str) -> bool:
    """A past tense of a known verb: "werkte" (werken), "bleef" (blijven); not a stem of it."""
    infinitive = lemma(word)
    return (infinitive != word and infinitive.endswith("en") and infinitive[:1] == word[:1]
            and word not in _stems(infinitive))


def _stems(infinitive: str) -> set[str]:
    """The present-tense stems an infinitive can have: "zetten" -> zet, "vragen" -> vraag, "leven" -> leef."""
    if not infinitive.endswith("en") or len(infinitive) < 4:
        return set()
    base = infinitive[:-2]
    found = {base}  # "appen" -> app
    if len(base) > 1 and base[-1] == base[-2] and base[-1] not in _VOWELS:
        base = base[:-1]
        found.add(base)
    if len(base) > 2 and base[-1] not in _VOWELS and base[-2] in _VOWELS and base[-3] not in _VOWELS:
        found.add(base[:-1] + base[-2] + base[-1])
    return {s[:-1] + {"v": "f", "z": "s"}[s[-1]] if s[-1] in "vz" else s for s in found}
