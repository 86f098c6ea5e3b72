"""Who is begeleider, who is leerling: from voice tags, from the words, and from the voices in the audio.

Without tags the roles are decoded over the sentences with a two-state forward-backward: a logistic model learned
at first use from the example conversations in prompts/voorbeelden scores each sentence (lemmas, the hand-set
cues of prompts/rollen.yaml) and each change of speaker, and a second, small one reads the decoded verdicts
again with their neighbours'. With audio and word timestamps a Viterbi decoding runs over words, with a two-voice
clustering of the sound (voices.py) added to the evidence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import simplemma
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit

from gesprekopname.cache import cached
from gesprekopname.config import PROMPTS_DIR, load_prompt
from gesprekopname.examples import example_paths, read_example, school_folders
from gesprekopname.segments import sentence_offsets, sentences, split_at
from gesprekopname.types import ROLES, Segment, Word
from gesprekopname.voices import voice_evidence
from gesprekopname.words import WORD, capitalised

BEGELEIDER, LEERLING = ROLES
_FIXED = 50.0  # evidence for a role that a tag already decided
_TOKEN = re.compile(r"[\w'-]+")
_TOUCHING = 0.02  # s: segments this close touch (times are rounded to milliseconds)
_TOUCHING_SHARE = 2 / 3  # where more segments touch, touching is the recogniser's habit, not the speaker's
STACK_FOLDS = 5  # the second stage learns from the first stage's verdicts on the fold it did not see
STACK_L2 = 0.001  # the second stage has a dozen inputs and tens of thousands of sentences to learn from
_STACK_CLIP = 10.0  # a verdict beyond this is certain; a voice tag's fixed evidence must not swamp the others


@dataclass
class _Unit:
    """A sentence (or, with audio, a word) of one segment, starting at char in that segment's text."""

    seg: int
    char: int
    text: str


@cache
def _rules() -> dict:
    rules = load_prompt("rollen.yaml")
    for key in ("vraagwoorden", "vraag_omkering", "samenvatting_start", "reactie_start", "inleiders"):
        rules[key] = _phrases_at_start(rules[key])
    for key in ("begeleider_reacties", "korte_antwoorden"):
        rules[key] = {" ".join(_tokens(p)) for p in rules[key]}
    rules["leerling_woorden"] = re.compile(r"(?<!\S)(?:" + _alternatives(rules["leerling_woorden"]) + r")(?!\S)")
    for key in ("tweede_persoon", "eerste_persoon", "beleefdheidsvorm", "algemene_je_na", "vulwoorden_start"):
        rules[key] = set(rules[key])
    cues = [frozenset(_lemmas(_tokens(cue))) for cue in rules["cue_zinnen"]]
    rules["cues"] = cues
    rules["cue_index"] = {}
    for k, cue in enumerate(cues):
        for lemma in cue:
            rules["cue_index"].setdefault(lemma, []).append(k)
    rules["aliassen"] = {role: set(names) for role, names in rules["aliassen"].items()}
    return rules


_NAME_VOTES = 2  # one word opening a sentence mid-conversation is not enough
_NAME = r"([^\W\d_]+(?:-[^\W\d_]+)?)"  # any script's letters: "Şeyma", "Jan-Willem"; see _is_name


