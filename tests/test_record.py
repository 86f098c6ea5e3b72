"""Live recording with the real CLI from a virtual microphone (private PulseAudio, see conftest.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA

from gesprekopname.record import Resampler

SPEECH = DATA / "speech-04-60s.flac"  # the first minute of the dev recording 04, with its turn timings
REFERENCE = json.loads(SPEECH.with_suffix(".json").read_text(encoding="utf-8"))
FRAME = 160  # 10 ms envelope frames at 16 kHz


def cli(*args: str, home: Path, env: dict, **kwargs) -> subprocess.Popen:
    """The CLI in the background with stdin not a terminal, as in a script."""
    full = {**os.environ, **env, "GESPREKOPNAME_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    full.pop("GESPREKOPNAME_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "gesprekopname", *args], env=full, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    """The first 60 s of a dev conversation as a 16 kHz WAV file for paplay."""
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["sox", str(SPEECH), str(path), "trim", "0", "60"], check=True)
    return path


def play(path: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(["paplay", "-d", "spk", str(path)], env={**os.environ, **env})


def envelope(samples: np.ndarray) -> np.ndarray:
    frames = samples[: samples.size // FRAME * FRAME].reshape(-1, FRAME)
    return np.sqrt(np.mean(np.square(frames.astype(np.float64)), axis=1))


def best_match(recorded: np.ndarray, played: np.ndarray) -> float:
    """Peak normalised cross-correlation of the envelopes over lags of up to 10 s."""
    rec = envelope(recorded)
    ref = envelope(played)
    scores = []
    for lag in range(1000):
        part = ref[lag : lag + rec.size]
        if part.size < rec.size:
            break
        scores.append(np.corrcoef(rec, part)[0, 1])
    return max(scores)


def recordings(home: Path) -> list[Path]:
    folder = home / "opnames"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_apparaten_lists_the_virtual_microphone(home, microphone):
    code, out, err = finish(cli("apparaten", "--json", home=home, env=microphone))
    assert code == 0, err
    names = [d["naam"] for d in json.loads(out)]
    assert "pulse" in names or "default" in names


def test_recording_lasts_duur_and_is_transcribed_into_a_session(home, microphone, speech):
    player = play(speech, microphone)
    started = time.monotonic()
    try:
        code, out, err = finish(cli("opnemen", "--leerling", "Jayden", "--toestemming", "ouder", "--duur", "12",
                                    "--json", home=home, env=microphone))
    finally:
        player.kill()
    assert code == 0, err
    assert time.monotonic() - started >= 12  # paced in real time, not read at once
    export = json.loads(out)
    assert abs(export["duur"] - 12) <= 0.02 * 12
    assert export["bron"] == "opname" and export["leerling"] == "Jayden"
    assert export["toestemming"]["door"] == "ouder" and export["toestemming"]["versie"]
    assert {"tekst", "doel", "bewaartermijn", "tijdstip"} <= export["toestemming"].keys()
    heard = set(re.findall(r"\w+", " ".join(s["text"] for s in export["segments"]).lower()))
    said = set(re.findall(r"\w+", " ".join(t["text"] for t in REFERENCE["turns"] if t["start"] < 12).lower()))
    assert len(heard & said) >= len(said) / 3, heard  # espeak through Whisper base: many words garbled
    assert "verloren invoerblokken: 0" in err
    assert recordings(home) == []  # the audio is deleted once the session is stored
    assert "Traceback" not in err


def test_killed_recording_is_on_disk_and_herstel_turns_it_into_a_session(home, microphone, speech):
    player = play(speech, microphone)
    recorder = cli("opnemen", "--leerling", "Jayden", "--toestemming", "leerling", "--duur", "60",
                   home=home, env=microphone)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pcm = [p / "audio.pcm" for p in recordings(home) if (p / "audio.pcm").exists()]
            if pcm and pcm[0].stat().st_size >= 12 * 32000:
                break
            time.sleep(0.05)
        os.kill(recorder.pid, signal.SIGKILL)
        recorder.wait()
    finally:
        player.kill()
    [folder] = recordings(home)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # a minor's voice: owner only, as the database
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folder.iterdir())
    recorded = np.fromfile(folder / "audio.pcm", dtype="<i2")
    assert recorded.size >= 11 * 16000
    with wave.open(str(speech)) as file:
        played = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
    assert best_match(recorded, played) > 0.9
    assert json.loads((folder / "opname.json").read_text())["toestemming"]["door"] == "leerling"

    code, out, err = finish(cli("herstel", home=home, env={}))
    assert code == 0, err
    session_id = out.strip()
    exported = finish(cli("export", session_id, home=home, env={}))[1]
    export = json.loads(exported)
    assert export["duur"] >= 11 and export["bron"] == "opname"
    assert export["toestemming"]["door"] == "leerling"
    assert export["segments"]
    assert any("Hersteld" in w for w in export["warnings"])
    assert recordings(home) == []
    assert finish(cli("herstel", home=home, env={}))[2].strip() == "Geen onderbroken opnames gevonden."


def test_silence_only_gives_a_session_with_a_warning(home, microphone):
    code, out, err = finish(cli("opnemen", "--leerling", "Jayden", "--toestemming", "leerling", "--duur", "11",
                                "--json", home=home, env=microphone))
    assert code == 0, err
    export = json.loads(out)
    assert export["segments"] == []
    assert any("Geen geluid opgenomen" in w for w in export["warnings"])
    assert "Geen geluid: staat de microfoon aan?" in err  # the live warning after 10 s


@pytest.mark.parametrize("consent", [[], ["--toestemming", "oma"]])
def test_without_consent_nothing_is_recorded(home, microphone, consent):
    code, out, err = finish(cli("opnemen", "--leerling", "Jayden", *consent, "--duur", "5", home=home,
                                env=microphone))
    assert code == 2 and out == ""
    assert err.startswith("Fout: ") and "toestemming" in err.lower() and "Traceback" not in err
    assert recordings(home) == []


@pytest.mark.parametrize("command", [["apparaten"], ["opnemen", "--leerling", "Jayden", "--toestemming", "ouder"]])
def test_without_sound_server_a_clear_message(home, tmp_path, command):
    env = {"PULSE_SERVER": f"unix:{tmp_path}/geen-server", "PULSE_RUNTIME_PATH": str(tmp_path)}
    code, out, err = finish(cli(*command, home=home, env=env))
    assert code == 2 and out == ""
    assert err.startswith("Fout: Geen invoerapparaten gevonden") and "Traceback" not in err
    assert recordings(home) == []


def test_streamed_resampling_equals_resampling_at_once():
    from scipy.signal import resample_poly

    rng = np.random.default_rng(5)
    signal_44k = rng.standard_normal(44100 * 2).astype(np.float32)
    resampler = Resampler(44100)
    cuts = np.cumsum(rng.integers(100, 6000, 60))
    pieces = [resampler.feed(block) for block in np.split(signal_44k, cuts[cuts < signal_44k.size])]
    streamed = np.concatenate([*pieces, resampler.flush()])
    whole = resample_poly(signal_44k, 16000, 44100)
    assert streamed.size == whole.size
    assert np.max(np.abs(streamed - whole)) < 1e-4
