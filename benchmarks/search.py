"""How fast `zoeken` is on a large database: 500 one-hour sessions of about 1000 segments each.

The sessions are generated from the sentences of the example conversations (prompts/voorbeelden and
benchmarks/data/hard), one or two random sentences per segment, and stored through store.save_session into a
temporary database (so the search triggers run as in real use). A rare phrase is planted in three sessions.
Then each query runs through store.search (the query the CLI runs) `--repeat` times: median and p95 per query;
and once through the real CLI in a subprocess, for the end-to-end time including Python's start.

Run: python benchmarks/search.py [--sessions 500] [--segments 1000] [--repeat 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gesprekopname import store
from gesprekopname.types import PHASES, PhaseSpan, Segment, Session

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "prompts" / "voorbeelden").glob("*.dialog")),
           *sorted((ROOT / "benchmarks" / "data" / "hard").glob("*.dialog"))]
RARE = "een zeppelin in de hangar"
TARGET_MS = 50.0
QUERIES: list[tuple[str, dict]] = [
    (RARE, {}),
    ("hangar zeppelin", {}),  # not as a phrase: falls back to all words
    ("stage", {}),
    ("ik wil", {}),
    ("open dag", {}),
    ("stage", {"leerling": "L007"}),
    ("stage", {"fase": "vooruitkijken"}),
    ("xylofoon", {}),
]


def sentences() -> list[str]:
    found = []
    for path in SOURCES:
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        found += [line[3:].strip() for line in body.splitlines() if line[:3] in ("B: ", "S: ")]
    return found


def generate(rng: random.Random, pool: list[str], number: int, segments: int) -> Session:
    duration = 3600.0
    step = duration / segments
    lines = [" ".join(rng.sample(pool, rng.choice((1, 1, 2)))) for _ in range(segments)]
    if number in (7, 250, 493):
        lines[rng.randrange(segments)] += f" Ik zag {RARE} staan."
    phase_of = [PHASES[min(3, i * 4 // segments)] for i in range(segments)]
    return Session(
        id=f"b{number:07d}", leerling=f"L{number % 100:03d}",
        datum=f"20{20 + number // 100}-{number % 12 + 1:02d}-{number % 28 + 1:02d}T10:00:00+01:00",
        duur=duration, bron="bestand",
        segments=[Segment(i * step, (i + 1) * step, text, "leerling" if i % 2 else "begeleider", None, phase_of[i])
                  for i, text in enumerate(lines)],
        phases=[PhaseSpan(p, i * duration / 4, (i + 1) * duration / 4) for i, p in enumerate(PHASES)],
        summary={"ervaring": rng.choice(pool), "kwaliteiten": rng.sample(pool, 2), "vervolgstap": rng.choice(pool)},
    )


def build(home: Path, sessions: int, segments: int) -> float:
    rng, pool = random.Random(6), sentences()
    start = time.perf_counter()
    with store.open_db(home / "gesprekken.db") as db:
        for number in range(sessions):
            store.save_session(db, generate(rng, pool, number, segments))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start


def time_queries(home: Path, repeat: int) -> list[tuple[str, dict, int, float, float]]:
    results = []
    with store.open_db(home / "gesprekken.db") as db:
        for text, options in QUERIES:
            leerling_id = store.find_leerling(db, options["leerling"])["id"] if "leerling" in options else None
            timings, hits = [], []
            for _ in range(repeat):
                start = time.perf_counter()
                hits, _exact = store.search(db, text, leerling_id, options.get("fase"))
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            results.append((text, options, len(hits), statistics.median(timings), p95))
    return results


def cli_seconds(home: Path, *args: str) -> float:
    env = {**os.environ, "GESPREKOPNAME_HOME": str(home)}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "gesprekopname", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0 or RARE.split()[-1] not in result.stdout:
        raise SystemExit(f"CLI-zoekopdracht mislukt: {result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="build the database in this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        home = args.keep or Path(temporary)
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "gesprekken.db").exists():
            seconds = build(home, args.sessions, args.segments)
            print(f"{args.sessions} gesprekken x {args.segments} segmenten opgeslagen in {seconds:.0f} s; "
                  f"database {(home / 'gesprekken.db').stat().st_size / 1e6:.0f} MB")
        print(f"{'zoekopdracht':<40} {'treffers':>8} {'mediaan':>9} {'p95':>9}")
        worst = 0.0
        for text, options, hits, median, p95 in time_queries(home, args.repeat):
            label = text + "".join(f" --{k} {v}" for k, v in options.items())
            print(f"{label:<40} {hits:>8} {median:>7.1f}ms {p95:>7.1f}ms")
            worst = max(worst, p95)
        verdict = "gehaald" if worst < TARGET_MS else "NIET gehaald"
        print(f"langzaamste p95: {worst:.1f} ms (doel < {TARGET_MS:.0f} ms): {verdict}")
        print(f"hele CLI (`gesprekopname zoeken \"{RARE}\"`, met opstarten van Python): "
              f"{cli_seconds(home, 'zoeken', RARE) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
