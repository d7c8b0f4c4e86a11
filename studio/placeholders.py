"""Template placeholders: ``{first_name}`` in a prompt, filled from the values a user gives.

A template declares the fields a user fills; every placeholder in its texts must be one of
them. Errors name the placeholders at fault, so the user knows exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FIELD_TYPES = {"text": "One line of text", "long_text": "A paragraph", "url": "A web address"}
MAX_FIELD_LENGTH = 2000
RESERVED_NAMES = {"image", "variants"}  # inputs the fill form has besides the fields


def names_in(*texts: str) -> list[str]:
    """The placeholder names used in the texts, each once, in order of first use."""
    seen: dict[str, None] = {}
    for text in texts:
        for name in PLACEHOLDER.findall(text):
            seen.setdefault(name, None)
    return list(seen)


def _braced(names: Iterable[str]) -> str:
    return ", ".join("{" + name + "}" for name in names)


def check_fields(fields: Any) -> list[dict[str, Any]]:
    """Validate a template's field definitions and return them with defaults filled in."""
    if not isinstance(fields, list):
        raise ValidationError("The fields must be a list.", code="fields_not_a_list")
    cleaned: list[dict[str, Any]] = []
    for index, field in enumerate(fields, start=1):
        name = str(field.get("name", "")) if isinstance(field, dict) else ""
        if not FIELD_NAME.match(name):
            raise ValidationError(
                "Field %(n)s needs a name of letters, digits and underscores.",
                code="bad_field_name",
                params={"n": index},
            )
        if name in RESERVED_NAMES:
            raise ValidationError(
                "{%(name)s} is a name the form uses already; call the placeholder something else.",
                code="reserved_field_name",
                params={"name": name},
            )
        kind = field.get("type", "text")
        if kind not in FIELD_TYPES:
            raise ValidationError(
                "Field %(name)s has an unknown type %(type)s; use one of: %(types)s.",
                code="bad_field_type",
                params={"name": name, "type": kind, "types": ", ".join(FIELD_TYPES)},
            )
        max_length = field.get("max_length", 100)
        if not isinstance(max_length, int) or not 1 <= max_length <= MAX_FIELD_LENGTH:
            raise ValidationError(
                "Field %(name)s: the maximum length must be from 1 to %(max)s.",
                code="bad_field_length",
                params={"name": name, "max": MAX_FIELD_LENGTH},
            )
        if name in {c["name"] for c in cleaned}:
            raise ValidationError(
                "Two fields are named %(name)s.", code="duplicate_field", params={"name": name}
            )
        cleaned.append(
            {
                "name": name,
                "label": str(field.get("label") or name.replace("_", " ").capitalize()),
                "type": kind,
                "required": bool(field.get("required", True)),
                "max_length": max_length,
            }
        )
    return cleaned


def check_known(texts: Iterable[str], fields: list[dict[str, Any]]) -> None:
    """Raise when a text uses a placeholder that no field declares."""
    declared = {f["name"] for f in fields}
    unknown = [name for name in names_in(*texts) if name not in declared]
    if unknown:
        raise ValidationError(
            "Unknown placeholder%(s)s %(names)s: add a field for each, or remove it.",
            code="unknown_placeholder",
            params={"s": "s" if len(unknown) > 1 else "", "names": _braced(unknown)},
        )


def check_values(fields: list[dict[str, Any]], values: Mapping[str, str]) -> dict[str, str]:
    """The values for every field, stripped; raise naming each required one that is missing."""
    cleaned = {f["name"]: str(values.get(f["name"]) or "").strip() for f in fields}
    missing = [f["name"] for f in fields if f["required"] and not cleaned[f["name"]]]
    if missing:
        raise ValidationError(
            "Missing value%(s)s for %(names)s.",
            code="missing_placeholder",
            params={"s": "s" if len(missing) > 1 else "", "names": _braced(missing)},
        )
    too_long = [f["name"] for f in fields if len(cleaned[f["name"]]) > f["max_length"]]
    if too_long:
        raise ValidationError(
            "Too long: %(names)s.", code="value_too_long", params={"names": _braced(too_long)}
        )
    return cleaned


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each ``{name}`` with its value; raise naming any placeholder with no value given."""
    unknown = [name for name in names_in(text) if name not in values]
    if unknown:
        raise ValidationError(
            "Unknown placeholder%(s)s %(names)s.",
            code="unknown_placeholder",
            params={"s": "s" if len(unknown) > 1 else "", "names": _braced(unknown)},
        )
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def fill_all(value: Any, values: Mapping[str, str]) -> Any:
    """Fill every string inside a JSON-like value (the overlay settings)."""
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, dict):
        return {k: fill_all(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_all(v, values) for v in value]
    return value


def overlay_texts(overlays: Mapping[str, Any]) -> list[str]:
    """Every string in the overlay settings, to check their placeholders."""
    texts: list[str] = []
    for value in overlays.values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            texts.extend(overlay_texts(value))
    return texts