def student_name(leerling: str | None, said: Iterable[tuple[str | None, str]]) -> str | None:
    """How to name the student in the summary: the first word of the name given when processing, when it is a
    word of letters; without a name given, the one the begeleider calls the student by ("Hoi Selin", "...,
    Mitchell?"), said more often than any other. None when neither is known, or when a code was given ("L17"):
    a begeleider who keeps the student's name out of the records would not want the one heard written in.
    `said`: (speaker, text) per segment."""
    if leerling and leerling.strip():
        given = "-".join(capitalised(part) for part in leerling.split()[0].split("-"))
        return given if _is_name(given) else None
    said = list(said)
    lower = {w for _, text in said for w in WORD.findall(text) if w.islower()}
    votes: Counter[str] = Counter()
    addressed_by_student: set[str] = set()  # "Wat moet je, Mo?": a classmate at the door
    opening = True
    for speaker, text in said:
        for pattern, weight in _addressing():
            for found in pattern.finditer(text):
                name, low = found.group(1), found.group(1).lower()
                if not _is_name(name):
                    continue
                if speaker != "begeleider":
                    addressed_by_student.add(name)
                    continue
                first = opening and found.start() == 0  # "Rayan, hé. Kom zitten."
                # Any word may open a sentence ("Spannend."): elsewhere only one that is no Dutch word.
                if (low in _not_names() or low in lower
                        or (weight < 3 and not first and simplemma.is_known(low, lang="nl"))):
                    continue
                votes[name] += weight * (2 if first else 1)
        opening = opening and speaker != "begeleider"
    for name in addressed_by_student:
        votes.pop(name, None)
    ranked = votes.most_common(2) + [("", 0)]
    return ranked[0][0] if ranked[0][1] >= _NAME_VOTES and ranked[0][1] > ranked[1][1] else None


def _is_name(word: str) -> bool:
    """Written as a name: each part a capital and then lowercase letters ("Noa", "Jan-Willem", "Özlem")."""
    return all(len(part) > 1 and part[0].isupper() and part[1:].isalpha() and part[1:].islower()
               for part in word.split("-"))


@cache
def _not_names() -> frozenset[str]:
    """Capitalised words that open a sentence but name nobody, the greetings among them ("Zo, ...")."""
    return frozenset(_rules()["aanspreken"]["geen_naam"]) | frozenset(_rules()["aanspreken"]["groeten"])


@cache
def _addressing() -> list[tuple[re.Pattern, int]]:
    """A greeting counts most, then a name that closes a sentence, then one that opens a turn or sentence."""
    greetings = _alternatives(_rules()["aanspreken"]["groeten"])
    return [
        (re.compile(rf"(?:^|[.!?]\s+)(?i:{greetings})[,!]?\s+{_NAME}\b"), 3),  # not "open dag Rechten"
        (re.compile(rf",\s+{_NAME}\s*[?.!]"), 2),
        (re.compile(rf"(?:^|[.!?]\s+){_NAME}[.!,](?:\s|$)"), 1),
    ]


def _alternatives(phrases: list[str]) -> str:
    """A regex alternation, longest first, over phrases normalised like the text they are matched against."""
    normal = {" ".join(_tokens(p)) for p in phrases}
    return "|".join(re.escape(p) for p in sorted(normal, key=len, reverse=True) if p)


def _phrases_at_start(phrases: list[str]) -> re.Pattern:
    return re.compile(r"(?:" + _alternatives(phrases) + r")(?: |$)")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


@cache
def _lemma(token: str) -> str:
    return simplemma.lemmatize(token, lang="nl")


def _lemmas(tokens: list[str]) -> set[str]:
    return {_lemma(t) for t in tokens}


def _strip_openers(joined: str) -> str:
    """Drop "en", "maar", "oké" ... before the part that shows whether this is a question."""
    opener = _rules()["inleiders"].match(joined)
    return joined[opener.end() :] if opener and opener.end() < len(joined) else joined


def _has_cue(lemmas: set[str]) -> bool:
    rules = _rules()
    hits: dict[int, int] = {}
    for lemma in lemmas:
        for k in rules["cue_index"].get(lemma, ()):
            hits[k] = hits.get(k, 0) + 1
    return any(n >= rules["cue_drempel"] * len(rules["cues"][k]) for k, n in hits.items())


def is_question(text: str) -> bool:
    """A question by its mark, or by its form when the recogniser dropped the mark."""
    if text.rstrip().endswith("?"):
        return True
    return bool(_rules()["vraag_omkering"].match(_strip_openers(" ".join(_tokens(text)))))


