"""Recognition on the real bundled model: model assembly, audio input, Dutch segments, errors."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import write_silence

from gesprekopname import asr, config
from gesprekopname.errors import UserError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A data directory for this module only; the model itself stays cached per process in asr."""
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("home")
        patch.setenv("GESPREKOPNAME_HOME", str(path))
        patch.setenv("HF_HUB_CACHE", str(path / "hf-cache"))  # no stray cached model changes `auto`
        config.settings.cache_clear()
        yield path
    config.settings.cache_clear()


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GESPREKOPNAME_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    config.settings.cache_clear()
    yield tmp_path
    config.settings.cache_clear()


@pytest.fixture(scope="module")
def clip(home):
    calls = []
    transcript = asr.transcribe(DATA / "clip-04.flac", progress=lambda done, total: calls.append((done, total)))
    return transcript, calls


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundled_model_is_assembled_verified_and_used_by_auto(home):
    model_dir = asr.bundled_model_dir()
    assert model_dir == home / "models" / "whisper-base"
    assert sha256(model_dir / "model.bin") == asr.BUNDLED_SHA256
    assert all((model_dir / name).is_file() for name in ("config.json", "tokenizer.json", "vocabulary.json"))
    assert not [p for p in model_dir.iterdir() if p.name.startswith(".")], "temp files left behind"
    assert asr.resolve_model("auto") == str(model_dir)


def test_truncated_model_is_detected_and_rebuilt(fresh_home):
    model = asr.bundled_model_dir() / "model.bin"
    with model.open("r+b") as file:
        file.truncate(1000)
    asr.bundled_model_dir()
    assert model.stat().st_size == asr.BUNDLED_SIZE
    assert sha256(model) == asr.BUNDLED_SHA256


def test_corrupted_model_of_right_size_is_detected_and_rebuilt(fresh_home):
    model = asr.bundled_model_dir() / "model.bin"
    with model.open("r+b") as file:
        file.seek(50_000_000)
        file.write(b"\0" * 4096)
    asr.bundled_model_dir()
    assert sha256(model) == asr.BUNDLED_SHA256


def test_clip_transcribes_to_dutch_segments_with_word_timestamps_inside_the_clip(clip):
    transcript, _ = clip
    assert transcript.duration == pytest.approx(22.8, abs=0.05)
    assert transcript.segments
    words = [w for s in transcript.segments for w in s.words]
    assert words
    assert all(0 <= w.start <= w.end <= transcript.duration + 0.5 for w in words)
    assert all(s.speaker is None and s.start < s.end for s in transcript.segments)
    text = " ".join(s.text for s in transcript.segments).lower()
    # espeak Dutch is hard to recognise; these common words come through reliably.
    assert sum(word in text.split() for word in ("dat", "ik", "niet", "klinkt", "voelde", "en", "de")) >= 3


def test_transcript_carries_16k_mono_float32_audio(clip):
    transcript, _ = clip
    audio = transcript.audio
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size == pytest.approx(22.8 * asr.SAMPLE_RATE, abs=160)


def test_progress_rises_to_the_full_duration(clip):
    transcript, calls = clip
    done = [d for d, _ in calls]
    assert len(calls) >= 2
    assert done == sorted(done)
    assert calls[-1] == (transcript.duration, transcript.duration)


def test_stereo_44k_input_is_converted_and_transcribed(home):
    transcript = asr.transcribe(DATA / "stereo-44k.wav")
    assert transcript.audio.ndim == 1
    assert transcript.duration == pytest.approx(1.9, abs=0.05)
    assert transcript.segments and transcript.segments[0].words


def test_thirty_seconds_of_silence_gives_no_segments(home, tmp_path):
    path = tmp_path / "stilte.wav"
    write_silence(path, 30)
    transcript = asr.transcribe(path)
    assert transcript.segments == []
    assert transcript.duration == pytest.approx(30.0)


def test_random_bytes_named_wav_raise_user_error(tmp_path):
    path = tmp_path / "ruis.wav"
    path.write_bytes(np.random.default_rng(4).bytes(20_000))
    with pytest.raises(UserError, match="ruis.wav.*geen geldig audiobestand"):
        asr.load_audio(path)


def test_zero_length_file_raises_user_error(tmp_path):
    path = tmp_path / "leeg.flac"
    path.touch()
    with pytest.raises(UserError, match="leeg"):
        asr.transcribe(path)


def test_directory_and_missing_file_raise_user_error(tmp_path):
    with pytest.raises(UserError, match="map"):
        asr.load_audio(tmp_path)
    with pytest.raises(UserError, match="bestaat niet"):
        asr.load_audio(tmp_path / "weg.wav")


def test_named_model_not_downloaded_tells_how_to_download(fresh_home):
    with pytest.raises(UserError, match="gesprekopname model download medium"):
        asr.resolve_model("medium")


def test_downloaded_model_is_preferred_by_auto(fresh_home):
    small = fresh_home / "models" / "small"
    small.mkdir(parents=True)
    (small / "model.bin").touch()
    assert asr.resolve_model("auto") == str(small)
    assert asr.resolve_model("small") == str(small)


def test_configured_model_path_wins_and_must_exist(fresh_home):
    configured = fresh_home / "eigen-model"
    (fresh_home / "config.toml").write_text(f'[model]\npath = "{configured}"\n')
    with pytest.raises(UserError, match="config.toml"):
        asr.resolve_model("auto")
    configured.mkdir()
    (configured / "model.bin").touch()
    assert asr.resolve_model("auto") == str(configured)


def test_download_while_offline_raises_user_error(tmp_path):
    # A fresh process: this one has set HF_HUB_OFFLINE, and the machine really has no route to the Hub.
    script = textwrap.dedent("""
        from gesprekopname import asr
        from gesprekopname.errors import UserError
        try:
            asr.download_model("small")
        except UserError as exc:
            print(exc)
            raise SystemExit(3)
    """)
    env = {"GESPREKOPNAME_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert "Kan het model 'small' niet downloaden" in result.stdout
    assert not (tmp_path / "models" / "small").exists()
    assert not list((tmp_path / "models").glob(".small*"))


def test_long_audio_is_cut_into_chunks_in_its_pauses():
    rng = np.random.default_rng(7)
    audio = rng.normal(0, 0.1, 150 * asr.SAMPLE_RATE).astype(np.float32)
    audio[55 * asr.SAMPLE_RATE : int(55.5 * asr.SAMPLE_RATE)] = 0  # a pause inside the search window
    bounds = asr.chunk_bounds(audio, seconds=60)
    assert bounds[0][0] == 0 and bounds[-1][1] == audio.size
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    assert 55 * asr.SAMPLE_RATE <= bounds[0][1] <= 55.5 * asr.SAMPLE_RATE
    assert len(bounds) == 3
