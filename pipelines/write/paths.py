"""Where the templates live: <repo>/templates, or $SERTIFLOW_TEMPLATES_DIR."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def templates_dir() -> Path:
    override = os.environ.get("SERTIFLOW_TEMPLATES_DIR")
    return Path(override) if override else REPO_ROOT / "templates"


def docx_template(name: str) -> Path:
    """`docx_template("lembar_persetujuan")` -> templates/lembar_persetujuan.docx"""
    if not name.endswith(".docx"):
        name += ".docx"
    return templates_dir() / name