def sentence_score(text: str) -> float:
    """Log-odds that one sentence is the begeleider's (positive) rather than the leerling's (negative)."""
    rules, w = _rules(), _rules()["gewichten"]
    tokens = _tokens(text)
    if not tokens:
        return 0.0
    joined = " ".join(tokens)
    body = _strip_openers(joined)
    marked = text.rstrip().endswith("?")
    wh = bool(rules["vraagwoorden"].match(body))
    generic = rules["algemene_je_na"]
    you = sum(t in rules["tweede_persoon"] and (i == 0 or tokens[i - 1] not in generic) for i, t in enumerate(tokens))
    me = sum(t in rules["eerste_persoon"] for t in tokens)
    score = 0.0
    if marked:
        score += w["vraagteken"] if wh or you else w["kale_vraag"]
    if wh:
        score += w["vraagwoord_met_vraagteken"] if marked else w["vraagwoord_zonder_vraagteken"]
    if rules["vraag_omkering"].match(body):
        score += w["vraag_omkering"]
    elif not marked:
        score += w["uitspraak"]
    score += w["tweede_persoon"] * min(w["max_persoon"], you) + w["eerste_persoon"] * min(w["max_persoon"], me)
    if bool(you) != bool(me):
        score += w["alleen_tweede"] if you else w["alleen_eerste"]
    if any(t in rules["beleefdheidsvorm"] for t in tokens):
        score += w["beleefdheidsvorm"]
    if _has_cue(_lemmas(tokens)):
        score += w["cue_zin"]
    if rules["samenvatting_start"].match(joined):
        score += w["samenvatting"]
    elif tokens[0] == "dus" and you:
        score += w["samenvatting_dus"]
    if len(tokens) <= w["max_reactie"] and rules["reactie_start"].match(joined):
        score += w["reactie_start"]
    if joined in rules["begeleider_reacties"]:
        score += w["begeleider_reactie"]
    if joined in rules["korte_antwoorden"]:
        score += w["kort_antwoord"]
    if tokens[0] in rules["vulwoorden_start"]:
        score += w["vulwoord_start"]
    return score + w["leerling_woord"] * len(rules["leerling_woorden"].findall(joined))


