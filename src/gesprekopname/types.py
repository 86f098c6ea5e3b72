"""Plain data passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("terugkijken", "reflecteren", "vooruitkijken", "activeren")
OVERIG = "overig"
ROLES = ("begeleider", "leerling")
# The export contract's summary fields, in its order; missing ones mean "niet besproken".
SUMMARY_FIELDS = (
    "ervaring", "rol", "verwachtingen", "kwaliteiten", "motieven", "inzicht",
    "vervolgstap", "wanneer", "contact", "belemmeringen", "oplossingen", "competenties",
)
LIST_FIELDS = frozenset({"kwaliteiten", "motieven", "belemmeringen", "oplossingen", "competenties"})
# Written as a begeleider notes them, about the student by name ("Noor bleef rustig"); the lists stay in the
# student's words ("ik kan goed luisteren").
TOLD_ABOUT = ("ervaring", "rol", "vervolgstap")


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float | None = None


@dataclass
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None  # "begeleider" | "leerling" | None when unknown
    voice: str | None = None  # the name a voice tag or prefix gave, before mapping to a role
    phase: str | None = None  # one of PHASES or OVERIG, None before segmentation
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    """What a reader or the recogniser yields: segments plus what is known about the source."""

    segments: list[Segment]
    duration: float | None = None
    audio: object | None = None  # 16 kHz mono float32 samples (numpy) when the source was audio
    timed: bool = True  # False: a text without times, whose times are estimated from its words


@dataclass
class PhaseSpan:
    phase: str
    start: float
    end: float


@dataclass
class Evidence:
    start: float
    end: float
    quote: str


@dataclass
class Session:
    id: str
    leerling: str | None
    datum: str  # ISO 8601
    duur: float
    bron: str  # "opname" | "bestand"
    segments: list[Segment] = field(default_factory=list)
    phases: list[PhaseSpan] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    edits: dict = field(default_factory=dict)  # the begeleider's corrections: {field: value}, never recomputed
    warnings: list[str] = field(default_factory=list)
    bestand: str | None = None  # original file name, for the begeleider's reference
    tijden_geschat: bool = False  # the source had no times: durations are estimated from the words
    # Who consented to a recording, the consent text and version, purpose, retention and time (see record.py).
    toestemming: dict | None = None
    # The student's latest earlier vervolgstap (wat, wanneer, contact, status, voorstel): read, never stored here.
    vorige_vervolgstap: dict | None = None
