"""What a service calls the work it carries out, from its YAML: the audit of ISO 9001, the lot
sampling of SPPT SNI type 1, the competence assessment of person certification. The desk, the
mail and the documents take every such word from here, never a hard-coded "audit"."""
from __future__ import annotations

from pipelines.services import Service

SCHEDULE_INPUTS = ("tanggal_audit_tahap1", "tanggal_audit_tahap2")


def activity(service: Service) -> str:
    """"audit", "pengambilan contoh", "uji kompetensi" (`certificate.activity`, audit by default)."""
    return service.certificate.get("activity") or "audit"


def team_name(service: Service) -> str:
    """"tim audit", "tim pengambil contoh" (`certificate.team`, audit by default)."""
    return f"tim {service.certificate.get('team') or 'audit'}"


def surveillance_activity(service: Service) -> str:
    """What a surveillance is called: "audit survailen" of an organisation's system, the
    `certificate.surveillance_activity` a service names otherwise ("survailen pemegang sertifikat"
    of a certified person, ISO/IEC 17024 9.6: no audit of a company)."""
    return service.certificate.get("surveillance_activity") or f"{activity(service)} survailen"


def schedule_names(service: Service) -> tuple[str, str]:
    """The two dates of the schedule as the scheduling step's inputs label them, without their
    leading "Tanggal": ("audit tahap 1", "audit tahap 2"), ("pengambilan contoh", "selesai
    verifikasi lot"), ("mulai pelaksanaan", "selesai pelaksanaan")."""
    labels = {i["id"]: i.get("label", "") for s in service.steps for i in s.inputs if i["id"] in SCHEDULE_INPUTS}
    names = []
    for key, fallback in zip(SCHEDULE_INPUTS, ("mulai", "selesai")):
        words = (labels.get(key) or "").split()
        if words and words[0].casefold() == "tanggal":
            words = words[1:]
        names.append(" ".join(words) or fallback)
    return names[0], names[1]


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def titles(service: Service) -> dict:
    """The desk's headings and labels for the team and the schedule."""
    first, second = schedule_names(service)
    return {"team": capitalised(team_name(service)), "schedule": f"Jadwal {activity(service)}",
            "first": capitalised(first), "second": capitalised(second)}


def followup_labels(service: Service) -> dict[str, str]:
    """Thread mail kinds as the service labels them (`followups`)."""
    return {f["kind"]: f.get("label", f["kind"]) for f in service.followups}


def generated_labels(service: Service) -> dict[str, str]:
    """Documents the service writes, by kind: a `label` its step gives the document, else none."""
    return {w["kind"]: w["label"] for s in service.steps for w in (s.writes or []) if w.get("label")}
