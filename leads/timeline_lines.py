"""Timeline lines kept as message and parameters, put together in the reader's language when
shown (leads.services.timeline writes them, TimelineEvent.text reads them). No model imports:
leads.models uses this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from leads.reference.messages import hq_text

# The choice lists a line may name a value of (stored by key: only these are ever loaded).
CHOICES = {
    "stage": "leads.models.Stage",
    "follow_up_kind": "leads.models.FollowUp.Kind",
    "follow_up_result": "leads.models.FollowUp.Result",
    "handover_kind": "dealers.models.ReassignmentBatch.Kind",
    "payment_kind": "sales.models.Payment.Kind",
    "visit_outcome": "leads.models.Visit.Outcome",
}


def _choices(key: str) -> Any:
    module, _, rest = CHOICES[key].partition(".models.")
    found: Any = import_string(f"{module}.models.{rest.split('.')[0]}")
    for name in rest.split(".")[1:]:
        found = getattr(found, name)
    return found


@dataclass(frozen=True)
class Choice:
    """A value of one of CHOICES: shown as its label in the reader's language."""

    key: str
    value: str


@dataclass(frozen=True)
class Hq:
    """An HQ reference text (a source, a lost reason, a playbook step): its default translated,
    a text HQ typed shown as typed (leads.reference.messages.hq_text)."""

    text: str


@dataclass(frozen=True)
class Msg:
    """A word or phrase of the application (an English msgid marked with gettext_noop)."""

    text: str


@dataclass(frozen=True)
class Join:
    """Parts (texts, or any of these parameters) shown one after the other."""

    parts: tuple[Any, ...]
    sep: str = ", "


@dataclass(frozen=True)
class When:
    """A moment (shown in the page's time zone) or a day, in the reader's date format."""

    at: datetime | date


def _encode(value: Any) -> Any:
    if isinstance(value, Choice):
        return {"$choice": value.key, "v": value.value}
    if isinstance(value, Hq):
        return {"$hq": value.text}
    if isinstance(value, When):
        if isinstance(value.at, datetime):
            return {"$at": value.at.isoformat()}
        return {"$day": value.at.isoformat()}
    if isinstance(value, Msg):
        return {"$msg": value.text}
    if isinstance(value, Said):
        return {"$said": value.message, "p": value.stored(), "t": value.tail}
    if isinstance(value, Join):
        return {"$join": [_encode(part) for part in value.parts], "sep": value.sep}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "$choice" in value:
        return str(_choices(value["$choice"])(value["v"]).label)
    if "$hq" in value:
        return hq_text(value["$hq"])
    if "$msg" in value:
        return gettext(value["$msg"])
    if "$said" in value:
        return render_line(value["$said"], value["p"], value.get("t", ""))
    if "$join" in value:
        return str(value.get("sep", ", ")).join(str(_decode(part)) for part in value["$join"])
    if "$day" in value:
        return date_format(date.fromisoformat(value["$day"]), "DATE_FORMAT")
    if "$at" in value:
        at = timezone.localtime(datetime.fromisoformat(value["$at"]))
        return date_format(at, "SHORT_DATETIME_FORMAT")
    raise ValueError(f"unknown timeline parameter {value!r}")


@dataclass(frozen=True)
class Said:
    """A timeline line as message (an English msgid, marked with gettext_noop where it is
    written) and parameters; `tail` is text of the writer's own (a note), never translated."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    tail: str = ""

    def stored(self) -> dict[str, Any]:
        return {key: _encode(value) for key, value in self.params.items()}

    def row_params(self) -> dict[str, Any]:
        """What TimelineEvent.params holds: the parameters, and the tail under "$tail"."""
        return {**self.stored(), TAIL: self.tail}

    def __str__(self) -> str:
        return render_line(self.message, self.stored(), self.tail)


def said(message: str, *, tail: str = "", **params: Any) -> Said:
    return Said(message, params, tail)


TAIL = "$tail"


def render_row(message: str, params: Any) -> str:
    """A stored line (TimelineEvent.message / params, as Said.row_params wrote them)."""
    params = dict(params) if isinstance(params, dict) else {}
    tail = str(params.pop(TAIL, "") or "")
    return render_line(message, params, tail)


def render_line(message: str, params: dict[str, Any], tail: str = "") -> str:
    """The line in the active language."""
    text = gettext(message) % {key: _decode(value) for key, value in params.items()}
    return f"{text}{tail}"
