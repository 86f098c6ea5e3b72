"""Live recording: consent, crash-safe capture to disk, transcription while recording, and recovery.

A recording is a folder in `<data dir>/opnames/<id>/`:
  opname.json  consent, leerling, start time, format; written (atomically) before any audio is captured
  audio.pcm    signed 16-bit little-endian, 16 kHz mono, appended as captured and fsynced every 0.5 s
  opname.lock  flock'ed by the process that owns the recording; a free lock means it was interrupted
Once the session is stored the folder is deleted: audio is not kept.

Threads and processes: PortAudio's callback only copies each block into a queue (and counts overflows);
a writer thread resamples, appends to audio.pcm, measures the level and cuts chunks at pauses; a spawned
worker process transcribes those chunks with its own copy of the model, so neither the GIL nor a crash of
the recogniser can hold up the capture. At stop only the tail is left to transcribe.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import multiprocessing
import os
import queue
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np

from gesprekopname import asr, config
from gesprekopname.asr import SAMPLE_RATE
from gesprekopname.errors import UserError, reason
from gesprekopname.transcripts import clock
from gesprekopname.types import Segment, Session, Transcript

META, PCM, LOCK = "opname.json", "audio.pcm", "opname.lock"
BLOCK_SECONDS = 0.1
FSYNC_SECONDS = 0.5  # a power cut loses at most this much; kill -9 only what is still in the queue
SILENCE_DBFS = -55.0  # below a quiet room's noise floor through a working microphone
SILENCE_WARN_SECONDS = 10.0
CLIP_LEVEL = 0.999
SILENCE_WARNING = "Geen geluid: staat de microfoon aan?"
CLIP_WARNING = "Oversturing: het geluid is te hard. Zet de microfoon zachter of verder weg."
NO_DEVICES = (
    "Geen invoerapparaten gevonden: er is geen microfoon of geen geluidsserver (PulseAudio/PipeWire) actief. "
    "Sluit een microfoon aan of start de geluidsserver en probeer het opnieuw."
)
CONSENTERS = ("leerling", "ouder")


# --- consent -----------------------------------------------------------------------------------------------

def consent_wording() -> dict:
    return config.load_prompt("toestemming.yaml")


def consent_text(door: str, leerling: str) -> str:
    wording = consent_wording()
    return " ".join(wording["tekst"].format(
        wie=wording["wie"][door], leerling=leerling, doel=wording["doel"], bewaartermijn=wording["bewaartermijn"]
    ).split())


def consent(door: str, leerling: str, gevraagd: str) -> dict:
    """The record stored with the session; `gevraagd` says how it was given (interactief | optie)."""
    if door not in CONSENTERS:
        raise UserError(f"Onbekende waarde '{door}' voor --toestemming: kies leerling (16+) of ouder (onder 16).")
    wording = consent_wording()
    return {
        "door": door, "versie": str(wording["versie"]), "tekst": consent_text(door, leerling),
        "doel": " ".join(wording["doel"].split()), "bewaartermijn": " ".join(wording["bewaartermijn"].split()),
        "tijdstip": _now(), "gevraagd": gevraagd,
    }


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --- devices -----------------------------------------------------------------------------------------------

@dataclass
class Device:
    index: int
    name: str
    rate: int  # what the stream is opened at: 16 kHz when offered, else the device's default (resampled)


def _sounddevice():
    # Imported here: without libportaudio2 the import itself raises OSError, and only recording needs it.
    try:
        import sounddevice
    except OSError:
        raise UserError(
            "PortAudio ontbreekt, dus opnemen kan niet. Installeer het pakket libportaudio2 "
            "(bijvoorbeeld: sudo apt-get install libportaudio2)."
        ) from None
    return sounddevice


def input_devices() -> list[dict]:
    """index, name, channels and default rate of every input device; empty without a sound server."""
    sd = _sounddevice()
    return [
        {"index": d["index"], "naam": d["name"], "kanalen": d["max_input_channels"],
         "samplerate": int(d["default_samplerate"]), "standaard": d["index"] == sd.default.device[0]}
        for d in sd.query_devices() if d["max_input_channels"] > 0
    ]


def find_device(spec: str | None) -> Device:
    """The input device named (part of a name) or numbered by `spec`, else the default one."""
    sd = _sounddevice()
    if not input_devices():
        raise UserError(NO_DEVICES)
    try:
        info = sd.query_devices(int(spec) if spec and spec.isdigit() else spec, "input")
    except (ValueError, sd.PortAudioError):
        if spec is None:
            raise UserError("Er is geen standaard-invoerapparaat. Kies er een met --apparaat; "
                            "zie `gesprekopname apparaten`.") from None
        raise UserError(f"Invoerapparaat '{spec}' niet (eenduidig) gevonden. Zie `gesprekopname apparaten`.") from None
    try:
        sd.check_input_settings(info["index"], channels=1, dtype="float32", samplerate=SAMPLE_RATE)
        rate = SAMPLE_RATE
    except sd.PortAudioError:
        rate = int(info["default_samplerate"])
    return Device(info["index"], info["name"], rate)


# --- resampling --------------------------------------------------------------------------------------------

class Resampler:
    """scipy's resample_poly over a stream: each block is filtered with its real neighbours on both sides
    (the last `context` input samples are held back), so the result equals resampling the whole at once."""

    def __init__(self, rate: int):
        g = math.gcd(rate, SAMPLE_RATE)
        self.up, self.down = SAMPLE_RATE // g, rate // g
        half = 10 * max(self.up, self.down) // self.up + 1  # resample_poly's filter half-length, input samples
        self.context = -(-half // self.down) * self.down  # a multiple of `down` keeps the output grid aligned
        self.pending = np.zeros(self.context, np.float32)  # left context (zeros, as resample_poly pads) + unsent

    def feed(self, block: np.ndarray) -> np.ndarray:
        if self.up == self.down:
            return block
        from scipy.signal import resample_poly

        self.pending = np.concatenate([self.pending, block])
        usable = (self.pending.size - 2 * self.context) // self.down * self.down
        if usable <= 0:
            return np.empty(0, np.float32)
        out = resample_poly(self.pending[: usable + 2 * self.context], self.up, self.down)
        skip = self.context * self.up // self.down
        self.pending = self.pending[usable:]
        return out[skip : skip + usable * self.up // self.down].astype(np.float32)

    def flush(self) -> np.ndarray:
        if self.up == self.down:
            return np.empty(0, np.float32)
        unsent = self.pending.size - self.context
        return self.feed(np.zeros(self.context + (-unsent) % self.down, np.float32))


# --- the recording folder ----------------------------------------------------------------------------------

def recordings_dir() -> Path:
    return config.data_dir() / "opnames"


def _write_meta(folder: Path, meta: dict) -> None:
    tmp = folder / f".{META}.tmp"
    with _private(tmp, os.O_TRUNC, "w") as file:
        json.dump(meta, file, ensure_ascii=False, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, folder / META)
    _fsync_dir(folder)


def _private(path: Path, flag: int, mode: str):
    """A file only the owner can read: a recording of a minor, as the database (0600)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | flag, 0o600), mode)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(folder: Path) -> int | None:
    """The lock's fd, or None when another live process owns the recording (the kernel frees it on kill)."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@dataclass
class Folder:
    path: Path
    meta: dict
    lock: int

    @classmethod
    def create(cls, leerling: str, toestemming: dict, device: Device) -> Folder:
        config.ensure_data_dir()
        recording_id = secrets.token_hex(4)  # becomes the session id, so a repeated `herstel` replaces
        recordings_dir().mkdir(mode=0o700, exist_ok=True)
        path = recordings_dir() / recording_id
        path.mkdir(mode=0o700)
        meta = {"id": recording_id, "leerling": leerling, "start": _now(), "status": "opnemen",
                "formaat": "pcm_s16le", "samplerate": SAMPLE_RATE, "kanalen": 1,
                "apparaat": device.name, "apparaat_samplerate": device.rate, "toestemming": toestemming}
        lock = _lock(path)
        _write_meta(path, meta)
        return cls(path, meta, lock)

    def mark(self, status: str) -> None:
        self.meta["status"] = status
        _write_meta(self.path, self.meta)

    def samples(self) -> np.ndarray:
        """What was written, as float32; a half sample from a crash mid-write is dropped."""
        pcm = self.path / PCM
        if not pcm.exists():
            return np.empty(0, np.float32)
        raw = np.fromfile(pcm, dtype="<i2", count=pcm.stat().st_size // 2)
        return raw.astype(np.float32) / 32768.0

    def discard(self) -> None:
        """Delete the audio once the session is stored (data minimisation), then release the lock."""
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self.lock)


def unfinished() -> tuple[list[Folder], int]:
    """Interrupted recordings (locked for the caller now), and how many are still in use by a live process."""
    found, busy = [], 0
    for path in sorted(recordings_dir().glob("*/")) if recordings_dir().is_dir() else []:
        lock = _lock(path)
        if lock is None:
            busy += 1
            continue
        try:
            meta = json.loads((path / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # opname.json is written before the first sample: without it there is no audio and no consent.
            if not (path / PCM).exists():
                shutil.rmtree(path, ignore_errors=True)
            os.close(lock)
            continue
        found.append(Folder(path, meta, lock))
    return found, busy


def to_session(folder: Folder, transcript: Transcript, warnings: list[str]) -> Session:
    """The analysed session of a recording: its id, start time and consent, the recorder's warnings first."""
    from gesprekopname import pipeline

    session = pipeline.new_session(transcript, folder.meta["leerling"], "opname", None)
    return replace(session, id=folder.meta["id"], datum=folder.meta["start"],
                   toestemming=folder.meta["toestemming"], warnings=warnings + session.warnings)


