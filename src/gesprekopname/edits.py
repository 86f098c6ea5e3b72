"""The begeleider's own corrections to a summary: read, checked and kept apart from what the engine found,
so `herverwerken` can redo the engine's part without ever overwriting a correction."""

from __future__ import annotations

import yaml

from gesprekopname.errors import UserError
from gesprekopname.types import LIST_FIELDS, SUMMARY_FIELDS

_HEADER = """\
# Samenvatting van gesprek {id}. Pas de waarden aan en sla het bestand op.
# Leeg laten of null betekent "niet besproken". Lijsten schrijf je als regels die met "- " beginnen.
# Velden die je wijzigt, worden als bewerkt bewaard; herverwerken verandert ze niet meer.
"""
_NOT_DISCUSSED = {"", "null", "niet besproken", "-"}


def merged(summary: dict, edits: dict) -> dict:
    """All contract fields: the engine's values with the begeleider's corrections on top."""
    base = {key: [] if key in LIST_FIELDS else None for key in SUMMARY_FIELDS}
    return base | {k: v for k, v in summary.items() if k in base} | edits


def to_yaml(session_id: str, current: dict) -> str:
    body = yaml.safe_dump(current, allow_unicode=True, sort_keys=False, width=1000)
    return _HEADER.format(id=session_id) + body


def from_yaml(text: str, current: dict) -> dict:
    """The fields whose value differs from `current`, checked; a UserError says what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (regel {where.line + 1})" if where else ""
        raise UserError(f"De samenvatting is geen geldige YAML{line}. Er is niets gewijzigd.") from None
    if not isinstance(data, dict):
        raise UserError("De samenvatting moet uit velden bestaan (veld: waarde). Er is niets gewijzigd.")
    return {key: value for key, value in checked(data).items() if value != current.get(key)}


def checked(data: dict) -> dict:
    unknown = sorted(str(k) for k in data if k not in SUMMARY_FIELDS)
    if unknown:
        raise UserError(
            f"Onbekend veld: {', '.join(unknown)}. Geldige velden: {', '.join(SUMMARY_FIELDS)}. Er is niets gewijzigd."
        )
    return {key: _value(key, value) for key, value in data.items()}


def set_field(name: str, text: str) -> dict:
    """One field from the command line; a list field takes items separated by ';'."""
    if name not in SUMMARY_FIELDS:
        raise UserError(f"Onbekend veld '{name}'. Geldige velden: {', '.join(SUMMARY_FIELDS)}.")
    value = text.split(";") if name in LIST_FIELDS else text
    return {name: _value(name, value)}


def _value(key: str, value: object) -> str | list[str] | None:
    if key in LIST_FIELDS:
        items = value if isinstance(value, list) else [] if value is None else [value]
        if not all(isinstance(item, str | int | float) for item in items):
            raise UserError(f"Het veld '{key}' moet een lijst met tekst zijn. Er is niets gewijzigd.")
        return [str(item).strip() for item in items if str(item).strip().lower() not in _NOT_DISCUSSED]
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise UserError(f"Het veld '{key}' moet één tekst zijn. Er is niets gewijzigd.")
    text = str(value).strip()
    return None if text.lower() in _NOT_DISCUSSED else text
