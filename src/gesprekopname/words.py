"""Words and their dictionary forms (simplemma, Dutch): how the stages that compare what was said see a text."""

from __future__ import annotations

import re
from functools import cache

import simplemma

WORD = re.compile(r"\w+")


@cache  # a conversation repeats its words; simplemma's lookup is the slow part of reading one
def lemma(token: str) -> str:
    return simplemma.lemmatize(token, lang="nl").lower()


def lemmas(text: str) -> list[str]:
    return [lemma(t) for t in WORD.findall(text.lower())]


def content(text: str, stop: frozenset[str]) -> set[str]:
    """The lemmas that carry meaning: longer than two letters and not in `stop`."""
    return {w for w in lemmas(text) if len(w) > 2 and w not in stop}
