"""Summary fields against the gold of .dialog files, per condition (T1/T2/T3), and the summary's speed.

    /work/venv/bin/python benchmarks/summary.py [--set dev|voorbeelden|hard|vers|structuur|blind|blind2]
        [--condities T1 T3] [-v] [--folds 5] [--afstemmen] [--snelheid] [--streng]

The whole analysis runs as in the pipeline (speakers, phases, summary). dev and hard are held out: the models
learn from the example conversations only. --set voorbeelden scores the examples by k-fold cross-validation:
each fold with a summary model and a phase model trained without it; --afstemmen then tunes the thresholds
of samenvatting.yaml (drempels) on those folds, by the strict score (--streng: a wrong list item counts
against, as a wrong value is worse than none). Scoring as in
../shared/data/README.md: lowercase word tokens; a string field is found when max(token F1, token recall)
against gold is at least 0.5; a list field scores the share of gold items that some output item finds; a null
gold is found when the output is null or empty. Beside it, the pairing: of the gold belemmering/oplossing
pairs (same place in the two gold lists) whose two items the output both finds, the share it puts side by
side, as the verslag's table and the actieplan show them.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import conditions  # noqa: E402
from evaluate import dialog_paths, long_conversation, set_names  # noqa: E402  (also gives the run its throwaway data directory)

from gesprekopname import examples, phases, speakers, summary  # noqa: E402

GOLD_FIELDS = ("ervaring", "rol", "kwaliteiten", "motieven", "inzicht",
               "vervolgstap", "wanneer", "contact", "belemmeringen", "oplossingen")
FOUND = 0.5
GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def overlap(output: str, gold: str) -> float:
    """max(token F1, token recall) of output against gold."""
    out, ref = Counter(_tokens(output)), Counter(_tokens(gold))
    common = sum((out & ref).values())
    if not common:
        return 0.0
    recall = common / sum(ref.values())
    precision = common / sum(out.values())
    return max(2 * precision * recall / (precision + recall), recall)


def field_score(output, gold, strict: bool = False) -> float:
    """The README's score; `strict` also counts a list's wrong items (F1 of found gold items and right output
    items), as a wrong item is worse than none: the thresholds are tuned on that."""
    if not gold:
        return float(not output)
    if isinstance(gold, list):
        items = output or []
        recall = sum(any(overlap(o, g) >= FOUND for o in items) for g in gold) / len(gold)
        if not strict or not items or not recall:
            return recall
        precision = sum(any(overlap(o, g) >= FOUND for g in gold) for o in items) / len(items)
        return 2 * precision * recall / (precision + recall)
    return float(bool(output) and overlap(output, gold) >= FOUND)


def student_name(reading: summary.Reading) -> str | None:
    """As the pipeline names the student when no name is given: how the begeleider addresses them."""
    return speakers.student_name(None, [(u.speaker, u.text) for u in reading.units])


def read(segments, model=None, bank=None, known=None) -> summary.Reading:
    phased = phases.segment_phases(speakers.assign_speakers(segments), model=bank)[0]
    return summary.read(phased, model, known)


def readings(paths: list[Path], conds: tuple[str, ...], folds: int
             ) -> list[tuple[conditions.Dialog, str, summary.Reading]]:
    """Every conversation under every condition, read by the models; with folds, models trained without the
    conversation's fold (cross-validation over the examples)."""
    out = []
    for k in range(max(1, folds)):
        mine = paths[k::folds] if folds else paths
        held = frozenset(p.name for p in mine) if folds else frozenset()
        model = summary.field_model(exclude=held)
        bank = phases.build_bank(exclude=held) if folds else None
        known = examples.spoken_words(exclude=held)
        for path in mine:
            dialog = conditions.load_dialog(path)
            out += [(dialog, c, read(conditions.segments_for(dialog, c), model, bank, known)) for c in conds]
    return out


def field_scores(paths: list[Path], conds: tuple[str, ...], verbose: bool = False, folds: int = 0,
                 read_: list | None = None, thresholds: dict | None = None, strict: bool = False
                 ) -> dict[str, dict[str, float]]:
    """Per condition, per gold field, the mean score over the conversations."""
    scores: dict[str, dict[str, list[float]]] = {c: {f: [] for f in GOLD_FIELDS} for c in conds}
    for dialog, cond, reading in read_ if read_ is not None else readings(paths, conds, folds):
        out = summary.decide(reading, thresholds, name=student_name(reading))[0]
        for f in GOLD_FIELDS:
            s = field_score(out.get(f), dialog.gold.get(f), strict)
            scores[cond][f].append(s)
            if verbose and s < 1:
                print(f"  {cond} {dialog.name} {f}: {s:.2f}\n    gold: {dialog.gold.get(f)}"
                      f"\n    uit:  {out.get(f)}")
    return {c: {f: sum(v) / len(v) for f, v in per_field.items()} for c, per_field in scores.items()}


