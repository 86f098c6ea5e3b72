"""Phases: terugkijken, reflecteren, vooruitkijken, activeren (and overig) over the whole conversation.

Every sentence gets soft evidence per phase from the cue bank (prompts/fasen.yaml plus a school's own files):
lemma statistics of the bank's phrases, bank phrases found in the sentence, fuzzy likeness of a question to
the bank's questions, and past tense. A Viterbi decoder then picks the best phase sequence for the whole
conversation, knowing that phases come in order, can be skipped or briefly returned to, and can be
interrupted by talk about something else. Segments are cut where the phase changes mid-segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import simplemma
from rapidfuzz import fuzz, process

from gesprekopname import config
from gesprekopname.segments import sentences, split_at
from gesprekopname.types import OVERIG, PHASES, PhaseSpan, Segment

LABELS = (*PHASES, OVERIG)
_WORD = re.compile(r"\w+")
_ASK_KEYS = ("vragen", "overgangen", "woorden")
_SAY_KEYS = ("antwoorden", "woorden")

# Evidence weights (why: balanced on paraphrased dialogues, see tests and benchmarks/evaluate.py).
W_ASK = 0.45  # lemma log-odds of a begeleider's sentence against the bank's questions and transitions
W_SAY = 0.3  # lemma log-odds of a leerling's sentence against the bank's answers
W_PHRASE = 1.2  # per bank phrase found literally (lemmatised) in the sentence, per word of it, capped
W_FUZZY = 6.0  # a question that closely resembles a bank question
W_PAST = 2.0  # share of past-tense verbs: the "klein verhaal" of terugkijken
OTHER_ROLE = 0.35  # a cue said by the other role than expected counts this much
NB_CAP = 5.0  # bounds one sentence's lemma evidence, so a long story cannot outvote a cue
FUZZY_FROM = 70  # a ratio of lemmatised question strings below this is no likeness
CARRY = 0.5  # share of a question's evidence the next sentence gets
CARRY_FADE = 0.7  # and each one after that this much less
LATE_SWITCH = 1e-3  # between two cues a change of phase falls just before the later cue (tie-break only)


@dataclass(frozen=True)
class Bank:
    vocab: dict[str, int]
    ask: np.ndarray  # (vocab, labels) centred log P(lemma | label), question side
    say: np.ndarray  # the same, answer side
    phrases: tuple[re.Pattern, ...]  # per label, every bank phrase of two or more lemmas
    cue_text: tuple[str, ...]  # lemmatised content of the bank's questions and transitions
    cue_label: np.ndarray
    stop: frozenset[str]
    past: frozenset[str]
    settings: dict
    messages: dict
    corrections: dict[str, str] = field(default_factory=dict)


@cache
def _lemma(token: str) -> str:
    return simplemma.lemmatize(token, lang="nl").lower()


def _lemmas(text: str) -> list[str]:
    return [_lemma(t) for t in _WORD.findall(text.lower())]


# --- the cue bank -----------------------------------------------------------------------------------


def _merge(base: dict, extra: dict) -> dict:
    """A school's entries are added to the lists; its settings and wording replace ours."""
    out = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + value
        else:
            out[key] = value
    return out


def _extra_paths() -> tuple[str, ...]:
    extra = config.settings().get("fasen", {}).get("extra") or ()
    return (extra,) if isinstance(extra, str) else tuple(extra)


def bank() -> Bank:
    return _build_bank(_extra_paths())