# --- transcription while recording -------------------------------------------------------------------------

def _transcribe_jobs(model_dir: str, jobs, results) -> None:
    """The worker process: chunks in, segments out, in order; ('fout', message) when the model fails."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the recording; the parent says when to end
    parent = multiprocessing.parent_process()
    try:
        asr.transcribe_chunk(np.zeros(SAMPLE_RATE, np.float32), 0.0, model_dir)  # load the model now, not at 30 s
        while True:
            try:
                job = jobs.get(timeout=1.0)
            except queue.Empty:
                if parent is not None and not parent.is_alive():  # parent killed: do not linger
                    return
                continue
            if job is None:
                return
            samples, offset = job
            results.put(("ok", asr.transcribe_chunk(samples, offset, model_dir)))
    except UserError as exc:
        results.put(("fout", str(exc)))


class LiveTranscriber:
    def __init__(self, model_dir: str):
        context = multiprocessing.get_context("spawn")  # no fork of a process with PortAudio threads
        self.jobs, self.results = context.Queue(), context.Queue()
        self.process = context.Process(target=_transcribe_jobs, args=(model_dir, self.jobs, self.results),
                                       daemon=True)
        self.process.start()
        self.sent = 0

    def submit(self, samples: np.ndarray, offset: float) -> None:
        self.jobs.put((samples, offset))
        self.sent += 1

    def finish(self) -> list[Segment]:
        """All segments, once the worker has done every chunk it was sent."""
        self.jobs.put(None)
        segments: list[Segment] = []
        received = 0
        while received < self.sent:
            try:
                kind, value = self.results.get(timeout=1.0)
            except queue.Empty:
                if not self.process.is_alive():
                    raise UserError("De transcriptie is onverwacht gestopt. De opname is bewaard: "
                                    "maak er een gesprek van met `gesprekopname herstel`.") from None
                continue
            if kind == "fout":
                raise UserError(value)
            segments.extend(value)
            received += 1
        self.process.join(timeout=5)
        return sorted(segments, key=lambda s: s.start)

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


# --- capture -----------------------------------------------------------------------------------------------

@dataclass
class Status:
    seconds: float = 0.0
    level_db: float = -120.0
    silent_seconds: float = 0.0  # of the current stretch of silence
    clipping: bool = False  # in the last second
    overflows: int = 0
    paused: bool = False


@dataclass
class Levels:
    """What the writer measured, for the display and the session's warnings."""

    silences: list[float] = field(default_factory=list)  # start times of silences of 10 s or more
    silent_total: float = 0.0
    clipped_blocks: int = 0
    last_clip: float = -10.0


