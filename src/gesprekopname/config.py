"""Where things live: the data directory, settings (config.toml) and the editable prompts."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from gesprekopname.errors import UserError, reason

# libyaml's parser where PyYAML has it: the cue bank is parsed at every start, the pure-Python one is slow.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PACKAGE_DIR = Path(__file__).parent
PROMPTS_DIR = PACKAGE_DIR / "prompts"
SAMPLE_DIR = PACKAGE_DIR / "data"


def data_dir() -> Path:
    """$GESPREKOPNAME_HOME when set, else the platform's user data directory."""
    home = os.environ.get("GESPREKOPNAME_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("gesprekopname", appauthor=False))


def ensure_data_dir() -> Path:
    """The data directory, created private (700); everything written in it after this is private too."""
    path = data_dir()
    # Students are often minors: the database, its WAL and any audio are for this user only (600/700).
    os.umask(0o077)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # A probe of its own per process: runs started together must not remove each other's.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UserError(
            f"De datamap {path} is niet beschrijfbaar ({reason(exc)}). "
            "Kies een andere map met GESPREKOPNAME_HOME."
        ) from None
    return path


def db_path() -> Path:
    return data_dir() / "gesprekken.db"


@cache
def settings() -> dict:
    """config.toml in the data directory; absent means all defaults."""
    path = data_dir() / "config.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"config.toml in {path.parent} is ongeldig: {exc}") from None


def load_prompt(name: str) -> dict | list:
    """A YAML file from the package's prompts/ (cue bank, vocabulary, wording)."""
    path = PROMPTS_DIR / name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is geen geldige YAML: {exc}") from None


def yaml_file_tree(path: Path) -> yaml.Node | None:
    """The same file as YAML nodes, which know their line: to say where a school's file is wrong."""
    return _parsed(path, yaml.compose)


def load_like(path: Path, ours: dict, open_groups: frozenset[str] = frozenset()) -> dict:
    """A school's own YAML file, checked against ours: only our keys, each value of the kind ours has (a text, a
    list, a group of keys); in a group named in `open_groups`, and in the groups under it, keys of the school's own
    are allowed too. A UserError names the file and the line of what is wrong."""
    tree = yaml_file_tree(path)
    if tree is None:
        return {}
    _check_like(path, tree, ours, "", open_groups, False)
    return _LOADER("").construct_document(tree)  # the tree checked, not the file read a second time


def overlay(base: dict, own: dict) -> dict:
    """A school's file laid over ours: its values replace ours key by key, groups are merged, so a file may
    change one label or one list."""
    merged = dict(base)
    for key, value in own.items():
        both_groups = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = overlay(base[key], value) if both_groups else value
    return merged


def _check_like(path: Path, node: yaml.Node, ours: Any, name: str, open_groups: frozenset[str], open_: bool,
                in_list: bool = False) -> None:
    def wrong(at: yaml.Node, what: str) -> UserError:
        return UserError(f"{path}, regel {at.start_mark.line + 1}: {what}.")

    open_ = open_ or name in open_groups
    if isinstance(ours, dict):
        if not isinstance(node, yaml.MappingNode):
            raise wrong(node, f"onder '{name}' horen sleutels met een waarde" if name else
                        "verwacht sleutels met een waarde, zoals in het ingebouwde bestand")
        for key, value in node.value:
            if key.value in ours:
                _check_like(path, value, ours[key.value], str(key.value), open_groups, open_)
            elif not open_:
                under = f" onder '{name}'" if name else ""
                raise wrong(key, f"onbekende sleutel '{key.value}'{under} (bekend: {', '.join(map(str, ours))})")
    elif isinstance(ours, list):
        if not isinstance(node, yaml.SequenceNode):
            raise wrong(node, f"'{name}' moet een lijst zijn, elke regel met '- '")
        for item in node.value:
            _check_like(path, item, ours[0] if ours else "", name, open_groups, open_, in_list=True)
    elif not isinstance(node, yaml.ScalarNode):
        said = f"elke regel onder '{name}'" if in_list else f"'{name}'"
        raise wrong(node, f"{said} is één tekst (een tekst met een dubbele punt erin tussen aanhalingstekens)")
    elif _is_number(ours) and node.tag not in _NUMBER_TAGS:
        raise wrong(node, f"'{name}' is een getal, zoals {ours}")
    elif isinstance(ours, str) and not in_list and not _fills(node.value, ours):
        slots = " ".join(f"{{{slot}}}" for slot in _PLACEHOLDER.findall(ours))
        raise wrong(node, f"in '{name}' vult het programma alleen {slots} in (tussen accolades, zoals ze er staan)")


_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")  # "{datum}"; a pattern's "\d{1,2}" is none


def _fills(text: str, ours: str) -> bool:
    """Whether the program can fill in a school's text where ours has placeholders: only ours, braces whole."""
    slots = _PLACEHOLDER.findall(ours)
    if not slots:
        return True
    try:
        text.format(**dict.fromkeys(slots, ""))
    except (KeyError, IndexError, ValueError):
        return False
    return True


def _parsed(path: Path, parse: Callable[..., Any]) -> Any:  # yaml.load or yaml.compose
    try:
        return parse(Path(path).expanduser().read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as exc:
        raise UserError(f"Kan {path} niet lezen: {reason(exc)}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is geen tekstbestand in UTF-8.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (regel {mark.line + 1}, kolom {mark.column + 1})" if mark else ""
        raise UserError(f"{path} is geen geldige YAML{where}.") from None