@cache
def _build_bank(extra_paths: tuple[str, ...]) -> Bank:
    raw = config.load_prompt("fasen.yaml")
    for path in extra_paths:
        raw = _merge(raw, config.load_yaml_file(Path(path)))
    stop = frozenset(_lemma(w) for w in raw["stopwoorden"]) | frozenset(raw["stopwoorden"])
    ask_docs = [_phrases(raw, label, _ASK_KEYS) for label in LABELS]
    say_docs = [_phrases(raw, label, _SAY_KEYS) for label in LABELS]
    vocab: dict[str, int] = {}
    for docs in (*ask_docs, *say_docs):
        for phrase in docs:
            for key in _features(_lemmas(phrase), stop):
                vocab.setdefault(key, len(vocab))
    cues = [(" ".join(_lemmas(q)), i) for i, label in enumerate(LABELS)
            for key in ("vragen", "overgangen") for q in raw.get(label, {}).get(key) or []]
    return Bank(
        vocab=vocab,
        ask=_log_odds(ask_docs, vocab, stop),
        say=_log_odds(say_docs, vocab, stop),
        phrases=tuple(_phrase_pattern(docs) for docs in ask_docs + say_docs),
        cue_text=tuple(text for text, _ in cues),
        cue_label=np.array([i for _, i in cues]),
        stop=stop,
        past=frozenset(raw.get("verleden_tijd") or ()),
        settings=raw.get("instellingen") or {},
        messages=raw.get("meldingen") or {},
    )


def _phrases(raw: dict, label: str, keys: tuple[str, ...]) -> list[str]:
    section = raw.get(label) or {}
    return [str(p) for key in keys for p in section.get(key) or []]


def _features(lemmas: list[str], stop: frozenset[str]) -> list[str]:
    """Content words, plus word pairs at most one word apart: "zeggen~over", "trots~op", "ik~willen".
    Pairs keep the meaning of function words and survive a word inserted or lost by the recogniser."""
    words = [w for w in lemmas if not w.isdigit()]
    pairs = [f"{a}~{b}" for i, a in enumerate(words) for b in words[i + 1 : i + 3]]
    return [w for w in words if w not in stop] + pairs


def _log_odds(docs: list[list[str]], vocab: dict[str, int], stop: frozenset[str]) -> np.ndarray:
    """Naive-Bayes word evidence, centred over the labels so a word common to all says nothing."""
    counts = np.full((len(vocab), len(LABELS)), 0.5)
    for i, phrases in enumerate(docs):
        for phrase in phrases:
            for key in _features(_lemmas(phrase), stop):
                counts[vocab[key], i] += 1
    logp = np.log(counts / counts.sum(axis=0))
    return logp - logp.mean(axis=1, keepdims=True)


