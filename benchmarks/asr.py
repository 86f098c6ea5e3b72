"""Speed and memory of recognition: the project's path (asr.transcribe) against plain faster-whisper.

Run: python benchmarks/asr.py [--runs 3]
Each path runs in its own subprocess per run (alternating), so peak RSS is per path and neither warms the
other's caches. Wall time covers model load plus transcribing both files, imports excluded.
Plain = WhisperModel(same dir, same compute_type, same cpu_threads).transcribe(path, language="nl") at its
defaults (beam 5, no VAD, no word timestamps), generator consumed. Targets (2 cores, base): RTF <= 0.15,
ratio <= 1.0, peak RSS <= 700 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUDIO = REPO.parent / "shared" / "data" / "audio"
FILES = [AUDIO / "02-interview-fysiotherapeut.flac", AUDIO / "04-bpv-distributiecentrum.flac"]


def child(kind: str, model_dir: str) -> None:
    """Transcribe FILES one way and print wall time and audio seconds as JSON."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from faster_whisper import WhisperModel, decode_audio

    from gesprekopname import asr

    start = time.perf_counter()
    if kind == "project":
        audio = sum(asr.transcribe(path, model=model_dir).duration for path in FILES)
    else:
        model = WhisperModel(model_dir, device="cpu", compute_type=asr.COMPUTE_TYPE, cpu_threads=asr.CPU_THREADS)
        for path in FILES:
            segments, _ = model.transcribe(str(path), language="nl")
            list(segments)
        audio = sum(len(decode_audio(str(path))) / asr.SAMPLE_RATE for path in FILES)
    print(json.dumps({"wall": time.perf_counter() - start, "audio": audio}))


def run_child(kind: str, model_dir: str) -> tuple[float, float, float]:
    """(wall seconds, audio seconds, peak RSS in MB) of one subprocess; wait4 gives that child's own rusage."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, "--model", model_dir], stdout=subprocess.PIPE, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        sys.exit(f"{kind} run failed (status {status})")
    result = json.loads(out)
    return result["wall"], result["audio"], usage.ru_maxrss / 1024


def startup() -> None:
    if not (REPO / "src" / "gesprekopname" / "cli.py").exists():
        print("startup: cli.py not there yet, skipped")
        return
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gesprekopname", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(f"startup `python -m gesprekopname --help`: median {statistics.median(times):.3f} s (target < 0.5 s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=["project", "plain"])
    parser.add_argument("--model")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.model)

    with tempfile.TemporaryDirectory(prefix="gesprekopname-bench-") as home:
        os.environ["GESPREKOPNAME_HOME"] = home
        compare(args.runs)
    startup()


def compare(runs: int) -> None:
    from gesprekopname import asr

    model_dir = str(asr.bundled_model_dir())
    print(
        f"model {model_dir}, compute_type={asr.COMPUTE_TYPE}, cpu_threads={asr.CPU_THREADS}, "
        f"beam={asr.BEAM_SIZE}, condition_on_previous_text={asr.CONDITION_ON_PREVIOUS_TEXT}, "
        f"{os.cpu_count()} cores"
    )
    results = {"project": [], "plain": []}
    for run in range(runs):
        for kind in ("project", "plain") if run % 2 == 0 else ("plain", "project"):
            wall, audio, rss = run_child(kind, model_dir)
            results[kind].append((wall, rss))
            print(f"run {run + 1} {kind:8s} wall {wall:6.1f} s  peak RSS {rss:5.0f} MB", flush=True)
    medians = {kind: statistics.median(w for w, _ in rows) for kind, rows in results.items()}
    for kind, rows in results.items():
        peak = max(r for _, r in rows)
        print(f"{kind:8s} median wall {medians[kind]:6.1f} s  RTF {medians[kind] / audio:.3f}  peak RSS {peak:.0f} MB")
    print(f"audio {audio:.1f} s; ratio project/plain {medians['project'] / medians['plain']:.2f}")


if __name__ == "__main__":
    main()
