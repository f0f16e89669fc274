"""Courier pickup (Mon/Wed/Fri, see prefect.yaml): certificate print files for the parcels
about to leave, one manifest of every packed parcel, shipment notices sent.

Three tasks, each a batch; the per-parcel work is in plain functions
(`pipelines.fulfil.manifest`) and the state in our database, so a repeated or failed run
resumes from it: a parcel already in a manifest is never listed again.
"""
from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipelines.flows.ingest_mailbox import runtime, send_queued_mail
from pipelines.fulfil.manifest import build_manifest, prepare_certificates


@task(name="render-certificates", cache_policy=NO_CACHE)
def render_certificates_task(config_path: str | None) -> dict:
    return {str(k): v for k, v in prepare_certificates(runtime(config_path)).items()}


@task(name="build-manifest", cache_policy=NO_CACHE)
def build_manifest_task(config_path: str | None) -> dict | None:
    result = build_manifest(runtime(config_path), actor="jadwal-kurir")
    if result is None:
        return None
    return {"number": result.number, "parcels": len(result.parcels), "notices": result.notices,
            "xlsx": str(result.xlsx), "pdf": str(result.pdf), "csv": str(result.csv)}


@flow(name="build-courier-manifest", log_prints=True)
def build_courier_manifest(config_path: str | None = None) -> dict:
    """Manifest of every parcel packed since the last pickup; parcels become "dikirim"."""
    logger = get_run_logger()
    certificates = render_certificates_task(config_path)
    manifest = build_manifest_task(config_path)
    sent = send_queued_mail(config_path)
    if manifest is None:
        logger.info("Tidak ada paket yang menunggu pengambilan kurir.")
    else:
        logger.info("Manifes %s: %d paket; pemberitahuan: %d; surel: %s", manifest["number"],
                    manifest["parcels"], manifest["notices"], sent)
    return {"manifest": manifest, "certificates": certificates, "sent": sent}
