"""Phase accuracy per conversation and condition (T1/T2/T3), role accuracy for T2, and segmentation speed.

    /work/venv/bin/python benchmarks/evaluate.py [--set dev|hard|vers|structuur|blind|blind2|all|voorbeelden]
        [--zonder NAAM ...]

--set voorbeelden scores each example conversation (prompts/voorbeelden) with a model trained without it
(leave-one-out); --zonder leaves more example files out of every model (to see what one of them adds).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# A throwaway data directory, removed when the run ends.
_HOME = tempfile.TemporaryDirectory(prefix="gesprekopname-bench-")
os.environ.setdefault("GESPREKOPNAME_HOME", _HOME.name)

import conditions  # noqa: E402

from gesprekopname import examples, phases, speakers  # noqa: E402
from gesprekopname.types import Segment  # noqa: E402

DATA = Path(__file__).parent / "data"  # one folder per test set: hard, vers, structuur, blind, blind2, blind3
CONDITIONS = ("T1", "T2", "T3")


def set_names() -> tuple[str, ...]:
    """What --set takes: dev, each test set's folder, all of those, or the example conversations."""
    return ("dev", *sorted(p.name for p in DATA.iterdir() if p.is_dir()), "all", "voorbeelden")


def dialog_paths(which: str) -> list[Path]:
    if which == "voorbeelden":
        return examples.example_paths()
    names = [name for name in set_names() if name not in ("all", "voorbeelden")] if which == "all" else [which]
    return [p for name in names for p in
            (conditions.dev_dialogs() if name == "dev" else sorted((DATA / name).glob("*.dialog")))]


def analyse(segments: list[Segment], model: phases.Bank) -> list[Segment]:
    """As the pipeline does: speakers first, then phases."""
    return phases.segment_phases(speakers.assign_speakers(segments), model=model)[0]


def evaluate(paths: list[Path], held_out: bool, without: frozenset[str]) -> None:
    totals: dict[str, list[float]] = {c: [] for c in CONDITIONS}
    roles: list[float] = []
    print(f"{'gesprek':40s} {'T1':>6s} {'T2':>6s} {'T3':>6s} {'rol T2':>7s}")
    for path in paths:
        dialog = conditions.load_dialog(path)
        model = phases.build_bank(exclude=without | ({path.name} if held_out else set()))
        row = []
        for cond in CONDITIONS:
            result = analyse(conditions.segments_for(dialog, cond), model)
            row.append(conditions.phase_accuracy(dialog, result))
            totals[cond].append(row[-1])
            if cond == "T2":
                roles.append(conditions.role_accuracy(dialog, result))
        print(f"{dialog.name:40s} " + " ".join(f"{a:6.3f}" for a in row) + f" {roles[-1]:7.3f}")
    if paths:
        means = [sum(v) / len(v) for v in totals.values()]
        print(f"{'gemiddeld':40s} " + " ".join(f"{m:6.3f}" for m in means) + f" {sum(roles) / len(roles):7.3f}")


def long_conversation(n_segments: int = 1500, minutes: float = 90.0) -> list[Segment]:
    """Dev dialogues' T2 segments one after another, shifted in time, squeezed to the wanted length."""
    pool = [conditions.segments_for(conditions.load_dialog(p), "T2") for p in conditions.dev_dialogs()]
    out: list[Segment] = []
    offset = 0.0
    while len(out) < n_segments:
        segs = pool[len(out) % len(pool)]
        out.extend(replace(s, start=s.start + offset, end=s.end + offset) for s in segs)
        offset = out[-1].end + 1.0
    out = out[:n_segments]
    scale = minutes * 60 / out[-1].end
    return [replace(s, start=s.start * scale, end=s.end * scale) for s in out]


def timing() -> None:
    segments = long_conversation()
    phases.segment_phases(segments[:20])  # load the bank and the lemmatiser first: not part of the target
    start = time.perf_counter()
    phases.segment_phases(segments)
    took = time.perf_counter() - start
    minutes = segments[-1].end / 60
    print(f"\nsnelheid: {len(segments)} segmenten ({minutes:.0f} min) in {took:.3f} s (doel < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dev", choices=set_names())
    parser.add_argument("--zonder", nargs="*", default=(), metavar="NAAM", help="example files to leave out")
    args = parser.parse_args()
    evaluate(dialog_paths(args.set), args.set == "voorbeelden", frozenset(args.zonder))
    timing()


if __name__ == "__main__":
    main()