def _phrase_pattern(phrases: list[str]) -> re.Pattern:
    """All phrases of two or more lemmas, longest first, as one pattern over a lemmatised sentence."""
    forms = {" ".join(_lemmas(p)) for p in phrases}
    forms = sorted((f for f in forms if " " in f), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b" if forms else r"(?!)")


# --- evidence per sentence ----------------------------------------------------------------------------


@dataclass
class _Unit:
    segment: int  # index of the segment the sentence comes from
    offset: int  # where the sentence starts in that segment's text
    text: str
    speaker: str | None


def _units(segments: list[Segment]) -> list[_Unit]:
    units = []
    for i, seg in enumerate(segments):
        pos = 0
        for sentence in sentences(seg.text) or [seg.text]:
            pos = seg.text.find(sentence, pos)
            units.append(_Unit(i, max(pos, 0), sentence, seg.speaker))
            pos = max(pos, 0) + len(sentence)
    return units


def _known(lemma: str, bank: Bank) -> str:
    """A misrecognised word ("uitproberren") taken for the bank word it nearly is; remembered per bank."""
    if lemma in bank.vocab or len(lemma) < 5:
        return lemma
    if lemma not in bank.corrections:
        match = process.extractOne(lemma, bank.vocab.keys(), scorer=fuzz.ratio, score_cutoff=85)
        bank.corrections[lemma] = match[0] if match else lemma
    return bank.corrections[lemma]


def _is_past(token: str, lemma: str, past: frozenset[str]) -> bool:
    if token in past:
        return True
    if token == lemma or not lemma.endswith("en") or len(token) < 4:
        return False
    return token.endswith(("te", "de", "ten", "den")) or (token.startswith("ge") and token[-1] in "dt")


def _is_question(text: str, first: str, bank: Bank) -> bool:
    return text.rstrip().endswith("?") or first in bank.settings.get("vraagwoorden", ())


def _evidence(units: list[_Unit], bank: Bank) -> np.ndarray:
    """(units, labels) evidence; log-softmax of it is the decoder's emission."""
    ev = np.zeros((len(units), len(LABELS)))
    asks, questions = [], []
    for n, unit in enumerate(units):
        tokens = _WORD.findall(unit.text.lower())
        lemmas = [_known(_lemma(t), bank) for t in tokens]
        keys = [bank.vocab[k] for k in _features(lemmas, bank.stop) if k in bank.vocab]
        question = _is_question(unit.text, tokens[0] if tokens else "", bank)
        asker = unit.speaker == "begeleider" if unit.speaker else question
        ask_w, say_w = (1.0, 0.5) if asker else (OTHER_ROLE, 1.0)
        if keys:
            ev[n] += ask_w * W_ASK * np.clip(bank.ask[keys].sum(axis=0), -NB_CAP, NB_CAP)
            ev[n] += say_w * W_SAY * np.clip(bank.say[keys].sum(axis=0), -NB_CAP, NB_CAP)
        ev[n] += _phrase_hits(" ".join(lemmas), bank, ask_w, say_w)
        verbs = [_is_past(t, w, bank.past) for t, w in zip(tokens, lemmas, strict=True)]
        ev[n, 0] += say_w * W_PAST * min(1.0, 3 * sum(verbs) / max(1, len(tokens)))
        if question and len(lemmas) >= 3:
            asks.append((n, " ".join(lemmas), ask_w))
        if question and asker:
            questions.append(n)
    _fuzzy_questions(ev, asks, bank)
    return _carry(ev, questions)


def _carry(ev: np.ndarray, questions: list[int]) -> np.ndarray:
    """An answer belongs with its question: what follows a question leans towards the question's phase,
    fading, until the next question."""
    out = ev.copy()
    bounds = [*questions, len(ev)]
    for q, nxt in zip(bounds[:-1], bounds[1:], strict=True):
        centred = ev[q] - ev[q].mean()
        for k in range(q + 1, nxt):
            out[k] += CARRY * CARRY_FADE ** (k - q - 1) * centred
    return out


def _phrase_hits(lemma_text: str, bank: Bank, ask_w: float, say_w: float) -> np.ndarray:
    hits = np.zeros(len(LABELS))
    for i, pattern in enumerate(bank.phrases):
        weight = ask_w if i < len(LABELS) else say_w
        for match in pattern.finditer(lemma_text):
            hits[i % len(LABELS)] += weight * W_PHRASE * min(4, match.group().count(" ") + 1) / 2
    return hits


def _fuzzy_questions(ev: np.ndarray, asks: list[tuple[int, str, float]], bank: Bank) -> None:
    """Questions that resemble a bank question pull towards its phase, however it was paraphrased."""
    if not asks or not bank.cue_text:
        return
    scores = process.cdist([a[1] for a in asks], bank.cue_text, scorer=fuzz.ratio,
                           dtype=np.uint8, workers=-1)
    for (n, _, weight), row in zip(asks, scores, strict=True):
        best = np.zeros(len(LABELS))
        np.maximum.at(best, bank.cue_label, row.astype(float))
        ev[n] += weight * W_FUZZY * np.clip((best - FUZZY_FROM) / (100 - FUZZY_FROM), 0, 1)


# --- decoding -----------------------------------------------------------------------------------------


# A state is (phase now, furthest phase reached, in overig). Remembering the furthest phase lets a brief
# return go forward again without paying for a skip, and overig return to the phase it interrupted.
STATES = [(p, f, o) for f in range(len(PHASES)) for p in range(f + 1) for o in (False, True)]


def _move_cost(p: int, f: int, q: int, s: dict) -> float:
    if q == p:
        return 0.0
    if q < p:
        return s["terug"] * (1 + 0.5 * (p - q - 1))
    return s["vooruit"] + s["overslaan"] * max(0, q - f - 1)


def _transitions(s: dict) -> tuple[np.ndarray, np.ndarray]:
    n = len(STATES)
    trans = np.full((n, n), -np.inf)
    start = np.full(n, -np.inf)
    for j, (q, g, into) in enumerate(STATES):
        if q == g:  # the conversation may open in a later phase: as costly as moving there, a bit less
            start[j] = -_move_cost(0, 0, q, s) + (s["start"] if q else 0.0) - (s["overig_in"] if into else 0)
        for i, (p, f, was) in enumerate(STATES):
            if g != max(f, q):
                continue
            if into:  # only from the same phase: overig keeps the phase it interrupted
                trans[i, j] = 0.0 if was and p == q else (-s["overig_in"] if p == q else -np.inf)
            else:
                trans[i, j] = -_move_cost(p, f, q, s) - (s["overig_uit"] if was else 0.0)
    return start, trans


def _viterbi(emission: np.ndarray, start: np.ndarray, trans: np.ndarray) -> list[int]:
    changed = ~np.eye(len(start), dtype=bool)
    score = start + emission[0]
    back = np.zeros(emission.shape, dtype=np.int64)
    for t in range(1, len(emission)):
        cand = score[:, None] + trans + changed * (LATE_SWITCH * t / len(emission))
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + emission[t]
    path = [int(score.argmax())]
    for t in range(len(emission) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _decode(ev: np.ndarray, bank: Bank) -> list[str]:
    emis5 = ev - np.logaddexp.reduce(ev, axis=1, keepdims=True)
    columns = [len(PHASES) if into else p for p, _, into in STATES]
    start, trans = _transitions(_settings(bank))
    path = _viterbi(emis5[:, columns], start, trans)
    return [LABELS[columns[state]] for state in path]


def _settings(bank: Bank) -> dict:
    defaults = {"vooruit": 2.5, "overslaan": 2.0, "terug": 4.0, "overig_in": 4.0, "overig_uit": 1.0,
                "start": 0.0}
    return {key: float(bank.settings.get(key, value)) for key, value in defaults.items()}


# --- public -------------------------------------------------------------------------------------------


def segment_phases(segments: list[Segment]) -> tuple[list[Segment], list[PhaseSpan]]:
    """New segments with .phase set, cut where the phase changes inside one; spans are the runs."""
    if not segments:
        return [], []
    b = bank()
    units = _units(segments)
    labels = _decode(_evidence(units, b), b)
    per_segment: list[list[tuple[_Unit, str]]] = [[] for _ in segments]
    for unit, label in zip(units, labels, strict=True):
        per_segment[unit.segment].append((unit, label))
    out = [piece for seg, mine in zip(segments, per_segment, strict=True) for piece in _cut(seg, mine)]
    return out, _spans(out)


def _cut(segment: Segment, units: list[tuple[_Unit, str]]) -> list[Segment]:
    """Cut before each sentence whose phase differs from the one before it."""
    pieces, rest, done = [], segment, 0
    for (unit, label), (_, before) in zip(units[1:], units[:-1], strict=True):
        if label != before:
            head, rest = split_at(rest, unit.offset - done)
            pieces.append(replace(head, phase=before))
            done = unit.offset
    pieces.append(replace(rest, phase=units[-1][1]))
    return pieces


def _spans(segments: list[Segment]) -> list[PhaseSpan]:
    spans: list[PhaseSpan] = []
    for seg in segments:
        if spans and spans[-1].phase == seg.phase:
            spans[-1].end = seg.end
        else:
            if spans:
                spans[-1].end = seg.start  # contiguous: a pause belongs to the phase before it
            spans.append(PhaseSpan(seg.phase, seg.start, seg.end))
    return spans


def phase_warnings(segments: list[Segment], spans: list[PhaseSpan]) -> list[str]:
    """Dutch warnings for the begeleider: a phase not discussed, a phase that was very short, much overig."""
    if not spans:
        return []
    b = bank()
    words, minimum = b.messages, float(b.settings.get("minimale_duur", 20))
    duration = {label: 0.0 for label in LABELS}
    for span in spans:
        duration[span.phase] += span.end - span.start
    out = []
    for phase in PHASES:
        if duration[phase] == 0:
            out.append(words["ontbreekt"][phase])
        elif duration[phase] < minimum:
            out.append(words["kort"].format(fase=phase.capitalize(), seconden=round(duration[phase])))
    total = spans[-1].end - spans[0].start
    share = 100 * duration[OVERIG] / total if total else 0
    if share > float(b.settings.get("overig_max", 25)):
        out.append(words["overig"].format(procent=round(share)))
    return out
