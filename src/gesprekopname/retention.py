"""Keeping data only as long as allowed: the [bewaren] settings, `opschonen`, and the audio the tool keeps.

config.toml:
    [bewaren]
    jaren = 2          # transcripts and summaries: this long after a student's last conversation
    audio = false      # keep recordings after processing? (default: no, deleted once the session is stored)
    audio_dagen = 30   # when kept: this many days
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from gesprekopname import config, store
from gesprekopname.errors import UserError

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Policy:
    jaren: float = 2
    audio: bool = False
    audio_dagen: float = 30


def policy() -> Policy:
    raw = config.settings().get("bewaren", {})
    if not isinstance(raw, dict):
        raise UserError("config.toml: [bewaren] moet een tabel zijn, bijvoorbeeld:\n[bewaren]\njaren = 2")
    policy = Policy(**{k: v for k, v in raw.items() if k in Policy.__dataclass_fields__})
    if isinstance(policy.jaren, bool) or not isinstance(policy.jaren, int | float) or policy.jaren <= 0:
        raise UserError(f"config.toml: [bewaren] jaren moet een getal groter dan 0 zijn, niet {policy.jaren!r}.")
    if not isinstance(policy.audio, bool):
        raise UserError(f"config.toml: [bewaren] audio moet true of false zijn, niet {policy.audio!r}.")
    if isinstance(policy.audio_dagen, bool) or not isinstance(policy.audio_dagen, int | float) \
            or policy.audio_dagen < 0:
        raise UserError(f"config.toml: [bewaren] audio_dagen moet 0 of meer zijn, niet {policy.audio_dagen!r}.")
    return policy


# ---------------------------------------------------------------- audio


def audio_dir() -> Path:
    return config.data_dir() / "audio"


def dispose_recording(folder) -> str:
    """After its session is stored: a recording's audio is deleted, or moved to audio/<id>.pcm when the
    configuration keeps audio on purpose. Says which, for the message to the user."""
    from gesprekopname import record

    pcm = folder.path / record.PCM
    keep = policy()
    if keep.audio and pcm.exists():
        audio_dir().mkdir(mode=0o700, exist_ok=True)
        kept = audio_dir() / f"{folder.meta['id']}.pcm"
        os.replace(pcm, kept)
        kept.chmod(0o600)  # a minor's voice: for this user only, whatever made the file
        folder.discard()
        return f"de geluidsopname blijft {keep.audio_dagen:g} dagen bewaard ([bewaren] audio = true)"
    folder.discard()
    return "de geluidsopname is verwijderd"


def delete_audio(session_ids: list[str]) -> int:
    """Kept audio of these sessions, deleted; how many files."""
    files = [f for sid in session_ids for f in audio_dir().glob(f"{sid}.*")] if audio_dir().is_dir() else []
    for file in files:
        file.unlink(missing_ok=True)
    return len(files)


def discard_recordings(naam: str) -> int:
    """Interrupted recordings of this student (consent withdrawn before `herstel`), deleted; how many."""
    from gesprekopname import record

    folders, _busy = record.unfinished()
    count = 0
    for folder in folders:
        if str(folder.meta.get("leerling", "")).strip().casefold() == naam.strip().casefold():
            folder.discard()
            count += 1
        else:
            os.close(folder.lock)
    return count


# ---------------------------------------------------------------- opschonen


@dataclass
class Plan:
    sessions: list[dict]  # id, datum, naam, laatste
    audio: list[Path]
    policy: Policy


def plan(db: sqlite_utils.Database) -> Plan:
    """What retention says must go now: sessions of students whose last conversation is older than the
    period (sessions without a student: by their own date), and kept audio past its days or no longer allowed."""
    keep = policy()
    now = datetime.now().astimezone()
    cutoff = now - timedelta(days=DAYS_PER_YEAR * keep.jaren)
    sessions = [r for r in store.retention_rows(db) if _moment(r["laatste"]) < cutoff]
    audio_cutoff = (now - timedelta(days=keep.audio_dagen)).timestamp()
    files = sorted(audio_dir().iterdir()) if audio_dir().is_dir() else []
    audio = [f for f in files if f.is_file() and (not keep.audio or f.stat().st_mtime < audio_cutoff)]
    return Plan(sessions, audio, keep)


def _moment(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.astimezone()


def execute(db: sqlite_utils.Database, todo: Plan) -> None:
    """Delete what the plan lists: sessions securely (see store.delete_sessions), then the audio files."""
    ids = [r["id"] for r in todo.sessions]
    if ids:
        store.delete_sessions(db, ids, "opgeschoond")
    for file in todo.audio:
        file.unlink(missing_ok=True)
    removed = delete_audio(ids)
    if todo.audio or removed:
        with store.writing(db):
            store.audit(db, "audio opgeschoond", aantal=len(todo.audio) + removed)
