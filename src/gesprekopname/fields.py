"""Which sentences hold which summary field: a sparse logistic model per field, learned from the labelled
example conversations (prompts/voorbeelden plus a school's folder).

Training labels come from aligning each example's gold values to its sentences: a list item or a short
field marks the sentences that hold at least half of its lemmas, a one-sentence summary (ervaring, rol,
vervolgstap) the few sentences that together cover most of it. The features are meant to survive
paraphrase and misrecognised words: the sentence's lemmas, who says it, the phase and where in it, the
lemmas of the question it answers, and the rule signals summary.py computes (the field a question's
keywords point at, times, names, agreement, change, "eerst met mijn ouders", the rules' own choice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import expit

from gesprekopname.words import lemmas

FIELDS = ("ervaring", "rol", "kwaliteiten", "motieven", "inzicht",
          "vervolgstap", "wanneer", "contact", "belemmeringen", "oplossingen")
SUMMARISED = ("ervaring", "rol", "vervolgstap")  # gold is a one-sentence summary, not a phrase from the text
L2 = 1e-3  # per training sentence
STEPS, RATE = 150, 0.1  # optimiser steps and step size
MIN_COUNT = 2  # a feature must occur this often in the examples to be learned
SHORT_RECALL = 0.5  # a sentence holds a list item or short value when it has this share of its lemmas
COVER_GAIN = 2  # a sentence helps a summary when it adds at least this many of its content lemmas
COVER_MAX = 3  # sentences that may together make up a summary
# Function words say nothing about which sentence a summary came from.
STOP = frozenset(["de", "het", "een", "en", "of", "maar", "dan", "dat", "die", "dit", "deze", "er", "ook", "wel",
                  "niet", "nog", "al", "zo", "te", "van", "voor", "met", "in", "op", "aan", "om", "tot", "bij",
                  "naar", "uit", "over", "door", "als", "ik", "je", "jij", "hij", "zij", "ze", "we", "wij", "u",
                  "mijn", "m'n", "haar", "zijn", "hun", "jouw", "is", "was", "ben", "bent", "had", "heb", "hebben",
                  "wordt", "worden", "zal", "zou", "kan", "kun", "moet", "wil", "ga", "gaan"])


@dataclass(frozen=True)
class FieldModel:
    index: dict[str, int]  # feature name -> row of weights
    weights: np.ndarray  # (features, fields)
    bias: np.ndarray  # (fields,)


# --- features -----------------------------------------------------------------------------------------


def features(units: list, signals: list[set[str]]) -> list[dict[str, float]]:
    """Per sentence: its lemmas, speaker, phase and place in it, the lemmas of the question it answers
    (prefixed "?"), and the rule signals (prefixed "!"), some crossed with the speaker."""
    said = [lemmas(u.text) for u in units]
    where = _phase_position(units)
    rows = []
    for i, unit in enumerate(units):
        who = {"begeleider": "B", "leerling": "S"}.get(unit.speaker or "", "-")
        row = dict.fromkeys((f"w:{w}" for w in said[i]), 1.0)
        row |= dict.fromkeys((f"{who}:{w}" for w in said[i] if w not in STOP), 1.0)
        row |= {f"wie:{who}": 1.0, f"fase:{unit.phase}": 1.0, f"fase:{unit.phase}:{who}": 1.0,
                f"plek:{unit.phase}:{where[i]}": 1.0, f"onderwerp:{unit.topic}:{who}": 1.0,
                f"lengte:{min(len(said[i]) // 4, 5)}": 1.0}
        if unit.question:
            row[f"vraag:{who}"] = 1.0
        elif unit.group >= 0:
            row |= dict.fromkeys((f"?{w}" for w in said[unit.group] if w not in STOP), 1.0)
            row[f"na_vraag:{min(i - unit.group, 4)}:{who}"] = 1.0
        for s in signals[i]:
            row[f"!{s}"] = 1.0
            row[f"!{s}:{who}"] = 1.0
        rows.append(row)
    return rows


def _phase_position(units: list) -> list[int]:
    """Which third of its phase run a sentence is in (0, 1, 2): the story comes early, the agreement late."""
    out, start = [], 0
    for i in range(len(units) + 1):
        if i == len(units) or (i and units[i].phase != units[i - 1].phase):
            n = i - start
            out += [min(2, 3 * k // max(1, n)) for k in range(n)]
            start = i
    return out


def _matrix(rows: list[dict[str, float]], index: dict[str, int]) -> sparse.csr_matrix:
    data = [(r, index[f], v) for r, row in enumerate(rows) for f, v in row.items() if f in index]
    r, c, v = zip(*data, strict=True) if data else ((), (), ())
    return sparse.csr_matrix((v, (r, c)), shape=(len(rows), len(index)))


def probabilities(model: FieldModel, rows: list[dict[str, float]]) -> np.ndarray:
    """(sentences, fields): how likely each sentence holds each field."""
    if not rows:
        return np.zeros((0, len(FIELDS)))
    return expit(_matrix(rows, model.index) @ model.weights + model.bias)


# --- labels from gold ---------------------------------------------------------------------------------


def labels(units: list, gold: dict, phases: dict[str, frozenset[str]]) -> np.ndarray:
    """(sentences, fields) 0/1: the sentences each gold value was taken from, preferring the field's phases."""
    said = [lemmas(u.text) for u in units]
    y = np.zeros((len(units), len(FIELDS)))
    for j, field in enumerate(FIELDS):
        values = gold.get(field) or []
        for value in values if isinstance(values, list) else [values]:
            target = lemmas(str(value))
            if not target:
                continue
            for allowed in (phases.get(field, frozenset()), None):
                rows = [i for i, u in enumerate(units) if (not u.question or field == "vervolgstap")
                        and (allowed is None or u.phase in allowed)]
                found = _cover(target, said, rows) if field in SUMMARISED else _holding(target, said, rows)
                if found:
                    y[found, j] = 1.0
                    break
    return y