class Recorder:
    """PortAudio callback → queue → writer thread (disk, levels, chunks at pauses → `on_chunk`)."""

    def __init__(self, folder: Folder, device: Device, on_chunk: Callable[[np.ndarray, float], None],
                 max_seconds: float | None = None):
        self.folder, self.device, self.on_chunk = folder, device, on_chunk
        self.max_samples = round(max_seconds * SAMPLE_RATE) if max_seconds else None
        self.blocks: queue.SimpleQueue = queue.SimpleQueue()
        self.overflows = 0
        self.paused = threading.Event()
        self.finished = threading.Event()  # --duur reached or the writer failed
        self.error: OSError | None = None
        self.written = 0
        self.status = Status()
        self.levels = Levels()
        self.pending = np.empty(0, np.float32)  # audio not yet sent for transcription
        self.pending_start = 0
        self.stream = None
        self.writer = threading.Thread(target=self._write, name="opname-schrijver", daemon=True)

    def _callback(self, indata, frames, time_info, status) -> None:
        # Runs in PortAudio's thread: copy and go; everything else happens in the writer.
        if status.input_overflow:
            self.overflows += 1
        self.blocks.put(indata[:, 0].copy())

    def toggle_pause(self) -> None:
        if self.paused.is_set():
            self.paused.clear()
        else:
            self.paused.set()
        self.status.paused = self.paused.is_set()

    def start(self) -> None:
        sd = _sounddevice()
        try:
            self.stream = sd.InputStream(
                device=self.device.index, samplerate=self.device.rate, channels=1, dtype="float32",
                blocksize=round(self.device.rate * BLOCK_SECONDS), latency="high", callback=self._callback,
            )
            self.writer.start()
            self.stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self.blocks.put(None)  # let the writer end
            raise UserError(f"Kan het invoerapparaat '{self.device.name}' niet openen: {exc}") from None

    def stop(self) -> None:
        """Close the stream (no callback runs after this), then let the writer drain and send the tail."""
        if self.stream is not None:
            self.stream.stop()
            self.stream.close()
        self.blocks.put(None)
        self.writer.join()

    def _write(self) -> None:
        resampler = Resampler(self.device.rate)
        try:
            with _private(self.folder.path / PCM, os.O_APPEND, "ab") as out:
                last_sync = time.monotonic()
                while (block := self.blocks.get()) is not None:
                    if self.paused.is_set() or self.finished.is_set():
                        continue
                    self._measure(block)
                    self._append(out, resampler.feed(block))
                    if time.monotonic() - last_sync >= FSYNC_SECONDS:
                        os.fsync(out.fileno())
                        last_sync = time.monotonic()
                self._append(out, resampler.flush())
                os.fsync(out.fileno())
        except OSError as exc:  # disk full, folder removed: stop, keep what was written
            self.error = exc
            self.finished.set()
        self._send(final=True)

    def _append(self, out, samples: np.ndarray) -> None:
        if self.max_samples is not None:
            samples = samples[: self.max_samples - self.written]
        out.write(np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2").tobytes())
        out.flush()  # into the page cache now: a killed process loses nothing written
        self.written += samples.size
        self.pending = np.concatenate([self.pending, samples])
        self._send(final=False)
        self.status.seconds = self.written / SAMPLE_RATE
        if self.max_samples is not None and self.written >= self.max_samples:
            self.finished.set()

    def _send(self, final: bool) -> None:
        """Hand over every whole chunk (cut in a pause, as asr.transcribe does); at the end also the rest."""
        bounds = asr.chunk_bounds(self.pending)
        if not final:
            bounds = bounds[:-1]
        for start, end in bounds:
            if end > start:
                self.on_chunk(self.pending[start:end], (self.pending_start + start) / SAMPLE_RATE)
        if bounds:
            self.pending_start += bounds[-1][1]
            self.pending = self.pending[bounds[-1][1]:]

    def _measure(self, block: np.ndarray) -> None:
        seconds = block.size / self.device.rate
        now = self.written / SAMPLE_RATE
        rms = float(np.sqrt(np.mean(np.square(block)))) if block.size else 0.0
        self.status.level_db = 20 * math.log10(max(rms, 1e-6))
        if self.status.level_db < SILENCE_DBFS:
            self.status.silent_seconds += seconds
            self.levels.silent_total += seconds
            if self.status.silent_seconds - seconds < SILENCE_WARN_SECONDS <= self.status.silent_seconds:
                self.levels.silences.append(now - self.status.silent_seconds)
        else:
            self.status.silent_seconds = 0.0
        if block.size and float(np.max(np.abs(block))) >= CLIP_LEVEL:
            self.levels.clipped_blocks += 1
            self.levels.last_clip = now
        self.status.clipping = now - self.levels.last_clip < 1.0
        self.status.overflows = self.overflows

    def warnings(self) -> list[str]:
        """The recorder's findings in the session's warnings: never a silent loss or a silent microphone."""
        found = []
        if self.overflows:
            found.append(f"{self.overflows} invoerblok(ken) gingen verloren (overflow): de opname heeft gaten.")
        duration = self.written / SAMPLE_RATE
        if duration and self.levels.silent_total >= duration - BLOCK_SECONDS:
            found.append("Geen geluid opgenomen: de hele opname is stil. Stond de microfoon aan?")
        elif self.levels.silences:
            starts = ", ".join(clock(s) for s in self.levels.silences[:5])
            found.append(f"Langer dan {SILENCE_WARN_SECONDS:.0f} s geen geluid (vanaf {starts}): "
                         "controleer de microfoon.")
        if self.levels.clipped_blocks:
            found.append(f"Oversturing in {self.levels.clipped_blocks} stukje(s) van {BLOCK_SECONDS:.1f} s: "
                         "de microfoon stond te hard of te dichtbij.")
        return found


# --- the terminal ------------------------------------------------------------------------------------------

class Display:
    """Elapsed time, level meter and warnings, live on stderr (stdout stays clean for --json); a log or
    pipe gets plain lines for the same events instead."""

    def __init__(self, device: Device, keyboard: bool):
        from rich.console import Console

        self.console = Console(stderr=True)
        self.device, self.keyboard = device, keyboard
        self.live = None
        self.said: set[str] = set()

    def __enter__(self) -> Display:
        self.console.print(f"Opname gestart met '{self.device.name}'.", highlight=False)
        if self.console.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.console, refresh_per_second=4, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def update(self, status: Status) -> None:
        if self.live is not None:
            self.live.update(self._render(status))
            return
        for warning in self._warnings(status):  # once per stretch, with the time it began
            if warning not in self.said:
                self.console.print(f"[{clock(status.seconds)}] {warning}", highlight=False)
        self.said = set(self._warnings(status))

    def _warnings(self, status: Status) -> list[str]:
        return ([SILENCE_WARNING] if status.silent_seconds >= SILENCE_WARN_SECONDS else []) + (
            [CLIP_WARNING] if status.clipping else [])

    def _render(self, status: Status):
        from rich.text import Text

        filled = round(30 * min(max((status.level_db + 60) / 60, 0.0), 1.0))
        colour = "red" if status.clipping else "green"
        text = Text()
        text.append("⏸ pauze  " if status.paused else "● opname ", style="bold yellow" if status.paused else "bold red")
        text.append(f"{clock(status.seconds)}  ")
        text.append("█" * filled, style=colour).append("░" * (30 - filled), style="dim")
        text.append(f" {status.level_db:5.0f} dB   verloren blokken: {status.overflows}\n")
        keys = "Enter: stoppen · p + Enter: pauze/verder · " if self.keyboard else ""
        text.append(f"{keys}Ctrl-C: stoppen", style="dim")
        for warning in self._warnings(status):
            text.append(f"\n⚠ {warning}", style="bold yellow")
        return text


def _keyboard(recorder: Recorder, stop: threading.Event) -> None:
    """Enter stops, 'p' + Enter pauses or resumes; a daemon thread, as a blocked read cannot be woken."""
    for line in sys.stdin:
        if line.strip().lower() == "p":
            recorder.toggle_pause()
        else:
            stop.set()
            return


@dataclass
class Recording:
    transcript: Transcript
    warnings: list[str]
    overflows: int


def record(folder: Folder, device: Device, model_dir: str, max_seconds: float | None) -> Recording:
    """Capture until Enter, Ctrl-C or `max_seconds`, transcribing meanwhile; returns once all is transcribed."""
    transcriber = LiveTranscriber(model_dir)
    recorder = Recorder(folder, device, transcriber.submit, max_seconds)
    keyboard = sys.stdin.isatty()
    stop = threading.Event()
    try:
        with Display(device, keyboard) as display:
            try:
                recorder.start()
            except UserError:
                folder.discard()  # nothing was captured
                raise
            if keyboard:
                threading.Thread(target=_keyboard, args=(recorder, stop), daemon=True).start()
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is a normal stop: keep what was recorded
                while not (stop.is_set() or recorder.finished.wait(0.25)):
                    display.update(recorder.status)
            recorder.stop()
        if recorder.error:
            raise UserError(f"Schrijven van de opname mislukt ({reason(recorder.error)}). "
                            "Wat er al stond is bewaard: maak er een gesprek van met `gesprekopname herstel`.")
        folder.mark("opgenomen")
        segments = transcriber.finish()
    finally:
        transcriber.close()
    audio = folder.samples()
    return Recording(Transcript(segments, audio.size / SAMPLE_RATE, audio), recorder.warnings(), recorder.overflows)
