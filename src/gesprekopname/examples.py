"""The labelled example conversations the phase and role models learn from: ours in prompts/voorbeelden,
plus a school's own folders (config.toml: [fasen] voorbeelden = "map" or a list of maps)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gesprekopname import config
from gesprekopname.cache import cached
from gesprekopname.errors import UserError
from gesprekopname.segments import sentences
from gesprekopname.types import OVERIG, PHASES
from gesprekopname.words import WORD

ROLE = {"B": "begeleider", "S": "leerling"}


def school_folders() -> tuple[str, ...]:
    value = config.settings().get("fasen", {}).get("voorbeelden") or ()
    return (value,) if isinstance(value, str) else tuple(value)


def example_paths(dirs: tuple[str, ...] = ()) -> list[Path]:
    """Ours (prompts/voorbeelden) plus the given folders."""
    folders = [config.PROMPTS_DIR / "voorbeelden", *(Path(d).expanduser() for d in dirs)]
    return [path for folder in folders for path in sorted(folder.glob("*.dialog"))]


def read_example(path: Path) -> list[tuple[str, str, str]]:
    """(speaker, phase, sentence) per sentence of a labelled .dialog file (after its YAML front matter)."""
    out, phase = [], OVERIG
    for line in path.read_text(encoding="utf-8").split("---", 2)[-1].splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            phase = line[1:-1].strip()
            if phase not in (*PHASES, OVERIG):
                raise UserError(f"{path}: onbekende fase [{phase}]; kies uit {', '.join((*PHASES, OVERIG))}.")
        elif line[:2] in ("B:", "S:"):
            out += [(ROLE[line[0]], phase, s) for s in sentences(line[2:]) or [line[2:].strip()]]
    return out


@cache
def spoken_words(dirs: tuple[str, ...] = (), exclude: frozenset[str] = frozenset()) -> frozenset[str]:
    """Every word (lowercased) said in the example conversations, minus the files named in `exclude`: words a
    dictionary may lack ("anders", "vooraf") and names ("Henk"), which are then never taken for misheard. Kept on
    disk: reading every example again would cost each summary a noticeable part of a second."""
    paths = [path for path in example_paths(dirs) if path.name not in exclude]
    return cached("woorden", paths, lambda: frozenset(
        word.lower() for path in paths for _, _, text in read_example(path) for word in WORD.findall(text)))
