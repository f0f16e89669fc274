"""write: documents and mail text going out (Bahasa Indonesia).

- docx.render_docx: docxtpl templates (templates/*.docx), autoescaped, atomic writes
- pdf.convert_to_pdf: batched headless LibreOffice conversion (DOCX kept if absent)
- bulk.render_pdfs_bulk: many PDFs from one template (merge, convert once, split)
- qr.qr_png: QR codes for receipts and certificates
- email_text.render_email: subject + plain-text body from templates/email/*.txt.j2
- words: Indonesian number words and dates
"""
