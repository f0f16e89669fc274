"""Plain-text mail in Bahasa Indonesia from templates/email/<name>.txt.j2.

A template has two blocks: `{% block subject %}` (one line) and `{% block body %}`.
`render_email("permintaan_kelengkapan", context) -> (subject, body)`.

Text, not HTML: no autoescape. Instead the output is cleaned of control characters
and of bidirectional-override characters (a name from a mail must not reorder or hide
text), the subject is folded onto one line (no header injection), and blank lines
are tidied. Printing a missing value raises (StrictUndefined); testing one with `if`
is allowed, so optional parts are written `{% if letter.number %}...{% endif %}`.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from pipelines.write.docx import LenientTestUndefined, _filter_ribuan, _filter_tanggal, _filter_waktu
from pipelines.write.paths import templates_dir
from pipelines.write.words import number_to_words_id

# C0 controls except \t \n, DEL, C1 controls, and bidi embedding/override/isolate marks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")

_ENVS: dict[Path, SandboxedEnvironment] = {}
_ENVS_LOCK = threading.Lock()


class TemplateDataError(ValueError):
    """The context does not allow this mail (e.g. a completion request without errors)."""


def _fail(message: str):
    raise TemplateDataError(message)


def _error_messages(findings: Any) -> list[str]:
    """Messages of error findings, in order, without repeats.

    Accepts Finding objects, dicts with severity/message, or plain strings (taken as
    errors). Warnings and info are for officers and never reach the LSP."""
    seen: dict[str, None] = {}
    for f in findings or []:
        if isinstance(f, str):
            severity, message = "error", f
        elif isinstance(f, dict):
            severity, message = f.get("severity", "error"), f.get("message", "")
        else:
            severity, message = getattr(f, "severity", "error"), getattr(f, "message", "")
        severity = getattr(severity, "value", severity)
        message = " ".join(str(message).split())
        if severity == "error" and message:
            seen.setdefault(message, None)
    return list(seen)


def _strip_re(subject: str) -> str:
    """'Re: RE: Fwd: Permohonan' -> 'Permohonan'."""
    return re.sub(r"^(\s*(re|fw|fwd|balas|tr)\s*(\[\d+\])?\s*:\s*)+", "", str(subject),
                  flags=re.I).strip()


def _env(directory: Path) -> SandboxedEnvironment:
    with _ENVS_LOCK:
        env = _ENVS.get(directory)
        if env is None:
            env = SandboxedEnvironment(
                loader=FileSystemLoader(str(directory)), autoescape=False,
                undefined=LenientTestUndefined, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=False, auto_reload=True)
            env.filters.update(tanggal=_filter_tanggal, waktu=_filter_waktu,
                               terbilang=number_to_words_id, ribuan=_filter_ribuan,
                               error_messages=_error_messages, strip_re=_strip_re)
            env.globals["fail"] = _fail
            _ENVS[directory] = env
        return env


def clean_subject(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text.replace("\r", " ").replace("\n", " ")).split())


def clean_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text + "\n"


def render_email(name: str, context: dict, *, directory: Path | None = None) -> tuple[str, str]:
    """Render templates/email/<name>.txt.j2 -> (subject, body)."""
    directory = Path(directory) if directory else templates_dir() / "email"
    env = _env(directory.resolve())
    filename = name if name.endswith(".j2") else f"{name}.txt.j2"
    tmpl = env.get_template(filename)
    for block in ("subject", "body"):
        if block not in tmpl.blocks:
            raise ValueError(f"{filename} has no {{% block {block} %}}")
    subject = "".join(tmpl.blocks["subject"](tmpl.new_context(dict(context))))
    body = "".join(tmpl.blocks["body"](tmpl.new_context(dict(context))))
    return clean_subject(subject), clean_body(body)
