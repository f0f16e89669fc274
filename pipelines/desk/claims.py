"""Who holds a dossier: an officer claims it (explicitly, or by acting on it), others see who
and since when, and an action on a dossier someone else holds is refused unless the officer
takes it over explicitly (the take-over is recorded in the history)."""
from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pipelines import db
from pipelines.desk import DeskError
from pipelines.desk.models import claims, users


class HeldByOther(DeskError):
    def __init__(self, holder: dict):
        self.holder = holder
        super().__init__(f"Berkas ini sedang dipegang oleh {holder['full_name'] or holder['username']}. "
                         "Centang \"ambil alih\" bila Anda memang perlu menanganinya.")


def holder(conn, dossier_id: int) -> dict | None:
    row = conn.execute(select(claims.c.username, claims.c.since, users.c.full_name)
                       .select_from(claims.outerjoin(users, users.c.username == claims.c.username))
                       .where(claims.c.dossier_id == dossier_id)).mappings().first()
    return None if row is None else dict(row, since=db.aware(row["since"]))


def hold(conn, dossier: dict, actor: str, take_over: bool = False) -> None:
    """Make `actor` the holder inside the caller's transaction, or raise HeldByOther."""
    dialect = conn.dialect.name
    values = dict(dossier_id=dossier["id"], username=actor, since=db.now())
    if dialect in ("postgresql", "sqlite"):
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(claims).values(**values)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["dossier_id"]))
    elif conn.execute(select(claims.c.dossier_id).where(claims.c.dossier_id == dossier["id"])).first() is None:
        conn.execute(insert(claims).values(**values))
    current = holder(conn, dossier["id"])
    if current["username"] == actor:
        return
    if not take_over:
        raise HeldByOther(current)
    conn.execute(update(claims).where(claims.c.dossier_id == dossier["id"]).values(username=actor, since=db.now()))
    db.record_event(conn, "berkas_diambil_alih", actor=actor, dossier_id=dossier["id"],
                    before=dossier["status"], after=dossier["status"], dari=current["username"])


def claim(conn, dossier: dict, actor: str, take_over: bool = False) -> bool:
    """An explicit claim ("Ambil berkas"); True when it is new (recorded in the history)."""
    before = holder(conn, dossier["id"])
    hold(conn, dossier, actor, take_over)
    if before is None:
        db.record_event(conn, "berkas_diambil", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=dossier["status"])
    return before is None


def release(conn, dossier: dict, actor: str) -> bool:
    gone = conn.execute(delete(claims).where(claims.c.dossier_id == dossier["id"],
                                             claims.c.username == actor)).rowcount
    if gone:
        db.record_event(conn, "berkas_dilepas", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=dossier["status"])
    return bool(gone)


def holders(conn, dossier_ids: list[int]) -> dict[int, dict]:
    if not dossier_ids:
        return {}
    rows = conn.execute(select(claims.c.dossier_id, claims.c.username, claims.c.since, users.c.full_name)
                        .select_from(claims.outerjoin(users, users.c.username == claims.c.username))
                        .where(claims.c.dossier_id.in_(dossier_ids))).mappings()
    return {r["dossier_id"]: dict(r, since=db.aware(r["since"])) for r in rows}
