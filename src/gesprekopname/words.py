"""Words and their dictionary forms (simplemma, Dutch): how the stages that compare what was said see a text."""

from __future__ import annotations

import re
from functools import cache

import simplemma

WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:\"']")  # between two words: the second may start a sentence
MIN_RESPELLED = 4  # shorter words are too alike ("dat", "wat") to be told apart by the letters alone


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def uncapitalised(text: str) -> str:
    """A value that goes inside a sentence: "Donderdag" -> "donderdag" (a name in it stays as it is)."""
    return text[:1].lower() + text[1:]


@cache  # a conversation repeats its words; simplemma's lookup is the slow part of reading one
def lemma(token: str) -> str:
    return simplemma.lemmatize(token, lang="nl").lower()


def lemmas(text: str) -> list[str]:
    return [lemma(t) for t in WORD.findall(text.lower())]


def content(text: str, stop: frozenset[str]) -> set[str]:
    """The lemmas that carry meaning: longer than two letters and not in `stop`."""
    return {w for w in lemmas(text) if len(w) > 2 and w not in stop}


def conversation_spelling(texts: list[str], known: frozenset[str]) -> dict[str, str]:
    """Misheard words read as the conversation's own spelling: a word neither the dictionary nor `known` (the
    example conversations' words) holds, one letter from a word said at least twice and more often ("mevrduw"
    -> "mevrouw", "Koem" -> "Koen"). A name is only read as another name ("Henk" is not "denk")."""
    counts, named = _counted(texts)
    near: dict[str, list[str]] = {}
    for token, n in counts.items():
        if n >= 2 and len(token) >= MIN_RESPELLED:
            for i in range(len(token)):
                near.setdefault(token[:i] + "?" + token[i + 1 :], []).append(token)
    out = {}
    for token, n in counts.items():
        if len(token) < MIN_RESPELLED or token in known or token.isdigit() or simplemma.is_known(token, lang="nl"):
            continue
        options = [u for i in range(len(token)) for u in near.get(token[:i] + "?" + token[i + 1 :], ())
                   if counts[u] > n and (token not in named or u in named)]
        if options:
            best = max(sorted(options), key=counts.__getitem__)
            out[token] = capitalised(best) if best in named else best
    return out


def _counted(texts: list[str]) -> tuple[dict[str, int], set[str]]:
    """How often each word (lowercased) is said, and which are names: capitalised inside a sentence."""
    counts: dict[str, int] = {}
    named: set[str] = set()
    for text in texts:
        after = 0  # where the word before ends: the text in between says whether a sentence starts
        for match in WORD.finditer(text):
            low = match.group().lower()
            counts[low] = counts.get(low, 0) + 1
            if match.group()[:1].isupper() and after and not _SENTENCE_END.search(text, after, match.start()):
                named.add(low)
            after = match.end()
    return counts, named


def respelled(text: str, spelling: dict[str, str]) -> str:
    """`text` with the words in `spelling` replaced, a capital kept."""
    def fix(match: re.Match) -> str:
        word = match.group()
        new = spelling.get(word.lower(), word)
        return capitalised(new) if word[:1].isupper() else new

    return WORD.sub(fix, text) if spelling else text
