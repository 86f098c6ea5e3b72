"""Role accuracy (begeleider/leerling) per dialogue and overall.

Text: condition T2 over the dev dialogues and, when present, benchmarks/data/hard/*.dialog (both held out:
never in the examples the model learns from). `--set voorbeelden`: k-fold over the example conversations in
prompts/voorbeelden, each scored with a model trained without its fold (`--folds N`, default leave-one-out).
Audio: the espeak dev recordings, once with word timings spread over the gold turns (the voice clustering
alone) and once through the project's own asr.transcribe (bundled base model) (about a minute per file; the
transcriptions are cached in $ROLES_ASR_CACHE, default /tmp/roles_asr-project). --geen-asr skips the latter.

Run: python benchmarks/roles.py [--geen-asr] [--condition T3] [--set voorbeelden [--folds N]]
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import conditions  # noqa: E402

from gesprekopname import asr, examples, speakers, transcripts  # noqa: E402
from gesprekopname.speakers import assign_speakers  # noqa: E402
from gesprekopname.types import Segment, Word  # noqa: E402

HARD = Path(__file__).parent / "data" / "hard"
CACHE = Path(os.environ.get("ROLES_ASR_CACHE", "/tmp/roles_asr-project"))


def gold_word_segments(dialog: conditions.Dialog) -> list[Segment]:
    """T2 segments with word timings spread evenly (by characters) over each gold turn."""
    stream: list[Word] = []
    for turn in dialog.turns:
        tokens = turn.text.split()
        total = sum(len(t) + 1 for t in tokens)
        clock, span = turn.start, turn.end - turn.start
        for token in tokens:
            end = clock + span * (len(token) + 1) / total
            stream.append(Word(round(clock, 3), round(end, 3), token))
            clock = end
    segments, k = [], 0
    for seg in conditions.segments_for(dialog, "T2"):
        n = len(seg.text.split())
        segments.append(Segment(seg.start, seg.end, seg.text, words=stream[k : k + n]))
        k += n
    return segments


def recognised_segments(flac: Path) -> list[Segment]:
    """The project's own transcription (asr.transcribe), cached as faster-whisper-style JSON."""
    cached = CACHE / f"{flac.stem}.json"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        rows = [asdict(s) for s in asr.transcribe(flac).segments]
        cached.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return transcripts.read_transcript(cached).segments


def report(title: str, scores: dict[str, float]) -> None:
    print(f"\n== {title}")
    for name, score in scores.items():
        print(f"  {name:40s} {score:.3f}")
    if scores:
        print(f"  {'overall (mean)':40s} {sum(scores.values()) / len(scores):.3f}")


def _option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def text_scores(paths: list[Path], condition: str, model: speakers.RoleModel | None = None) -> dict[str, float]:
    scores = {}
    for path in paths:
        dialog = conditions.load_dialog(path)
        found = assign_speakers(conditions.segments_for(dialog, condition), model=model)
        scores[dialog.name] = conditions.role_accuracy(dialog, found)
    return scores


def cross_validated(condition: str, folds: int) -> dict[str, float]:
    """Each example conversation scored by a model that never saw it."""
    paths = examples.example_paths()
    folds = min(folds, len(paths)) if folds > 0 else len(paths)
    scores = {}
    for k in range(folds):
        held = paths[k::folds]
        model = speakers.train(speakers.example_dialogues([p for p in paths if p not in held]))
        scores |= text_scores(held, condition, model)
    return dict(sorted(scores.items()))


def main() -> None:
    condition = _option("--condition", "T2")
    if _option("--set", "") == "voorbeelden":
        folds = int(_option("--folds", "0"))
        report(f"{condition} text, voorbeelden (cross-validated)", cross_validated(condition, folds))
        return
    report(f"{condition} text, dev", text_scores(conditions.dev_dialogs(), condition))
    hard = sorted(HARD.glob("*.dialog"))
    if hard:
        report(f"{condition} text, hard ({len(hard)})", text_scores(hard, condition))

    flacs = sorted((conditions.SHARED / "audio").glob("*.flac"))
    gold, recognised = {}, {}
    for flac in flacs:
        dialog = conditions.load_dialog(conditions.SHARED / "dialogues" / f"{flac.stem}.dialog")
        audio = asr.load_audio(flac)
        gold[dialog.name] = conditions.role_accuracy(dialog, assign_speakers(gold_word_segments(dialog), audio))
        if "--geen-asr" not in sys.argv:
            found = assign_speakers(recognised_segments(flac), audio)
            recognised[dialog.name] = conditions.role_accuracy(dialog, found)
    report("audio, words spread over gold turns (voice clustering)", gold)
    if recognised:
        report("audio, recognised words (ASR)", recognised)

    dialog = conditions.load_dialog(conditions.dev_dialogs()[0])
    many = conditions.segments_for(dialog, "T2") * 25
    speakers.role_model.cache_clear()
    start = time.perf_counter()
    speakers.role_model()
    print(f"\nmodel built from the examples in {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    assign_speakers(many)
    print(f"speed: {len(many)} T2 segments in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
