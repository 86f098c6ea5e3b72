"""Phases: terugkijken, reflecteren, vooruitkijken, activeren (and overig) over the whole conversation.

Two editable sources teach the model: the cue bank (prompts/fasen.yaml plus a school's own files) and the
labelled example conversations (prompts/voorbeelden/*.dialog plus a school's own folder). When the model is
first needed, a small logistic regression is trained on the examples' sentences, each weighted by its words
(about half a minute; the result is kept in the data directory, so later runs load it in milliseconds): its
inputs are each sentence's lemmas and word pairs, its neighbours' lemmas (fading with distance), the last
question's lemmas, the cue bank's evidence (lemma log-odds, phrases found, likeness to a bank question), past
tense (its own and around it), question form, speaker, length and relative position. A second, small regression
reads the first one's verdicts on the sentence, on its near and further neighbours (all of them, and the
begeleider's alone) and on all that came before and after (it learns from verdicts on examples the first one
was not trained on, as a new conversation gets them). The cue bank's word evidence for what the begeleider says
is added to its evidence, so a cue can turn a phase against its context.
The examples' phase sequences give the decoder's costs, and a third regression, on each step from one
sentence to the next (how the new one opens, who speaks, whether either asks, the bank's transition phrases),
makes a change cheaper where a new phase often starts and dearer where it seldom does. A Viterbi decoder
then picks the best phase sequence, knowing that phases come in order, can be skipped or briefly returned to
(and then go on where they were), and can be interrupted by talk about something else. Segments are cut
where the phase changes mid-segment.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import islice
from pathlib import Path

import numpy as np
import simplemma
from rapidfuzz import fuzz, process
from scipy import sparse

from gesprekopname import config
from gesprekopname.cache import cached
from gesprekopname.errors import UserError
from gesprekopname.examples import example_paths, read_example, school_folders
from gesprekopname.segments import sentence_offsets, split_at
from gesprekopname.types import OVERIG, PHASES, PhaseSpan, Segment
from gesprekopname.words import WORD, lemma, lemmas

LABELS = (*PHASES, OVERIG)
_ASK_KEYS = ("vragen", "overgangen", "woorden")
_SAY_KEYS = ("antwoorden", "woorden")
_OPEN_GROUPS = frozenset({"instellingen"})  # a school may set a decoder cost ours leaves to the examples

NB_CAP = 5.0  # bounds one sentence's cue-bank lemma evidence, so a long story cannot outvote a cue
FUZZY_FROM = 70  # a ratio of lemmatised question strings below this is no likeness
COMPOUND_HEAD = 4  # the shortest last part of a compound that is read as the word it is ("toets" in "leestoets")
WINDOW = 5  # sentences either side whose words count as context (the local topic)
CONTEXT_FADE = 0.7  # a context word's value per sentence further away: the nearest neighbours say most
QUESTION_REACH = 6  # sentences after a question that still count as answering it
TENSE_REACH = 4  # sentences before and after a sentence whose tense counts as its context
POSITION_KNOTS = np.linspace(0.0, 1.0, 6)  # relative time, as soft bins: terugkijken early, activeren late
MIN_COUNT = 2  # a word feature must occur this often in the examples to be learned
L2 = 0.02  # regularisation of the regression, per training sentence
STACK_FOLDS = 5  # the second regression learns from the first one's verdicts on the fold it did not see
STACK_RINGS = ((0, 1), (1, 3), (3, 12))  # (near, far): neighbours near+1 to far sentences away, either side
GUIDE_RINGS = ((0, 4), (4, 15))  # the same for the begeleider's sentences only: the begeleider leads the phases
STACK_L2 = 0.001  # the second regression has few inputs and many sentences to learn from
STEPS, RATE = 50, 0.2  # optimiser steps and step size: as good as 100 steps of 0.1 by leave-one-out
WORD_WEIGHT = 1.0  # training rows weigh (words) ** this: the score counts words, but short turns matter too
EMISSION = 0.4  # weight of a sentence's evidence against the learned costs: < 1, as neighbours share words
SAID = 0.3  # weight of the cue bank's word evidence for a begeleider's sentence, added to the emission
LATE_SWITCH = 1e-3  # between two cues a change of phase falls just before the later cue (tie-break only)
CHANGE_L2 = 0.0003  # the change model has few inputs per step and changes are rare (4% of steps): less damping
# Weight of the change model's likelihood ratio in a change's cost. 1.0 phases better by CV (0.904 against 0.899
# T1), but the summary, learned on labelled phases, then loses on unseen conversations (hard 0.781 -> 0.769 T1).
CHANGE = 0.5
CHANGE_CLIP = 5.0  # bounds one step's change evidence, so no single phrase forces a change
DUTCH_SAMPLE = 5000  # words read to tell whether a conversation is in Dutch (a ten-hour one need not be read whole)


@dataclass(frozen=True)
class Cues:
    """What prompts/fasen.yaml (plus a school's files) says."""

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
    lines: tuple[tuple[str, str, str], ...]  # (speaker, label, phrase): the bank's phrases as training lines
    problems: tuple[str, ...] = ()  # what is wrong with a school's cue file that was skipped


@dataclass(frozen=True)
class Bank:
    """The cues plus what was learned from the example conversations."""

    cues: Cues
    index: dict[str, int]  # sparse feature name -> column (after the dense columns)
    weights: np.ndarray  # (dense + sparse columns, labels)
    log_prior: np.ndarray  # log share of each label among the examples' sentences
    costs: dict[str, float]  # the decoder's phase-change costs
    words: tuple[str, ...]  # the lemmas the models know (sorted), to read misrecognised words and compounds as
    stack: np.ndarray  # (second-stage columns, labels): the second regression's weights
    change_index: dict[str, int]  # feature name -> column of the change model (after the bias)
    change: np.ndarray  # (1 + features, 2): the change model's weights
    corrections: dict[str, str] = field(default_factory=dict)


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


def _setting_paths(key: str) -> tuple[str, ...]:
    value = config.settings().get("fasen", {}).get(key) or ()
    return (value,) if isinstance(value, str) else tuple(value)


def bank() -> Bank:
    return build_bank(_setting_paths("extra"), school_folders())


@cache
def _cues(extra_paths: tuple[str, ...]) -> Cues:
    raw = config.load_prompt("fasen.yaml")
    ours, problems = raw, []
    for path in extra_paths:
        try:
            raw = _merge(raw, config.load_like(Path(path), ours, _OPEN_GROUPS))
        except UserError as exc:  # the built-in bank still works; the begeleider hears which file was skipped
            problems.append(str(exc))
    stop = frozenset(lemma(w) for w in raw["stopwoorden"]) | frozenset(raw["stopwoorden"])
    ask_docs = [_phrases(raw, label, _ASK_KEYS) for label in LABELS]
    say_docs = [_phrases(raw, label, _SAY_KEYS) for label in LABELS]
    vocab: dict[str, int] = {}
    for docs in (*ask_docs, *say_docs):
        for phrase in docs:
            for key in _features(lemmas(phrase), stop):
                vocab.setdefault(key, len(vocab))
    cues = [(" ".join(lemmas(q)), i) for i, label in enumerate(LABELS)
            for key in ("vragen", "overgangen") for q in raw.get(label, {}).get(key) or []]
    return Cues(
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
        lines=tuple((speaker, label, str(p)) for label in LABELS for speaker, keys in
                    (("begeleider", ("vragen", "overgangen")), ("leerling", ("antwoorden",)))
                    for p in _phrases(raw, label, keys)),
        problems=tuple(problems),
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
            for key in _features(lemmas(phrase), stop):
                counts[vocab[key], i] += 1
    logp = np.log(counts / counts.sum(axis=0))
    return logp - logp.mean(axis=1, keepdims=True)


def _phrase_pattern(phrases: list[str]) -> re.Pattern:
    """All phrases of two or more lemmas, longest first, as one pattern over a lemmatised sentence."""
    forms = {" ".join(lemmas(p)) for p in phrases}
    forms = sorted((f for f in forms if " " in f), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b" if forms else r"(?!)")


# --- features per sentence ----------------------------------------------------------------------------


@dataclass
class _Unit:
    segment: int  # index of the segment the sentence comes from
    offset: int  # where the sentence starts in that segment's text
    text: str
    speaker: str | None


def _units(segments: list[Segment]) -> list[_Unit]:
    return [_Unit(i, pos, sentence, seg.speaker)
            for i, seg in enumerate(segments) for pos, sentence in sentence_offsets(seg.text)]


def _known(lemma: str, words: tuple[str, ...], corrections: dict[str, str]) -> str:
    """A misrecognised word ("uitproberren") taken for the known word it nearly is, else a compound for the known
    word it ends in ("leestoets" for "toets"); remembered per bank. `words` is sorted."""
    if len(lemma) < 5 or not words:
        return lemma
    if lemma not in corrections:
        match = process.extractOne(lemma, words, scorer=fuzz.ratio, score_cutoff=85)
        corrections[lemma] = match[0] if match else _compound_head(lemma, words) or lemma
    return corrections[lemma]


def _compound_head(word: str, words: tuple[str, ...]) -> str | None:
    """The longest known word of at least COMPOUND_HEAD letters that `word` ends in after at least three others:
    in Dutch the last part of a compound says what it is."""
    for cut in range(3, len(word) - COMPOUND_HEAD + 1):
        head = word[cut:]
        at = bisect_left(words, head)
        if at < len(words) and words[at] == head:
            return head
    return None


def _is_past(token: str, lemma: str, past: frozenset[str]) -> bool:
    if token in past:
        return True
    if token == lemma or not lemma.endswith("en") or len(token) < 4:
        return False
    return token.endswith(("te", "de", "ten", "den")) or (token.startswith("ge") and token[-1] in "dt")


def _is_question(text: str, first: str, cues: Cues) -> bool:
    return text.rstrip().endswith("?") or first in cues.settings.get("vraagwoorden", ())


@dataclass
class _Sentence:
    lemmas: list[str]
    question: bool
    speaker: str | None
    cue: np.ndarray  # the cue bank's evidence: lemma log-odds (ask, say), phrases (ask, say), likeness
    past: float
    n_tokens: int


def _read(units: list[_Unit], cues: Cues, fix=lambda lemma: lemma, likeness: bool = True) -> list[_Sentence]:
    """Lemmas and the cue bank's evidence per sentence; `fix` corrects misrecognised lemmas."""
    out, asks = [], []
    for n, unit in enumerate(units):
        tokens = WORD.findall(unit.text.lower())
        lemmas = [fix(lemma(t)) for t in tokens]
        question = _is_question(unit.text, tokens[0] if tokens else "", cues)
        keys = [cues.vocab[k] for k in _features(lemmas, cues.stop) if k in cues.vocab]
        cue = np.zeros(5 * len(LABELS))
        if keys:
            cue[:5] = np.clip(cues.ask[keys].sum(axis=0), -NB_CAP, NB_CAP)
            cue[5:10] = np.clip(cues.say[keys].sum(axis=0), -NB_CAP, NB_CAP)
        cue[10:20] = _phrase_hits(" ".join(lemmas), cues)
        past = sum(_is_past(t, w, cues.past) for t, w in zip(tokens, lemmas, strict=True))
        out.append(_Sentence(lemmas, question, unit.speaker, cue, min(1.0, 3 * past / max(1, len(tokens))),
                             len(tokens)))
        if question and likeness and len(lemmas) >= 3:
            asks.append((n, " ".join(lemmas)))
    _likeness(out, asks, cues)
    return out


def _phrase_hits(lemma_text: str, cues: Cues) -> np.ndarray:
    hits = np.zeros(2 * len(LABELS))
    for i, pattern in enumerate(cues.phrases):
        for match in pattern.finditer(lemma_text):
            hits[i] += min(4, match.group().count(" ") + 1) / 2
    return hits


def _likeness(read: list[_Sentence], asks: list[tuple[int, str]], cues: Cues) -> None:
    """Questions that resemble a bank question point at its phase, however it was paraphrased."""
    if not asks or not cues.cue_text:
        return
    scores = process.cdist([a[1] for a in asks], cues.cue_text, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)
    for (n, _), row in zip(asks, scores, strict=True):
        best = np.zeros(len(LABELS))
        np.maximum.at(best, cues.cue_label, row.astype(float))
        read[n].cue[20:] = np.clip((best - FUZZY_FROM) / (100 - FUZZY_FROM), 0, 1)


def _dense(s: _Sentence, last_question: _Sentence | None, position: float | None, tense: np.ndarray) -> np.ndarray:
    """Numeric features; the last question's cue evidence lets an answer lean towards its question."""
    asked = last_question.cue if last_question is not None else np.zeros_like(s.cue)
    position_bins = np.zeros(len(POSITION_KNOTS)) if position is None else _position_bins(position)
    length_bins = np.array([s.n_tokens <= 3, 3 < s.n_tokens <= 8, 8 < s.n_tokens <= 15, s.n_tokens > 15])
    role = [s.speaker == "begeleider", s.speaker == "leerling"]
    return np.concatenate([[1.0], s.cue, asked, [s.past, s.question, *role], tense, position_bins, length_bins])


def _tense_around(read: list[_Sentence]) -> np.ndarray:
    """(sentences, 2): how much of what was said in the TENSE_REACH sentences before and after each one is in the
    past tense. A story is told in the past (terugkijken), what it says about the student in the present
    (reflecteren): the tense around a sentence tells the two apart where a paraphrased question does not."""
    n = len(read)
    past = np.concatenate([[0.0], np.cumsum([s.past * s.n_tokens for s in read])])
    size = np.concatenate([[0.0], np.cumsum([float(s.n_tokens) for s in read])])
    at = np.arange(n)
    lo, hi = np.maximum(0, at - TENSE_REACH), np.minimum(n, at + 1 + TENSE_REACH)
    before = (past[at] - past[lo]) / np.maximum(1.0, size[at] - size[lo])
    after = (past[hi] - past[at + 1]) / np.maximum(1.0, size[hi] - size[at + 1])
    return np.stack([before, after], axis=1)


def _position_bins(position: float | np.ndarray) -> np.ndarray:
    """Soft bins of relative time: (6,) for one position, (n, 6) for n."""
    return np.clip(1 - np.abs(np.asarray(position)[..., None] - POSITION_KNOTS) * (len(POSITION_KNOTS) - 1), 0, 1)


def _stacked(logp: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """The second regression's inputs per sentence: the first one's log posterior, its mean posterior over
    the neighbours in each ring before and after, over everything before and after, over the begeleider's
    sentences (`guide`: 1 for a begeleider's) in their rings, and the position."""
    n = len(logp)
    p, everyone = np.exp(logp), np.ones(n)
    columns = [np.ones((n, 1)), logp, *_ring_means(p, everyone, (*STACK_RINGS, (0, n))),
               *_ring_means(p, guide, GUIDE_RINGS)]
    return np.hstack([*columns, _position_bins(np.arange(n) / max(1, n - 1))])


def _ring_means(p: np.ndarray, counted: np.ndarray, rings: tuple[tuple[int, int], ...]) -> list[np.ndarray]:
    """Per sentence and ring, the mean of p over the counted sentences in that ring before it and after it
    (zeros where there are none)."""
    n = len(p)
    total = np.vstack([np.zeros(p.shape[1]), np.cumsum(p * counted[:, None], axis=0)])
    count = np.concatenate([[0.0], np.cumsum(counted)])
    at = np.arange(n)

    def mean(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:  # over sentences lo..hi-1
        lo, hi = np.clip(lo, 0, n), np.clip(hi, 0, n)
        return (total[hi] - total[lo]) / np.maximum(count[hi] - count[lo], 1)[:, None]

    return [m for near, far in rings for m in (mean(at - far, at - near), mean(at + near + 1, at + far + 1))]


def _sparse(read: list[_Sentence], n: int, last_question: _Sentence | None,
            stop: frozenset[str]) -> dict[str, float]:
    """Word features of the sentence, its neighbours (fading with distance) and the question it answers."""
    s = read[n]
    who = {"begeleider": "B", "leerling": "S"}.get(s.speaker or "", "-")
    names = dict.fromkeys([*_features(s.lemmas, stop), f"{who}{'?' if s.question else '.'}"], 1.0)
    near = range(max(0, n - WINDOW), min(len(read), n + 1 + WINDOW))
    context = [("<" if k < n else ">", read[k], CONTEXT_FADE ** (abs(k - n) - 1)) for k in near if k != n]
    if last_question is not None:
        context.append(("?", last_question, 1.0))
    for prefix, other, value in context:
        for w in other.lemmas:
            if w not in stop and names.get(prefix + w, 0.0) < value:
                names[prefix + w] = value
    return names


def _design(read: list[_Sentence], stop: frozenset[str],
            timed: bool = True) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Dense and sparse features of a conversation's sentences (`timed`: with their relative position)."""
    dense, names, last = [], [], None
    tense = _tense_around(read)
    for n, s in enumerate(read):
        asked = last if last is not None and n - last[0] <= QUESTION_REACH and not s.question else None
        question = asked[1] if asked else None
        dense.append(_dense(s, question, n / max(1, len(read) - 1) if timed else None, tense[n]))
        names.append(_sparse(read, n, question, stop))
        if s.question and s.speaker != "leerling":
            last = (n, s)
    return np.array(dense), names


def _change_features(read: list[_Sentence], n: int) -> dict[str, float]:
    """What the change model sees of the step into sentence n: how it opens, who speaks before and now, whether
    either asks, their lengths, and the bank's phrases in it (a transition: "Ik wil even met je kijken ...")."""
    s, before = read[n], read[n - 1]
    who = {"begeleider": "B", "leerling": "S"}
    spk = f"{who.get(before.speaker or '', '-')}{who.get(s.speaker or '', '-')}"
    first = s.lemmas[:2] + ["", ""]
    edges = before.lemmas[:1] + before.lemmas[-1:] if before.lemmas else ["", ""]
    feats = {f"f:{first[0]}": 1.0, f"ff:{first[0]} {first[1]}": 1.0, f"pf:{edges[0]}": 1.0, f"pl:{edges[1]}": 1.0,
             f"spk:{spk}": 1.0,
             f"q:{before.question:d}{s.question:d}{spk}": 1.0,
             f"len:{min(s.n_tokens, 15) // 4}{min(before.n_tokens, 15) // 4}": 1.0,
             "hits": min(4.0, float(s.cue[10:15].sum())) / 2, "like": float(s.cue[20:].max())}
    feats |= {f"w:{w}": 1.0 for w in s.lemmas}
    return feats


def _change_logodds(read: list[_Sentence], b: Bank) -> np.ndarray:
    """Per sentence, the change model's log-likelihood ratio that a phase starts there."""
    out = np.zeros(len(read))
    if not b.change_index or len(read) < 2:
        return out
    rows = [_change_features(read, n) for n in range(1, len(read))]
    z = _matrix(np.ones((len(rows), 1)), rows, b.change_index) @ b.change
    out[1:] = z[:, 1] - z[:, 0]
    return out


def _matrix(dense: np.ndarray, names: list[dict[str, float]], index: dict[str, int]) -> sparse.csr_matrix:
    rows, cols, values = [], [], []
    for n, row in enumerate(names):
        known = [(index[name], value) for name, value in row.items() if name in index]
        rows += [n] * len(known)
        cols += [col for col, _ in known]
        values += [value for _, value in known]
    words = sparse.csr_matrix((values, (rows, cols)), shape=(len(names), len(index)))
    return sparse.hstack([sparse.csr_matrix(dense), words], format="csr")


# --- learning -------------------------------------------------------------------------------------------


@cache
def build_bank(extra_paths: tuple[str, ...] = (), example_dirs: tuple[str, ...] = (),
               exclude: frozenset[str] = frozenset()) -> Bank:
    """Cues plus a model trained on the example conversations, minus the files named in `exclude`
    (to score a model on conversations it has not seen). Kept on disk, keyed by everything it is built
    from, so a new process loads it instead of training again."""
    paths = [config.PROMPTS_DIR / "fasen.yaml", *map(Path, extra_paths)]
    paths += [p for p in example_paths(example_dirs) if p.name not in exclude]
    return cached("fasen", paths, lambda: _build(extra_paths, example_dirs, exclude))


def _build(extra_paths: tuple[str, ...], example_dirs: tuple[str, ...], exclude: frozenset[str]) -> Bank:
    cues = _cues(extra_paths)
    examples = [read_example(p) for p in example_paths(example_dirs) if p.name not in exclude]
    examples = [e for e in examples if e]
    dense, names, labels, words, source, guide = [], [], [], [], [], []
    steps, changed = [], []
    for e, example in enumerate(examples):
        read = _read([_Unit(0, 0, text, speaker) for speaker, _, text in example], cues)
        for known in (True, False):  # with and without speakers, as transcripts come
            seen = [replace(s, speaker=s.speaker if known else None) for s in read]
            steps += [_change_features(seen, n) for n in range(1, len(seen))]
            changed += [a != b for (_, a, _), (_, b, _) in zip(example, example[1:], strict=False)]
            d, n = _design(seen, cues.stop)
            dense.append(d)
            names += n
            labels += [LABELS.index(phase) for _, phase, _ in example]
            words += [s.n_tokens for s in read]
            source += [2 * e + known] * len(read)
            guide += [known and s.speaker == "begeleider" for s in read]
    if examples:  # the bank's phrases too, each on its own: no context, no position, no likeness to itself
        for s in _read([_Unit(0, 0, text, speaker) for speaker, _, text in cues.lines], cues, likeness=False):
            d, n = _design([s], cues.stop, timed=False)
            dense.append(d)
            names += n
            words.append(s.n_tokens)
        labels += [LABELS.index(label) for _, label, _ in cues.lines]
        source += [-1] * len(cues.lines)
        guide += [False] * len(cues.lines)
    index = _vocabulary(names)
    y = np.array(labels)
    weight = np.maximum(1, np.array(words, dtype=float)) ** WORD_WEIGHT
    x = _matrix(np.vstack(dense), names, index) if examples else None
    prior = np.bincount(y, weights=weight, minlength=len(LABELS)) + 1.0
    none = np.zeros((0, len(LABELS)))
    change_index, change = _train_change(steps, np.array(changed, dtype=int)) if examples else ({}, np.zeros((0, 2)))
    return Bank(
        cues=cues,
        index=index,
        weights=_train(x, y, weight) if examples else none,
        stack=_train_stack(x, y, weight, np.array(source), np.array(guide, dtype=float)) if examples else none,
        log_prior=np.log(prior / prior.sum()),
        costs=_costs([[LABELS.index(phase) for _, phase, _ in e] for e in examples], cues.settings),
        words=tuple(sorted({w for e in examples for _, _, t in e for w in lemmas(t)}
                        | {w for w in cues.vocab if "~" not in w})),
        change_index=change_index,
        change=change,
    )


def _train_change(steps: list[dict[str, float]], changed: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
    """The change model: a regression on each step from one sentence to the next, less the share of steps
    that change phase (the decoder's costs hold that already), so it gives a likelihood ratio."""
    index = _vocabulary(steps)
    # Twice the steps: with little damping the weights go further from zero (AUC by CV 0.92 at 50 steps).
    weights = _train(_matrix(np.ones((len(steps), 1)), steps, index), changed, np.ones(len(steps)), l2=CHANGE_L2,
                     classes=2, steps=2 * STEPS)
    rate = (changed.sum() + 1) / (len(changed) + 2)
    weights[0, 1] -= np.log(rate / (1 - rate))
    return index, weights


def _vocabulary(names: list[dict[str, float]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in names:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    return {name: i for i, name in enumerate(sorted(n for n, c in counts.items() if c >= MIN_COUNT))}


def _train_stack(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, source: np.ndarray,
                 guide: np.ndarray) -> np.ndarray:
    """The second regression, trained on the first one's verdicts on each example conversation by a first
    regression trained without that conversation's fold. `source` numbers each sentence's conversation and
    speaker variant (2 * example + known), -1 for the bank's phrases, which are always trained on; `guide`
    marks the begeleider's sentences."""
    logp = np.zeros((len(y), len(LABELS)))
    fold = np.where(source < 0, -1, source // 2 % STACK_FOLDS)
    for k in range(STACK_FOLDS):
        held = fold == k
        logp[held] = _log_posterior(x[held], _train(x[~held], y[~held], weight[~held]))
    runs = [np.flatnonzero(source == s) for s in np.unique(source[source >= 0])]
    rows = np.concatenate(runs)
    return _train(sparse.csr_matrix(np.vstack([_stacked(logp[r], guide[r]) for r in runs])), y[rows], weight[rows],
                  l2=STACK_L2)


def _log_posterior(x: sparse.csr_matrix | np.ndarray, weights: np.ndarray) -> np.ndarray:
    z = x @ weights
    return z - np.logaddexp.reduce(z, axis=1, keepdims=True)


def _train(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, l2: float = L2, classes: int = len(LABELS),
           steps: int = STEPS) -> np.ndarray:
    """Multinomial logistic regression with row weights, L2-regularised, fitted by full-batch Adam (fast on
    sparse rows)."""
    weight = weight / weight.mean()
    onehot = np.eye(classes)[y] * weight[:, None]
    xt = x.T.tocsr()
    w = np.zeros((x.shape[1], classes))
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, steps + 1):
        z = x @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        grad = xt @ (p / p.sum(axis=1, keepdims=True) * weight[:, None] - onehot) / len(y) + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


_COST_KEYS = ("vooruit", "overslaan", "terug", "hervat", "overig_in", "overig_uit")
_SWITCH_KEYS = ("wissel_leerling", "wissel_in_beurt")


def _costs(sequences: list[list[int]], settings: dict) -> dict[str, float]:
    """-log of how often, per sentence, the examples move on to a new phase, skip a phase, go back, resume
    after going back, go into overig or come out of it; a cost set in fasen.yaml (instellingen) wins."""
    n = dict.fromkeys(("fase", "in_overig", "na_terug", *_COST_KEYS), 0)
    first = np.bincount([seq[0] for seq in sequences], minlength=len(LABELS)) + 0.5
    for seq in sequences:
        phase = furthest = seq[0] if seq[0] < len(PHASES) else 0
        for before, now in zip(seq, seq[1:], strict=False):
            if before == len(PHASES):
                n["in_overig"] += 1
                n["overig_uit"] += now != before
            else:
                n["fase"] += 1
                n["na_terug"] += phase < furthest
                n["overig_in"] += now == len(PHASES)
                n["vooruit"] += furthest < now < len(PHASES)
                n["hervat"] += phase < now <= furthest
                n["terug"] += now < phase
            if now < len(PHASES):
                n["overslaan"] += max(0, now - furthest - 1)
                phase, furthest = now, max(furthest, now)
    rate = {
        "vooruit": (n["vooruit"] + 1) / (n["fase"] + 2),
        "overslaan": (n["overslaan"] + 1) / (n["vooruit"] + n["overslaan"] + 2),
        "terug": (n["terug"] + 1) / (n["fase"] + 2),
        "hervat": (n["hervat"] + 1) / (n["na_terug"] + 2),
        "overig_in": (n["overig_in"] + 1) / (n["fase"] + 2),
        "overig_uit": (n["overig_uit"] + 1) / (n["in_overig"] + 2),
    } | {f"start_{label}": count / first.sum() for label, count in zip(LABELS, first, strict=True)}
    learned = {key: -float(np.log(value)) for key, value in rate.items()}
    switches = {key: float(settings.get(key, 0.0)) for key in _SWITCH_KEYS}  # set only: examples are whole turns
    return learned | {key: float(settings[key]) for key in learned if key in settings} | switches


# --- evidence and decoding ------------------------------------------------------------------------------


def _read_with(units: list[_Unit], b: Bank) -> list[_Sentence]:
    return _read(units, b.cues, fix=lambda w: _known(w, b.words, b.corrections) if w not in b.index else w)


def _emission(read: list[_Sentence], b: Bank) -> np.ndarray:
    """(units, labels) log evidence: the second regression's posterior over the label prior (a likelihood
    ratio), plus the cue bank's word evidence for what the begeleider says (the regressions learn to lean on
    the context, which in the examples hardly ever disagrees; a cue must still be able to turn a phase)."""
    dense, names = _design(read, b.cues.stop)
    guide = np.array([s.speaker == "begeleider" for s in read], dtype=float)
    logp = _log_posterior(_stacked(_log_posterior(_matrix(dense, names, b.index), b.weights), guide), b.stack)
    said = np.array([s.cue[: len(LABELS)] * (s.speaker != "leerling") for s in read])
    return EMISSION * (logp - b.log_prior) + SAID * said


# A state is (phase now, furthest phase reached, in overig). Remembering the furthest phase lets a brief
# return go forward again without paying for a skip, and overig return to the phase it interrupted.
STATES = [(p, f, o) for f in range(len(PHASES)) for p in range(f + 1) for o in (False, True)]


def _move_cost(p: int, f: int, q: int, s: dict) -> float:
    if q == p:
        return 0.0
    if q < p:
        return s["terug"]  # however far: "nog even terug naar die dag" jumps straight to it
    if q <= f:  # back to where the conversation was before a brief return
        return s["hervat"]
    return s["vooruit"] + s["overslaan"] * max(0, q - f - 1)


def _transitions(s: dict) -> tuple[np.ndarray, np.ndarray]:
    n = len(STATES)
    trans = np.full((n, n), -np.inf)
    start = np.full(n, -np.inf)
    for j, (q, g, into) in enumerate(STATES):
        if q == g:  # the conversation may open in a later phase, or with other talk (before the first)
            start[j] = -s[f"start_{OVERIG}"] - _move_cost(0, 0, q, s) if into else -s[f"start_{LABELS[q]}"]
        for i, (p, f, was) in enumerate(STATES):
            if g != max(f, q):
                continue
            if into:  # only from the same phase: overig keeps the phase it interrupted
                trans[i, j] = 0.0 if was and p == q else (-s["overig_in"] if p == q else -np.inf)
            else:
                trans[i, j] = -_move_cost(p, f, q, s) - (s["overig_uit"] if was else 0.0)
    return start, trans


def _switch_costs(units: list[_Unit], costs: dict[str, float]) -> np.ndarray:
    """Per sentence, the extra cost of a phase change starting there: none where the begeleider takes the turn
    (the begeleider moves the conversation on), some where the leerling does, more inside a turn."""
    out = np.zeros(len(units))
    for t in range(1, len(units)):
        now, before = units[t].speaker, units[t - 1].speaker
        if now is None or before is None:
            continue
        if now == before:
            out[t] = costs["wissel_in_beurt"]
        elif now == "leerling":
            out[t] = costs["wissel_leerling"]
    return out


def _viterbi(emission: np.ndarray, start: np.ndarray, trans: np.ndarray, switch: np.ndarray) -> list[int]:
    changed = ~np.eye(len(start), dtype=bool)
    score = start + emission[0]
    back = np.zeros(emission.shape, dtype=np.int64)
    for t in range(1, len(emission)):
        cand = score[:, None] + trans + changed * (LATE_SWITCH * t / len(emission) - switch[t])
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + emission[t]
    path = [int(score.argmax())]
    for t in range(len(emission) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _decode(emission: np.ndarray, costs: dict[str, float], switch: np.ndarray) -> list[str]:
    columns = [len(PHASES) if into else p for p, _, into in STATES]
    start, trans = _transitions(costs)
    path = _viterbi(emission[:, columns], start, trans, switch)
    return [LABELS[columns[state]] for state in path]


# --- public -------------------------------------------------------------------------------------------


def segment_phases(segments: list[Segment], *, model: Bank | None = None) -> tuple[list[Segment], list[PhaseSpan]]:
    """New segments with .phase set, cut where the phase changes inside one; spans are the runs.
    `model` replaces the configured bank (evaluation on held-out examples)."""
    if not segments:
        return [], []
    b = model or bank()
    units = _units(segments)
    read = _read_with(units, b)
    switch = _switch_costs(units, b.costs) - CHANGE * np.clip(_change_logodds(read, b), -CHANGE_CLIP, CHANGE_CLIP)
    labels = _decode(_emission(read, b), b.costs, switch)
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


def phase_warnings(segments: list[Segment], spans: list[PhaseSpan], timed: bool = True) -> list[str]:
    """Dutch warnings for the begeleider: a school's cue file that was skipped, a conversation not in Dutch, a
    phase not discussed, a phase that was very short (`timed`: only where the times were said, not estimated
    from the words), much overig."""
    cues = _cues(_setting_paths("extra"))
    words, minimum = cues.messages, float(cues.settings.get("minimale_duur", 20))
    out = [words["eigen_bestand"].format(fout=problem) for problem in cues.problems]
    if not spans:
        return out
    dutch = _dutch_share(segments)
    if 100 * dutch < float(cues.settings.get("nederlands_min", 50)):
        out.append(words["andere_taal"].format(procent=round(100 * dutch)))
    duration = {label: 0.0 for label in LABELS}
    for span in spans:
        duration[span.phase] += span.end - span.start
    for phase in PHASES:
        if duration[phase] == 0:
            out.append(words["ontbreekt"][phase])
        elif duration[phase] < minimum and timed:
            out.append(words["kort"].format(fase=phase.capitalize(), seconden=int(duration[phase])))
    total = spans[-1].end - spans[0].start
    share = 100 * duration[OVERIG] / total if total else 0
    if share > float(cues.settings.get("overig_max", 25)):
        out.append(words["overig"].format(procent=round(share)))
    return out


def _dutch_share(segments: list[Segment]) -> float:
    """The share of the words that are Dutch, from the first DUTCH_SAMPLE: enough to tell the language."""
    said = list(islice((w for s in segments for w in WORD.findall(s.text)), DUTCH_SAMPLE))
    return simplemma.in_target_language(" ".join(said), lang="nl") if said else 1.0
