"""Documents of older cases under their checklist item: a case saved before document types were
recorded shows its files as "Lainnya" until the service types them. The case page asks here; the
documents are read again from the kept files and typed once, on the path new documents take
(`Service.recognise`, then `process._record_types`)."""
from __future__ import annotations

import logging

from sqlalchemy import select

from pipelines import db

log = logging.getLogger(__name__)


def type_older_documents(rt, dossier: dict, service) -> bool:
    """Type the case's documents if nothing typed them yet; True when it did."""
    from pipelines.process import _earlier_documents, _record_types
    if not service.recognition_items:
        return False
    with rt.engine.connect() as conn:
        if conn.execute(select(db.document_types_recorded.c.dossier_id).where(
                db.document_types_recorded.c.dossier_id == dossier["id"])).first():
            return False
    try:
        documents = service.recognise(_earlier_documents(rt, dossier["id"], mail_id=0))
    except OSError as exc:    # a kept file is gone: the page shows what is stored, nothing is recorded
        log.warning("documents of %s not typed: %s", dossier["number"], exc)
        return False
    with rt.engine.begin() as conn:
        _record_types(conn, dossier["id"], documents)
    return True
