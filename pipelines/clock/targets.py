"""A service's targets, read from its definition (services/README.md, "Clock"):

- whole-service promise: `clock.target_working_days` (or `clock.target_working_minutes`);
- legs: each step's `duration` as the SOP states it ("15 menit", "2 jam", "1 hari",
  "41 hari kerja"), keyed by the step id; `clock.legs` adds or overrides legs
  (`{working_days|working_hours|working_minutes: N, warn_at: 0.5}`);
- pause reasons: the service's `pause_reasons` (steps name them in `waits_for`), plus
  `clock.pause_reasons`;
- `clock.warn_at` (default 0.75), `clock.compensation` (Process D), `clock.office`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.clock.engine import DAYS, MINUTES

DEFAULT_WARN_AT = 0.75
_PROMISE_UNITS = {"target_working_days": DAYS, "target_working_minutes": MINUTES}   # the first given counts
_SOP_DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(menit|jam|hari)(\s+kerja)?\s*$", re.I)


class TargetError(ValueError):
    """A service's clock data is wrong; the message names the service and the key."""


@dataclass(frozen=True)
class Target:
    amount: float
    unit: str                   # working_days | working_minutes
    label: str = ""
    role: str = ""
    warn_at: float = DEFAULT_WARN_AT

    def describe(self) -> str:
        amount = f"{self.amount:g}"
        return f"{amount} hari kerja" if self.unit == DAYS else f"{amount} menit kerja"


@dataclass(frozen=True)
class ServiceClock:
    service: str
    promise: Target | None
    legs: dict[str, Target] = field(default_factory=dict)
    pause_reasons: dict[str, str] = field(default_factory=dict)
    compensation: bool = False
    office: str | None = None

    def target(self, leg: str = "") -> Target:
        if not leg:
            if self.promise is None:
                raise TargetError(f"{self.service}: clock.target_working_days tidak ada")
            return self.promise
        if leg not in self.legs:
            raise TargetError(f"{self.service}: tidak ada target untuk langkah '{leg}'")
        return self.legs[leg]


def _share(value, where: str) -> float:
    share = float(value)
    if not 0 < share < 1:
        raise TargetError(f"{where}: warn_at harus di antara 0 dan 1")
    return share


def _amount(value, where: str) -> float:
    amount = float(str(value).replace(",", "."))
    if amount <= 0:
        raise TargetError(f"{where}: durasi harus lebih dari nol")
    return amount


def _leg(spec: dict, where: str, warn_at: float, label: str = "", role: str = "") -> Target:
    units = {"working_days": (DAYS, 1), "working_hours": (MINUTES, 60), "working_minutes": (MINUTES, 1)}
    given = [k for k in units if k in spec]
    if len(given) != 1:
        raise TargetError(f"{where}: tulis tepat satu dari working_days, working_hours, working_minutes")
    unit, factor = units[given[0]]
    return Target(_amount(spec[given[0]], where) * factor, unit, str(spec.get("label", label)),
                  str(spec.get("role", role)), _share(spec.get("warn_at", warn_at), where))


def parse_duration(text: str, where: str, warn_at: float, label: str = "", role: str = "") -> Target | None:
    """A step's SOP duration ("2 jam", "1 hari") as a target; None when it states none ("~")."""
    m = _SOP_DURATION.match(text or "")
    if not m:
        return None
    amount, unit = _amount(m.group(1), where), m.group(2).lower()
    if unit == "hari":
        return Target(amount, DAYS, label, role, warn_at)
    return Target(amount * (60 if unit == "jam" else 1), MINUTES, label, role, warn_at)


def _get(obj, key, default=None):
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


def _promise_key(spec: dict) -> str | None:
    return next((key for key in _PROMISE_UNITS if spec.get(key) is not None), None)


def has_promise(service) -> bool:
    """Whether service_clock(service).promise is set, without reading every step's duration
    (the mail path asks for every mail)."""
    return _promise_key(getattr(service, "clock", None) or {}) is not None


def service_clock(service) -> ServiceClock:
    """The clock data of a Service (pipelines.services)."""
    spec = getattr(service, "clock", None) or {}
    where = f"services/{service.kind}.yaml"
    warn_at = _share(spec.get("warn_at", DEFAULT_WARN_AT), f"{where} clock")
    key = _promise_key(spec)
    promise = Target(_amount(spec[key], where), _PROMISE_UNITS[key], service.name, "", warn_at) if key else None
    legs = {}
    for step in getattr(service, "steps", None) or []:
        target = parse_duration(_get(step, "duration", ""), f"{where} steps.{_get(step, 'id')}", warn_at,
                                _get(step, "label", ""), _get(step, "role", ""))
        if target is not None:
            legs[str(_get(step, "id"))] = target
    for leg, leg_spec in (spec.get("legs") or {}).items():
        legs[str(leg)] = _leg(leg_spec or {}, f"{where} clock.legs.{leg}", warn_at)
    reasons = {str(k): str(v) for k, v in (getattr(service, "pause_reasons", None) or {}).items()}
    reasons.update({str(k): str(v) for k, v in (spec.get("pause_reasons") or {}).items()})
    return ServiceClock(service.kind, promise, legs, reasons, bool(spec.get("compensation", False)),
                        spec.get("office"))
