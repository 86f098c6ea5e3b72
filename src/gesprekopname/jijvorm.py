"""The student's own words in the jij-form, for the actieplan: "Ik zet het in mijn telefoon" becomes "Je zet het
in je telefoon". Only what the rules are sure of is turned around; anything else stays as said, between quotes.

The verb after "ik" must agree with "je": present tense gets its -t ("ik vraag" -> "je vraagt"), the past and a
verb before "ik" stay ("ik bleef", "dan vraag ik" -> "dan vraag je"). In a clause after "dat", "als", "of" ...
the verb stands later ("dat ik mensen wil helpen" -> "dat je mensen wilt helpen"). Whether a word is a present
tense comes from its dictionary form (simplemma): "probeer" is the stem of "proberen". The word lists (irregular
verbs, clause openers) are in prompts/verslag.yaml (actieplan: jij_vorm).
"""

from __future__ import annotations

import re

import simplemma

from gesprekopname.words import lemma

_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_CLAUSE_END = frozenset(",;:.!?…")
_VOWELS = "aeiouy"


def to_you(text: str, rules: dict) -> str | None:
    """The text in the jij-form, or None where a verb could not be turned around with certainty."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    tokens = [text[a:b] for a, b in spans]
    out = list(tokens)
    for i, token in enumerate(tokens):
        low = token.lower()
        if low == "ik":
            if not _turn_verb(tokens, out, i, rules):
                return None
            out[i] = "Je" if token[0].isupper() else "je"
        elif low in rules["voornaamwoorden"]:
            word = rules["voornaamwoorden"][low]
            out[i] = word.capitalize() if token[0].isupper() else word
    for (a, b), word in reversed(list(zip(spans, out, strict=True))):
        text = text[:a] + word + text[b:]
    return text


def _turn_verb(tokens: list[str], out: list[str], i: int, rules: dict) -> bool:
    """Make the verb that goes with "ik" at i agree with "je"; False when unsure."""
    before = tokens[i - 1].lower() if i > 0 else ""
    if before and before not in _CLAUSE_END and before not in rules["nevenschikkend"]:
        if before in rules["bijzin"]:
            return _turn_final_verb(tokens, out, i, rules)
        return _is_verb(before, rules, guess=True)  # "Dan vraag ik": the same verb goes with "je"
    if i + 1 >= len(tokens):
        return False
    turned = _agree(tokens[i + 1], rules, guess=True)
    if turned is None:
        return False
    out[i + 1] = turned
    _turn_coordinated(tokens, out, i + 2, rules)
    return True


def _turn_coordinated(tokens: list[str], out: list[str], start: int, rules: dict) -> None:
    """A second verb of the same "ik" in the clause ("ik bel aan en vraag of ...") agrees too."""
    for k in range(start, len(tokens) - 1):
        if tokens[k] in _CLAUSE_END:
            return
        if tokens[k].lower() in rules["nevenschikkend"] and _coordinated_verb(tokens[k + 1].lower(), rules):
            out[k + 1] = _agree(tokens[k + 1], rules, guess=True) or tokens[k + 1]


def _coordinated_verb(word: str, rules: dict) -> bool:
    """After "en", "maar", "dus" most words are no verb ("en de lijst", "dus bij die", "maar twintig minuten"),
    though some look like a stem ("de" of "deden"): a guessed stem counts only when its -t form is that verb's."""
    if word in rules["werkwoorden"]:
        return True
    form = word if word.endswith("t") else word + "t"
    return len(word) > 2 and _present(word, guess=True) and word in _stems(lemma(form))


def _turn_final_verb(tokens: list[str], out: list[str], i: int, rules: dict) -> bool:
    """In a clause after "dat", "als", "of" the verb that goes with "ik" comes later: the clause must have
    exactly one word that is surely a present or past tense ("dat ik het heb gedaan": heb), which agrees. The
    clause ends at a punctuation mark, or at a clause opener after its verb ("dat ik zie | wat er gebeurt"),
    unless "en", "maar" ... follow: a verb of the same "ik" may stand at the end ("dat ik aanvoel hoe iemand
    zich voelt en dan pas iets doe")."""
    end = next((k for k in range(i + 1, len(tokens)) if tokens[k] in _CLAUSE_END), len(tokens))
    words = [token.lower() for token in tokens[i + 1 : end]]
    may_stop = not any(word in rules["nevenschikkend"] for word in words)
    finite: list[tuple[int, str]] = []
    for k in range(i + 1, end):
        if finite and may_stop and tokens[k].lower() in rules["bijzin"]:
            break
        if agreed := _agree(tokens[k], rules, guess=False):
            finite.append((k, agreed))
    if len(finite) != 1:
        return False
    verb, agreed = finite[0]
    out[verb] = agreed
    return True


def _agree(word: str, rules: dict, guess: bool) -> str | None:
    """The form that goes with "je": "vraag" -> "vraagt", "ben" -> "bent", a past tense as it is; None for a
    word that is not surely a present or past tense. `guess`: where only a verb can stand, a stem whose
    dictionary form is a noun ("werk", "vraag") counts when its infinitive is a known word."""
    low = word.lower()
    if low in rules["werkwoorden"]:
        return rules["werkwoorden"][low]
    if low in rules["geen_werkwoord"]:
        return None
    if low in rules["verleden"] or _past(low):  # first: "stond" would pass for the stem of "stonden"
        return word
    if _present(low, guess):
        return word if low.endswith("t") else word + "t"
    return None


def _present(word: str, guess: bool) -> bool:
    return word in _stems(lemma(word)) or (guess and any(word in _stems(i) for i in _infinitives(word)))


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


def _is_verb(word: str, rules: dict, guess: bool) -> bool:
    return _agree(word, rules, guess) is not None


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
