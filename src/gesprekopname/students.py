"""One student across conversations: the timeline, the rode draad, whether the last vervolgstap happened,
and everything stored about them in one document (right of access)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import sqlite_utils
from rapidfuzz import fuzz

from gesprekopname import config, store, transcripts
from gesprekopname.types import Segment
from gesprekopname.words import content

_WORD = re.compile(r"\w+")
QUOTE_CHARS = 300
ANSWER_WINDOW = 4  # the sentence that mentions the step and the few after it: where the answer is


@cache
def wording() -> dict:
    return config.load_prompt("leerling.yaml")


def _plain(text: str) -> str:
    """Lower case words without accents, single-spaced: what phrases are matched against."""
    text = unicodedata.normalize("NFKD", text.lower())
    return " ".join(_WORD.findall("".join(c for c in text if not unicodedata.combining(c))))


def _content(text: str) -> set[str]:
    stop = frozenset(wording()["stopwoorden"])
    return {w for w in content(text, stop) if not w.isdigit()}


def _same_word(a: str, b: str) -> bool:
    # Compounds ("meelopen" / "lopen"), forms simplemma does not know ("gemaild" / "mail") and Whisper's
    # spelling slips still count.
    short = min(len(a), len(b))
    if a == b or (short >= 4 and (a in b or b in a)):
        return True
    return short >= 5 and fuzz.ratio(a, b) >= 85


def _shared(a: set[str], b: set[str]) -> int:
    return sum(any(_same_word(x, y) for y in b) for x in a)


# ---------------------------------------------------------------- did the vervolgstap happen?


def suggest_status(wat: str, segments: list[Segment]) -> dict | None:
    """Where this conversation's terugkijken talks about the step `wat`, the status its words suggest (None when
    they do not say) with the quote and its times; None when the step does not come up."""
    step = _content(wat)
    looking_back = _looking_back(segments)
    if not step or not looking_back:
        return None
    words = [_content(s.text) for s in looking_back]
    # A sentence with the one before it: the begeleider's question often names the step, the answer not.
    scores = [_shared(step, words[i] | (words[i - 1] if i else set())) for i in range(len(words))]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if scores[best] < min(2, len(step)):
        return None
    for segment in looking_back[best:best + ANSWER_WINDOW]:
        status = _status_of(segment)
        if status:
            return _suggestion(status, segment)
    return _suggestion(None, looking_back[best])


def _looking_back(segments: list[Segment]) -> list[Segment]:
    """The terugkijken and the opening before it, where a begeleider often recalls what was agreed."""
    first = next((i for i, s in enumerate(segments) if s.phase == "terugkijken"), None)
    if first is None:
        return [] if any(s.phase for s in segments) else segments[: max(1, len(segments) // 3)]
    return segments[:first] + [s for s in segments[first:] if s.phase == "terugkijken"]


def _status_of(segment: Segment) -> str | None:
    """The status the sentence's phrases point at, in the YAML's order of precedence; the begeleider's words
    and questions do not count ("Heb je ze gebeld?" is no answer)."""
    if segment.speaker == "begeleider" or segment.text.rstrip().endswith("?"):
        return None
    plain = f" {_plain(segment.text)} "
    for status, phrases in wording()["status"].items():
        if any(f" {_plain(p)} " in plain for p in phrases.get("zinnen") or []):
            return status
        if any(plain.startswith(f" {_plain(p)} ") for p in phrases.get("begin") or []):
            return status
    return None


def _suggestion(status: str | None, quoted: Segment) -> dict:
    quote = quoted.text.strip()
    if len(quote) > QUOTE_CHARS:
        quote = quote[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return {"status": status, "quote": quote, "start": round(quoted.start, 3), "end": round(quoted.end, 3)}


# ---------------------------------------------------------------- the rode draad


def rode_draad(sessions: list[dict]) -> dict[str, list[dict]]:
    """Per field (kwaliteiten, motieven) what comes back in several conversations, most often first:
    the shortest wording, the other wordings, and the sessions."""
    return {field: _recurring(sessions, field) for field in ("kwaliteiten", "motieven")}


def _recurring(sessions: list[dict], field: str) -> list[dict]:
    groups: list[dict] = []
    for session in sessions:
        for item in session["summary"].get(field) or []:
            words = _content(item)
            if not words:
                continue
            group = next((g for g in groups if _alike(words, g["words"])), None)
            if group is None:
                group = {"words": words, "items": []}
                groups.append(group)
            group["items"].append((item, session["id"], session["datum"]))
    minimum = wording()["rode_draad_minimaal"]
    found = [_theme(g["items"]) for g in groups if len({sid for _, sid, _ in g["items"]}) >= minimum]
    return sorted(found, key=lambda t: -len(t["gesprekken"]))


def _alike(a: set[str], b: set[str]) -> bool:
    return _shared(a, b) / max(len(a), len(b)) >= 0.5


def _theme(items: list[tuple[str, str, str]]) -> dict:
    wordings = list(dict.fromkeys(text.strip() for text, _, _ in items))
    return {
        "tekst": min(wordings, key=len),
        "varianten": wordings,
        "gesprekken": list(dict.fromkeys(sid for _, sid, _ in items)),
        "datums": list(dict.fromkeys(datum[:10] for _, _, datum in items)),
    }


# ---------------------------------------------------------------- per student, from the store


def profile(db: sqlite_utils.Database, leerling: dict) -> dict:
    """The timeline (each conversation's ervaring and vervolgstap with its status, and for an open step what
    the next conversation says about it) and the rode draad."""
    sessions = store.leerling_sessions(db, leerling["id"])
    timeline = []
    for session in sessions:
        step = session["vervolgstap"]
        if step and step["status"] == "open":
            step = step | {"voorstel": next_conversation_says(db, session["id"], step["wat"])}
        timeline.append({"id": session["id"], "datum": session["datum"], "duur": session["duur"],
                         "ervaring": session["summary"].get("ervaring"), "vervolgstap": step})
    return {"leerling": leerling["naam"], "gesprekken": timeline, "rode_draad": rode_draad(sessions)}


def next_conversation_says(db: sqlite_utils.Database, session_id: str, wat: str) -> dict | None:
    later = store.next_session_id(db, session_id)
    if later is None:
        return None
    suggestion = suggest_status(wat, store.load_session(db, later).segments)
    return suggestion and suggestion | {"gesprek": later}


def export_document(db: sqlite_utils.Database, leerling: dict) -> dict:
    """Everything stored about one student: the record, each conversation in export-JSON form, the
    vervolgstappen with their status, the rode draad and the audit lines about them."""
    ids = store.session_ids_of(db, leerling["id"])
    sessions = store.leerling_sessions(db, leerling["id"])
    return {
        "leerling": leerling,
        "geexporteerd": store.now(),
        "gesprekken": [transcripts.session_to_json(store.load_session(db, sid)) for sid in ids],
        "vervolgstappen": [s["vervolgstap"] | {"session_id": s["id"]} for s in sessions if s["vervolgstap"]],
        "rode_draad": rode_draad(sessions),
        "audit": store.audit_rows(db, leerling["id"], ids),
    }