def _finds(output: str, gold: str) -> bool:
    """An output item finds a gold item, also as one of the alternatives it joins ("a; b")."""
    return any(overlap(part, gold) >= FOUND for part in [output, *output.split("; ")])


def pairing(read_: list) -> tuple[int, int]:
    """(side by side, both found) over the gold pairs."""
    side = both = 0
    for dialog, _, reading in read_:
        out = summary.decide(reading)[0]
        obstacles, solutions = out["belemmeringen"], out["oplossingen"]
        for b, o in zip(dialog.gold.get("belemmeringen") or [], dialog.gold.get("oplossingen") or [], strict=False):
            if not (b and o and any(_finds(x, b) for x in obstacles) and any(_finds(x, o) for x in solutions)):
                continue
            both += 1
            side += any(_finds(x, b) and k < len(solutions) and _finds(solutions[k], o)
                        for k, x in enumerate(obstacles))
    return side, both


def show(scores: dict[str, dict[str, float]], n: int) -> None:
    conds = tuple(scores)
    print(f"{'veld':14s} " + " ".join(f"{c:>6s}" for c in conds))
    for f in GOLD_FIELDS:
        print(f"{f:14s} " + " ".join(f"{scores[c][f]:6.3f}" for c in conds))
    means = [sum(scores[c].values()) / len(GOLD_FIELDS) for c in conds]
    print(f"{'gemiddeld':14s} " + " ".join(f"{m:6.3f}" for m in means) + f"   ({n} gesprekken)")


def tune(read_: list, conds: tuple[str, ...]) -> dict[str, float]:
    """Per field in turn, the threshold with the best mean score over the conditions; ties go to the higher
    one (null when unsure). Two rounds, as wanneer depends on vervolgstap."""
    best = dict(summary.rules().thresholds)
    for _ in range(2):
        for field in best:
            trials = []
            for t in GRID:
                scores = field_scores([], conds, read_=read_, thresholds=best | {field: t}, strict=True)
                trials.append((sum(sum(s.values()) for s in scores.values()), t))
            best[field] = max(trials)[1]
    return best


def timing() -> None:
    segments = phases.segment_phases(speakers.assign_speakers(long_conversation()))[0]
    summary.summarise(segments[:20])  # loading the phrase lists is not part of the target
    start = time.perf_counter()
    summary.summarise(segments, name="Noor")  # as with --leerling Noor: the values told about the student
    took = time.perf_counter() - start
    print(f"\nsnelheid samenvatting: {len(segments)} segmenten ({segments[-1].end / 60:.0f} min) in {took:.3f} s"
          " (doel < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[s for s in set_names() if s != "all"], default="dev")
    parser.add_argument("--condities", nargs="*", default=("T1", "T2", "T3"))
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds for --set voorbeelden")
    parser.add_argument("--afstemmen", action="store_true", help="tune the thresholds on the folds (voorbeelden)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every field that is not found")
    parser.add_argument("--snelheid", action="store_true", help="also time the summary on a long conversation")
    parser.add_argument("--streng", action="store_true", help="also the strict scores: wrong list items count")
    args = parser.parse_args()
    paths = dialog_paths(args.set)
    conds = tuple(args.condities)
    if not paths:
        print(f"geen gesprekken in set {args.set}")
    else:
        read_ = readings(paths, conds, args.folds if args.set == "voorbeelden" else 0)
        show(field_scores(paths, conds, args.verbose, read_=read_), len(paths))
        side, both = pairing(read_)
        print(f"\nparen belemmering-oplossing naast elkaar: {side}/{both} = {side / max(1, both):.3f}")
        if args.streng:
            print("\nstreng (foute lijstitems tellen mee):")
            show(field_scores(paths, conds, read_=read_, strict=True), len(paths))
        if args.afstemmen:
            best = tune(read_, conds)
            print("\ndrempels:\n" + "".join(f"  {f}: {t}\n" for f, t in best.items()))
            show(field_scores(paths, conds, read_=read_, thresholds=best), len(paths))
    if args.snelheid:
        timing()


if __name__ == "__main__":
    main()