def _holding(target: list[str], said: list[list[str]], rows: list[int]) -> list[int]:
    need = set(target)
    recall = {i: len(need & set(said[i])) / len(need) for i in rows}
    best = max(recall.values(), default=0.0)
    return [i for i, r in recall.items() if r >= SHORT_RECALL and r >= best - 0.2]


def _cover(target: list[str], said: list[list[str]], rows: list[int]) -> list[int]:
    """Greedy: the sentences that each add the most content lemmas of the summary not covered yet."""
    need = {w for w in target if w not in STOP}
    picked: list[int] = []
    while len(picked) < COVER_MAX:
        gain = {i: len(need & set(said[i])) for i in rows if i not in picked}
        best = max(gain, key=gain.get, default=None)
        if best is None or gain[best] < max(COVER_GAIN, 0.15 * len(need)):
            break
        picked.append(best)
        need -= set(said[best])
    return picked


# --- training and the cache ---------------------------------------------------------------------------


def train(rows: list[dict[str, float]], y: np.ndarray) -> FieldModel:
    """One logistic regression per field over the same features (features seen once are dropped), L2-
    regularised, fitted together by full-batch Adam: fast on sparse rows."""
    seen = Counter(name for row in rows for name in row)
    index = {name: k for k, name in enumerate(sorted(n for n, c in seen.items() if c >= MIN_COUNT))}
    x = _matrix(rows, index)
    xt = x.T.tocsr()
    w, b = np.zeros((len(index), len(FIELDS))), np.zeros(len(FIELDS))
    m, v = np.zeros((len(index) + 1, len(FIELDS))), np.zeros((len(index) + 1, len(FIELDS)))
    for step in range(1, STEPS + 1):
        err = expit(x @ w + b) - y
        grad = np.vstack([xt @ err / len(y) + L2 * w, err.mean(axis=0)])
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        move = RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        w, b = w - move[:-1], b - move[-1]
    return FieldModel(index, w, b)


