"""Working days, settings, and the dossier state machine."""
from datetime import date

import pytest

from pipelines.calendar import WorkingCalendar
from pipelines.config import PROJECT_ROOT, ConfigError, load_settings
from pipelines.decide import decide
from pipelines.findings import Finding, Severity
from pipelines.services import load_services

CAL = WorkingCalendar(PROJECT_ROOT / "data" / "calendar.yaml")
SERVICE = load_services(PROJECT_ROOT / "services")["blank_request"]


def test_one_working_day_after_friday_is_monday():
    assert CAL.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)


def test_christmas_and_its_cuti_bersama_are_skipped():
    # 24 Dec 2026 is cuti bersama, 25 Dec is Christmas, then a weekend.
    assert CAL.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_independence_day_is_not_a_working_day():
    assert not CAL.is_working_day(date(2026, 8, 17))
    assert CAL.working_days_between(date(2026, 8, 14), date(2026, 8, 18)) == 1


def test_settings_file_and_environment(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text("mailboxes:\n  - {name: blanko, kind: imap, host: imap.x, port: 993, security: ssl, user: u@x}\n"
                   "smtp: {host: smtp.x, port: 587, security: starttls}\n")
    settings = load_settings(cfg, env={"SERTIFLOW_IMAP_PASSWORD": "rahasia", "SERTIFLOW_SMTP_PASSWORD": "p2",
                                       "SERTIFLOW_DATABASE_URL": "sqlite:///x.db"})
    assert settings.mailboxes[0].password == "rahasia"
    assert settings.smtp.password == "p2"
    assert settings.database_url == "sqlite:///x.db"


@pytest.mark.parametrize("text, message", [
    ("mailboxes:\n  - {name: a, kind: pop3}\n", "kind must be imap or maildir"),
    ("mailboxes:\n  - {name: a, kind: imap, user: u, security: tls}\n", "security"),
    ("sender: blanko\n", "full e-mail address"),
    ("smpt: {}\n", "unknown setting"),
])
def test_configuration_errors_say_what_is_wrong(tmp_path, text, message):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env={})


def test_incomplete_request_waits_for_the_lsp_with_a_completion_email():
    d = decide(SERVICE, "baru", [Finding.error("DOKUMEN_TIDAK_ADA", "x")], sender_known=True)
    assert (d.status, d.email, d.complete) == ("menunggu_kelengkapan", "permintaan_kelengkapan", False)


def test_complete_request_waits_for_approval_with_documents():
    d = decide(SERVICE, "menunggu_kelengkapan", [Finding.warning("W", "x")], sender_known=True)
    assert d.status == "menunggu_persetujuan" and d.complete
    assert [x["kind"] for x in d.documents] == ["lembar_persetujuan", "tanda_terima"]


def test_overridden_error_does_not_block():
    f = Finding("X", Severity.ERROR, "x", "", {"overridden_by": "petugas1"})
    assert decide(SERVICE, "baru", [f], sender_known=True).complete


def test_unknown_sender_is_held_and_not_answered():
    d = decide(SERVICE, "baru", [], sender_known=False)
    assert d.status == "ditahan" and d.email is None and not d.documents


def test_a_file_read_without_confidence_holds_the_dossier_for_an_officer():
    unsure = Finding.warning("PERLU_PEMERIKSAAN_MANUAL", "scan.pdf perlu diperiksa petugas")
    assert decide(SERVICE, "baru", [unsure], sender_known=True).status == "perlu_pemeriksaan"
    cleared = Finding("PERLU_PEMERIKSAAN_MANUAL", Severity.WARNING, "x", "", {"overridden_by": "petugas1"})
    assert decide(SERVICE, "perlu_pemeriksaan", [cleared], sender_known=True).complete
