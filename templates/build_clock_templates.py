"""Generate the clock's DOCX template (apology letter, Process D) with python-docx.

    .venv/bin/python templates/build_clock_templates.py

The .docx is committed: officers edit wording and letterhead in Word. Keep every docxtpl tag
inside one run. The context it expects is listed in templates/README.md (surat_permohonan_maaf).
Rerunning this script overwrites the file (and any edits made in Word).
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

HERE = Path(__file__).resolve().parent


def build_apology_letter(path: Path) -> None:
    doc = Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "Sertiflow"
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(11)

    def line(text="", bold=False, align=None):
        p = doc.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if align:
            p.alignment = align
        return p

    line("{{ office.name }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    line("{{ office.address }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    line()
    line("Nomor\t: {{ letter.number }}")
    line("Tanggal\t: {{ letter.date }}")
    line("Perihal\t: Permohonan Maaf atas Keterlambatan Layanan")
    line()
    line("Yth. {{ customer.name }}")
    line("{{ customer.email }}")
    line()
    line("Dengan hormat,")
    line("Kami memohon maaf karena layanan {{ service.name }} untuk berkas {{ case.number }} tidak dapat "
         "kami selesaikan dalam waktu yang kami janjikan ({{ promise }}), yaitu paling lambat "
         "{{ case.deadline }}.")
    line("Sesuai standar pelayanan kami, sebagai kompensasi waktu layanan untuk permohonan Anda berikutnya "
         "pada layanan yang sama akan kami kurangi {{ credit_days }} hari kerja dari janji layanan. "
         "Pengurangan ini berlaku otomatis; Anda juga dapat menyebutkan nomor surat ini pada permohonan "
         "berikutnya.")
    line("Atas perhatian dan pengertian Anda, kami ucapkan terima kasih.")
    line()
    line("{{ office.city }}, {{ letter.date }}")
    line("{{ official.title }}")
    line()
    line()
    line("{{ official.name }}", bold=True)
    line("NIP {{ official.nip }}")
    doc.save(path)


if __name__ == "__main__":
    build_apology_letter(HERE / "surat_permohonan_maaf.docx")