def viterbi(evidence: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """Two-state decoding: evidence[i] is log-odds for state 0 (begeleider) over state 1 at step i;
    moves[i, s, t] the log-score of going from state s at step i-1 to state t at step i (row 0 unused)."""
    n = len(evidence)
    emit = np.stack([evidence / 2, -evidence / 2], axis=1)
    back = np.zeros((n, 2), dtype=np.int8)
    score = emit[0].copy()
    for i in range(1, n):
        options = score[:, None] + moves[i]  # [from, to]
        back[i] = np.argmax(options, axis=0)
        score = options.max(axis=0) + emit[i]
    states = np.zeros(n, dtype=np.int8)
    states[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        states[i - 1] = back[i, states[i]]
    return states


def posterior_odds(evidence: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """Per step, the log-odds of state 0 over state 1 given all the evidence (forward-backward). Taking the likelier
    state per step puts fewer sentences wrong than the single best path, which may give up a sentence to save a
    change."""
    n = len(evidence)
    emit = np.stack([evidence / 2, -evidence / 2], axis=1)
    forward, backward = np.zeros((n, 2)), np.zeros((n, 2))
    forward[0] = emit[0]
    for i in range(1, n):
        options = forward[i - 1][:, None] + moves[i]  # [from, to]
        forward[i] = np.logaddexp(options[0], options[1]) + emit[i]
    for i in range(n - 2, -1, -1):
        options = moves[i + 1] + emit[i + 1] + backward[i + 1]  # [this, next]
        backward[i] = np.logaddexp(options[:, 0], options[:, 1])
    post = forward + backward
    return post[:, 0] - post[:, 1]


def _switch_moves(asked: np.ndarray) -> np.ndarray:
    """Hand-set moves for the word-level audio decoding: the begeleider usually ends a turn with a
    question, the leerling's turns are short, and after any question the other one speaks."""
    w = _rules()["gewichten"]
    moves = np.zeros((len(asked), 2, 2))
    moves[:, 0, 1], moves[:, 1, 0] = w["wissel_begeleider"], w["wissel_leerling"]
    moves[1:, 0, 1] += w["wissel_na_vraag"] * asked[:-1]
    moves[1:, 1, 0] += w["wissel_na_vraag"] * asked[:-1]
    return moves


def _alias_role(voice: str) -> str | None:
    words = set(_tokens(voice))
    for role, names in _rules()["aliassen"].items():
        if words & names:
            return role
    return None


def voice_roles(segments: list[Segment]) -> dict[str, str]:
    """Map each voice name to a role: aliases first, then the voice that asks the questions is the
    begeleider and every other voice the leerling. Empty when the tags tell nothing (one unnamed voice)."""
    voices = list(dict.fromkeys(s.voice for s in segments if s.voice))
    roles = {v: r for v in voices if (r := _alias_role(v))}
    open_voices = [v for v in voices if v not in roles]
    if not open_voices or (len(voices) == 1 and not roles):
        return roles
    if BEGELEIDER not in roles.values():
        roles[max(open_voices, key=lambda v: _voice_score(segments, v))] = BEGELEIDER
    return roles | {v: LEERLING for v in open_voices if v not in roles}


def _voice_score(segments: list[Segment], voice: str) -> float:
    scores = [sentence_score(s) for seg in segments if seg.voice == voice for s in sentences(seg.text)]
    return sum(scores) / len(scores) if scores else 0.0


def _sentence_units(segments: list[Segment]) -> list[_Unit]:
    return [_Unit(i, pos, part) for i, seg in enumerate(segments) for pos, part in sentence_offsets(seg.text)]


def _known_role(seg: Segment, roles: dict[str, str]) -> str | None:
    if seg.speaker in ROLES:
        return seg.speaker
    return roles.get(seg.voice) if seg.voice else None


def _text_evidence(
    segments: list[Segment], units: list[_Unit], model: RoleModel
) -> tuple[np.ndarray, np.ndarray]:
    roles = voice_roles(segments)
    texts = [u.text for u in units]
    scale = _rules()["model"]["emissie_schaal"]  # the sentence model also sees its neighbours: do not count that twice
    evidence = np.zeros(len(units))
    for k, unit in enumerate(units):
        known = _known_role(segments[unit.seg], roles)
        if known is not None:
            evidence[k] = _FIXED if known == BEGELEIDER else -_FIXED
        else:
            evidence[k] = scale * model.evidence(texts, k)
    evidence[0] += scale * model.start
    return evidence, model.moves(texts, _pauses(segments, units))


def _pauses(segments: list[Segment], units: list[_Unit]) -> np.ndarray:
    """Per sentence boundary, the log-odds the time between two segments adds to a change of speaker: a silence
    makes one likelier; segments that touch make one unlikelier (one speaker talking on), but only where at most
    two boundaries in three touch. A recogniser that ends its segments where the speech ends writes its silences
    (ours, with its voice activity filter, on the dev audio: 15 of 420 boundaries touch, 3 of them a change);
    Whisper's own timestamps join most segments (143 of 176, four in five of them a change): touching says nothing
    there."""
    silences = {k: segments[units[k].seg].start - segments[units[k - 1].seg].end
                for k in range(1, len(units)) if units[k].seg != units[k - 1].seg}
    touching = [k for k, silence in silences.items() if silence <= _TOUCHING]
    extra = np.zeros(len(units))
    for k, silence in silences.items():
        extra[k] = _pause_odds(silence)
    if len(touching) <= _TOUCHING_SHARE * len(silences):
        extra[touching] = _rules()["gewichten"]["wissel_aansluitend"]
    return extra


def _pause_odds(silence: float) -> float:
    """A change of speaker mostly comes with a pause: log-odds for it, growing with the silence up to 1 s."""
    return _rules()["gewichten"]["wissel_pauze"] * min(1.0, max(0.0, silence))


_QUOTES = "\"'“„‘«"


def _is_echo(text: str, before: list[str]) -> bool:
    """A short sentence mostly made of words just said: the begeleider repeating the leerling."""
    w = _rules()["gewichten"]
    words = [t for t in _tokens(text) if len(t) > 2]
    if not before or not 0 < len(words) <= w["echo_max"]:
        return False
    said = {t for sentence in before for t in _tokens(sentence)}
    return sum(t in said for t in words) >= w["echo_aandeel"] * len(words)


def _features(texts: list[str], k: int) -> dict[str, float]:
    """What the learned model sees of sentence k: lemmas and lemma pairs (the first and last word
    marked), the end mark, the length, the hand-set score and echo as summaries of the word lists,
    and whether a question comes just before or after (a short reaction often precedes one)."""
    text = texts[k]
    tokens = _tokens(text)
    lemmas = ["<"] + [_lemma(t) for t in tokens] + [">"]
    feats = {f"w:{x}": 1.0 for x in lemmas[1:-1]}
    feats |= {f"b:{x} {y}": 1.0 for x, y in zip(lemmas, lemmas[1:], strict=False)}
    size = min(len(tokens), 12) // 3
    feats[f"eind:{_end_mark(text)}"] = 1.0
    feats[f"lengte:{size}"] = 1.0
    feats["regels"] = sentence_score(text) / 4
    feats["echo"] = float(_is_echo(text, texts[max(0, k - 2) : k]))
    # Words taken up by the next sentence were probably the leerling's: a begeleider echoes them.
    feats["nagezegd"] = float(k + 1 < len(texts) and _is_echo(texts[k + 1], [text]))
    feats["citaat"] = float(text.lstrip()[:1] in _QUOTES)
    before = k > 0 and is_question(texts[k - 1])
    after = k + 1 < len(texts) and is_question(texts[k + 1])
    feats[f"context:{before:d}{after:d}{size}{_end_mark(text)}"] = 1.0
    return feats


def _end_mark(text: str) -> str:
    end = text.rstrip()[-1:]
    return end if end in "?.!…," else ""


def _boundary_features(texts: list[str], k: int) -> dict[str, float]:
    """What the learned model sees of the step from sentence k-1 to k: end marks, whether k-1 asked,
    the first words, the lengths, and the hand-set scores of both (a question then an answer)."""
    before, text = texts[k - 1], texts[k]
    asked = is_question(before)
    first = _first_lemma(text)
    score, prior = sentence_score(text) / 4, sentence_score(before) / 4
    return {f"vorige_eind:{_end_mark(before)}": 1.0, f"eind:{_end_mark(text)}": 1.0, f"vraag:{asked:d}": 1.0,
            f"eerste:{first}": 1.0, f"vraag_eerste:{asked:d} {first}": 1.0,
            f"vorige_begin:{_first_lemma(before)}": 1.0,
            f"lengte:{min(len(text.split()), 12) // 3}": 1.0, f"vorige_lengte:{min(len(before.split()), 12) // 3}": 1.0,
            "regels": score, "vorige_regels": prior, "regels_maal": score * prior,
            "echo": float(_is_echo(text, [before]))}


def _first_lemma(text: str) -> str:
    tokens = _tokens(text)
    return _lemma(tokens[0]) if tokens else ""


@dataclass(frozen=True)
class RoleModel:
    """Learned from the example conversations: per sentence the log-odds begeleider vs leerling, per sentence
    boundary the log-odds of a change of speaker, and a second stage that reads the decoded verdicts again."""

    weights: dict[str, float]
    shift: float  # bias minus the prior log-odds: the evidence is a likelihood ratio
    start: float  # log-odds that the begeleider speaks first
    change_weights: dict[str, float]
    change_bias: float
    stack: dict[str, float] = field(default_factory=dict)  # empty: the decoded verdicts stand

    def evidence(self, texts: list[str], k: int) -> float:
        return self.shift + _dot(self.weights, _features(texts, k))

    def moves(self, texts: list[str], extra: np.ndarray | None = None) -> np.ndarray:
        """Per sentence boundary, log-probabilities of staying and changing; `extra`: log-odds of a change
        the words cannot see (a silence)."""
        return self.step_moves([_boundary_features(texts, k) for k in range(1, len(texts))], extra)

    def step_moves(self, steps: list[dict[str, float]], extra: np.ndarray | None = None) -> np.ndarray:
        """moves() from the boundaries' features, computed once when training."""
        moves = np.zeros((len(steps) + 1, 2, 2))
        for k, step in enumerate(steps, start=1):
            z = self.change_bias + _dot(self.change_weights, step) + (0.0 if extra is None else extra[k])
            stay, change = -np.logaddexp(0, z), -np.logaddexp(0, -z)
            moves[k] = [[stay, change], [change, stay]]
        return moves

    def verdicts(self, evidence: np.ndarray, moves: np.ndarray) -> np.ndarray:
        """Per sentence, the log-odds that it is the begeleider's: the forward-backward posterior, read again
        by the second stage together with its neighbours' and the changes around it."""
        odds = posterior_odds(evidence, moves)
        if not self.stack:
            return odds
        inputs = _stack_inputs(odds, evidence, moves)
        return self.stack[""] + sum(self.stack[name] * column for name, column in inputs.items())


def _stack_inputs(odds: np.ndarray, evidence: np.ndarray, moves: np.ndarray) -> dict[str, np.ndarray]:
    """What the second stage sees of each sentence: the verdicts on it and two sentences either side, the
    evidence on it and one either side, and the log-odds of a change into and out of it (scaled to about 1)."""
    q, e = np.clip(odds, -_STACK_CLIP, _STACK_CLIP) / 5, np.clip(evidence, -_STACK_CLIP, _STACK_CLIP) / 5
    into = (moves[:, 0, 1] - moves[:, 0, 0]) / 5
    out = _shifted(into, -1)
    return {"q": q, "q-1": _shifted(q, 1), "q+1": _shifted(q, -1), "q-2": _shifted(q, 2), "q+2": _shifted(q, -2),
            "e": e, "e-1": _shifted(e, 1), "e+1": _shifted(e, -1), "in": into, "uit": out,
            "q*in": q * into, "q*uit": q * out}


def _shifted(values: np.ndarray, by: int) -> np.ndarray:
    """values[k - by] at k, zero where that falls outside."""
    out = np.zeros_like(values)
    if by > 0:
        out[by:] = values[:-by]
    elif by < 0:
        out[:by] = values[-by:]
    return out


def _dot(weights: dict[str, float], feats: dict[str, float]) -> float:
    return sum(weights.get(f, 0.0) * v for f, v in feats.items())


def example_dialogues(paths: list[Path]) -> list[list[tuple[str, str]]]:
    """(role, sentence) for every sentence of each example conversation."""
    return [[(role, sentence) for role, _, sentence in read_example(path)] for path in paths]


@cache
def role_model() -> RoleModel:
    """Trained from the example conversations (ours and a school's own) once, then loaded from the model cache:
    training takes about a minute, and every run that has no voice tags needs it."""
    paths = example_paths(school_folders())
    return cached("rollen", [PROMPTS_DIR / "rollen.yaml", *paths], lambda: train(example_dialogues(paths)))


@dataclass
class _Lesson:
    """One example conversation as the models learn from it."""

    rows: list[dict[str, float]]
    labels: list[bool]  # begeleider, per sentence
    steps: list[dict[str, float]]
    changes: list[bool]  # a change of speaker, per sentence boundary


def _lesson(dialogue: list[tuple[str, str]]) -> _Lesson:
    texts = [text for _, text in dialogue]
    return _Lesson([_features(texts, k) for k in range(len(texts))], [role == BEGELEIDER for role, _ in dialogue],
                   [_boundary_features(texts, k) for k in range(1, len(texts))],
                   [a[0] != b[0] for a, b in zip(dialogue, dialogue[1:], strict=False)])


def train(dialogues: list[list[tuple[str, str]]]) -> RoleModel:
    """The first stage from all examples; the second from the first stage's verdicts on examples it did not see
    (in folds), so it learns how far verdicts on a new conversation can be trusted."""
    lessons = [_lesson(d) for d in dialogues if d]
    first = _train_first(lessons)
    if len(lessons) < STACK_FOLDS:
        return first
    inputs, labels = [], []
    for k in range(STACK_FOLDS):
        model = _train_first([x for i, x in enumerate(lessons) if i % STACK_FOLDS != k], near=first)
        for lesson in lessons[k::STACK_FOLDS]:
            evidence, moves = _lesson_evidence(model, lesson)
            columns = _stack_inputs(posterior_odds(evidence, moves), evidence, moves)
            inputs += [{name: float(v[j]) for name, v in columns.items()} for j in range(len(lesson.rows))]
            labels += lesson.labels
    weights, bias = _logistic(inputs, np.array(labels, dtype=float), STACK_L2)
    return replace(first, stack=weights | {"": bias})


def _train_first(lessons: list[_Lesson], near: RoleModel | None = None) -> RoleModel:
    """`near`: a model trained on more of the same examples, where the fit starts and, as it ends close by and only
    teaches the second stage, stops sooner."""
    l2 = _rules()["model"]["l2"]
    labels = [y for x in lessons for y in x.labels]
    start = near and (near.weights, near.shift + _log_odds(labels))
    weights, bias = _logistic([r for x in lessons for r in x.rows], np.array(labels, dtype=float), l2, start)
    changes = np.array([c for x in lessons for c in x.changes], dtype=float)
    start = near and (near.change_weights, near.change_bias)
    change_weights, change_bias = _logistic([s for x in lessons for s in x.steps], changes, l2, start)
    firsts = [x.labels[0] for x in lessons]
    return RoleModel(weights, bias - _log_odds(labels), _log_odds(firsts), change_weights, change_bias)


def _lesson_evidence(model: RoleModel, lesson: _Lesson) -> tuple[np.ndarray, np.ndarray]:
    """Evidence and moves of an example as _text_evidence computes them for a new conversation."""
    scale = _rules()["model"]["emissie_schaal"]
    evidence = scale * np.array([model.shift + _dot(model.weights, row) for row in lesson.rows])
    evidence[0] += scale * model.start
    return evidence, model.step_moves(lesson.steps)


def _log_odds(flags: list[bool]) -> float:
    return float(np.log((sum(flags) + 1) / (len(flags) - sum(flags) + 1)))


def _logistic(rows: list[dict[str, float]], y: np.ndarray, l2: float,
              start: tuple[dict[str, float], float] | None = None) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression over sparse feature rows, from zero or from `start` (weights, bias);
    features seen once are dropped (they tell little and slow the fit)."""
    seen = Counter(f for row in rows for f in row)
    names = sorted(f for f, n in seen.items() if n > 1)
    index = {f: i for i, f in enumerate(names)}
    data = [(r, index[f], v) for r, row in enumerate(rows) for f, v in row.items() if f in index]
    r, c, v = zip(*data, strict=True)
    x = sparse.csr_matrix((v, (r, c)), shape=(len(rows), len(names)))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]
        p = expit(z)
        grad = np.append(x.T @ (p - y), (p - y).sum()) + l2 * np.append(theta[:-1], 0.0)
        return float(np.logaddexp(0, z).sum() - y @ z + l2 / 2 * theta[:-1] @ theta[:-1]), grad

    weights, bias = start or ({}, 0.0)
    theta0 = np.array([weights.get(f, 0.0) for f in names] + [bias])
    options = {"ftol": 1e-6} if start else {}  # a warm start only needs to settle, not to polish
    theta = minimize(loss, theta0, jac=True, method="L-BFGS-B", options=options).x
    return dict(zip(names, theta[:-1].tolist(), strict=True)), float(theta[-1])


def _apply(segments: list[Segment], units: list[_Unit], states: np.ndarray) -> list[Segment]:
    """New segments with roles set; a segment is cut where the role changes inside it."""
    per_seg: dict[int, list[tuple[int, str]]] = {}
    for unit, state in zip(units, states, strict=True):
        cuts = per_seg.setdefault(unit.seg, [])
        role = ROLES[state]
        if not cuts or cuts[-1][1] != role:
            cuts.append((unit.char, role))
    out = []
    for i, seg in enumerate(segments):
        cuts = per_seg[i]
        pieces = []
        rest = seg
        for char, role in reversed(cuts[1:]):  # cut from the end so earlier offsets stay valid
            rest, tail = split_at(rest, char)
            pieces.append(replace(tail, speaker=role))
        pieces.append(replace(rest, speaker=cuts[0][1]))
        out.extend(p for p in reversed(pieces) if p.text)
    return out


def _audio_evidence(
    segments: list[Segment], audio: np.ndarray
) -> tuple[list[_Unit], np.ndarray, np.ndarray, np.ndarray]:
    """Per word: the decoding evidence (the voice clustering, named by whose words sound most like the
    begeleider's, plus the text), the moves, and the voice clustering alone."""
    w = _rules()["gewichten"]
    units, words, text = [], [], []
    for i, seg in enumerate(segments):
        starts = [m.start() for m in re.finditer(r"\S+", seg.text)] or [0]
        spans = _sentence_units([seg])
        for j, word in enumerate(seg.words):
            char = starts[min(j, len(starts) - 1)]
            sentence = next((u for u in reversed(spans) if u.char <= char), spans[0]).text
            units.append(_Unit(i, char, word.word))
            words.append(word)
            text.append(sentence_score(sentence) / max(1, len(sentence.split())))
    text_arr = np.array(text)
    voice = voice_evidence(audio, [(x.start, x.end) for x in words])
    if (np.tanh(voice) * text_arr).sum() < 0:  # voice 0 must be the one asking the questions
        voice = -voice
    moves = _switch_moves(np.array([x.word.strip().endswith("?") for x in words]))
    for k in range(1, len(words)):
        pause = _pause_odds(words[k].start - words[k - 1].end)
        moves[k, 0, 1] += pause
        moves[k, 1, 0] += pause
    return units, w["stem"] * voice + w["tekst_bij_audio"] * text_arr, moves, voice


def assign_speakers(
    segments: list[Segment], audio: np.ndarray | None = None, model: RoleModel | None = None
) -> list[Segment]:
    """A new list with every segment's speaker set, split where the speaker changes mid-segment.
    `model`: a role model trained on other examples (cross-validation); by default ours and the school's."""
    if not segments:
        return []
    tagged = any(s.voice or s.speaker in ROLES for s in segments)
    if audio is not None and not tagged and all(s.words for s in segments):
        units, evidence, moves, voice = _audio_evidence(segments, np.asarray(audio, dtype=np.float32))
        heard = [word for seg in segments for word in seg.words]
        return _name_voices(_apply(segments, units, viterbi(evidence, moves)), heard, voice)
    units = _sentence_units(segments)
    model = model or role_model()
    evidence, moves = _text_evidence(segments, units, model)
    verdicts = model.verdicts(evidence, moves)
    known = np.abs(evidence) > _FIXED / 2  # a role a tag decided stays
    return _apply(segments, units, (np.where(known, evidence, verdicts) < 0).astype(np.int8))


def _name_voices(segments: list[Segment], heard: list[Word], voice: np.ndarray) -> list[Segment]:
    """Neutral voice names ("Stem 1", "Stem 2") by the cluster most of a segment's words belong to, so a
    later run on the text alone maps them to roles and keeps this split. Unnamed when one voice was heard."""
    if not voice.any():
        return segments
    side = {id(word): v for word, v in zip(heard, voice, strict=True)}  # split segments keep the Word objects
    named = []
    for seg in segments:
        lean = sum(np.sign(side.get(id(w), 0.0)) for w in seg.words)
        named.append(replace(seg, voice="Stem 1" if lean >= 0 else "Stem 2"))
    return named


def speaker_warnings(segments: list[Segment]) -> list[str]:
    """Dutch notes for the begeleider: little student talk, unknown speakers, more than two voices."""
    rules = _rules()
    text = rules["waarschuwingen"]
    words = {role: 0 for role in (*ROLES, None)}
    for seg in segments:
        words[seg.speaker if seg.speaker in ROLES else None] += len(seg.text.split())
    total = sum(words.values())
    notes = []
    voices = list(dict.fromkeys(s.voice for s in segments if s.voice))
    if len(voices) > 2:
        chosen = next((s.voice for s in segments if s.voice and s.speaker == BEGELEIDER), "?")
        notes.append(text["meer_stemmen"].format(aantal=len(voices), namen=", ".join(voices), begeleider=chosen))
    if total and words[None]:
        notes.append(text["onbekend"].format(procent=round(100 * words[None] / total)))
    known = words[BEGELEIDER] + words[LEERLING]
    if known and words[LEERLING] / known < text["weinig_leerling_drempel"]:
        notes.append(text["weinig_leerling"].format(procent=round(100 * words[LEERLING] / known)))
    return notes
