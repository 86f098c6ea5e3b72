"""Live recording: stop-to-verslag latency, dropped input blocks and peak memory, against the baseline of
transcribing the whole recording after the stop.

Run: python benchmarks/record.py [--seconds 300]   (takes about twice --seconds)
A private PulseAudio with a null sink (tests/conftest.py) plays dev file 04 (288 s, padded with silence to
--seconds) in real time while `gesprekopname opnemen --duur SECONDS` records it. Latency: from the moment
audio.pcm holds --duur seconds to the exit of the CLI, verslag printed. Peak RSS: the CLI process plus its
children (the transcription worker), summed, sampled every 0.1 s from /proc. Baseline: `gesprekopname
verwerken` of the same audio, wall time. Targets (2 cores, base): latency <= 10 s, 0 overflows, RSS <= 800 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUDIO = REPO.parent / "shared" / "data" / "audio" / "04-bpv-distributiecentrum.flac"
sys.path.insert(0, str(REPO / "tests"))
from conftest import virtual_microphone  # noqa: E402  (the tests' private PulseAudio)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of pid and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1])
        except OSError:
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def record(home: Path, env: dict, audio: Path, seconds: int) -> dict:
    player = subprocess.Popen(["paplay", "-d", "spk", str(audio)], env=env)
    cli = subprocess.Popen(
        [sys.executable, "-m", "gesprekopname", "opnemen", "--leerling", "Jayden", "--toestemming", "leerling",
         "--duur", str(seconds)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    target, stopped, peak = seconds * 32000, None, 0.0
    while cli.poll() is None:
        peak = max(peak, tree_rss_mb(cli.pid))
        if stopped is None:
            sizes = [p.stat().st_size for p in (home / "opnames").glob("*/audio.pcm")]
            if sizes and max(sizes) >= target:
                stopped = time.monotonic()
        time.sleep(0.1)
    done = time.monotonic()
    out, err = cli.communicate()
    player.kill()
    if cli.returncode != 0 or stopped is None:
        sys.exit(f"opnemen failed ({cli.returncode}):\n{err}")
    overflows = int(re.search(r"verloren invoerblokken: (\d+)", err).group(1))
    return {"latency": done - stopped, "overflows": overflows, "rss": peak, "verslag": out}


def baseline(home: Path, env: dict, audio: Path) -> float:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "gesprekopname", "verwerken", str(audio), "--leerling", "Jayden"],
                   env=env, check=True, capture_output=True)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300)
    args = parser.parse_args()
    from gesprekopname import asr

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        env = {**os.environ, "GESPREKOPNAME_HOME": str(home), "HF_HUB_OFFLINE": "1"}
        os.environ["GESPREKOPNAME_HOME"] = str(home)
        home.mkdir()
        (home / "config.toml").write_text(f'[model]\npath = "{asr.bundled_model_dir()}"\n')
        audio = tmp / "gesprek.wav"
        subprocess.run(["sox", "-V1", str(AUDIO), str(audio), "pad", "0", str(max(args.seconds - 288, 0) + 2),
                        "trim", "0", str(args.seconds + 2)], check=True)
        with virtual_microphone(tmp / "pulse") as pulse:
            live = record(home, {**env, **pulse}, audio, args.seconds)
        whole = baseline(home, env, audio)
    print(f"recording {args.seconds} s, {asr.CPU_THREADS} threads")
    print(f"stop-to-verslag latency  {live['latency']:6.1f} s   (target <= 10 s)")
    print(f"whole file afterwards    {whole:6.1f} s   (gesprekopname verwerken)")
    print(f"ratio latency / baseline {live['latency'] / whole:6.2f}")
    print(f"dropped input blocks     {live['overflows']:6d}")
    print(f"peak RSS, process tree   {live['rss']:6.0f} MB (target <= 800 MB)")


if __name__ == "__main__":
    main()
