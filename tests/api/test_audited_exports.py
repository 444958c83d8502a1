"""Through the API: AE entry by a coordinator and the investigator's relatedness assessment, the audit-trail
permissions of the services policy, and the audit entry of every export and report download (who, what,
when; edc-and-standards.md AUD-4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.conftest import Session
from tests.api.scenario import SITE

EXPORTS = {
    "/api/reports/participants.csv": "participants.csv",
    "/api/reports/screening-log.csv": "screening-log.csv",
    "/api/reports/adverse-events.csv": "adverse-events.csv",
    "/api/reports/audit.csv": "audit.csv",
    "/api/reports/consort": "consort",
}


def _exports(session: Session, user: str) -> list[dict[str, object]]:
    items = session.get("admin1", f"/api/audit?entity=data_export&actor_id={user}&limit=500").json()["items"]
    return list(items)


def test_a_coordinator_records_an_event_not_assessed_and_an_investigator_assesses_it(fresh: Session) -> None:
    pid = fresh.trial.phase2[SITE][0]
    now = datetime.now(UTC).isoformat()
    body = {
        "term": "Nausea",
        "ctcae_grade": 3,
        "onset_at": now,
        "investigator_aware_at": now,
        "expectedness": "unexpected",
        "seriousness": ["hospitalisation"],
    }
    refused = fresh.post(
        "coord1", f"/api/participants/{pid}/adverse-events", {**body, "relatedness": "possible"}
    )
    assert refused.status_code == 403
    created = fresh.post("coord1", f"/api/participants/{pid}/adverse-events", body)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["relatedness"] == "not_assessed" and not event["susar"] and not event["relatedness_assessed"]
    url = f"/api/adverse-events/{event['adverse_event_id']}/relatedness"
    assert fresh.post("coord1", url, {"relatedness": "possible"}).status_code == 403
    assert fresh.post("inv2", url, {"relatedness": "possible"}).status_code == 404
    assessed = fresh.post("inv1", url, {"relatedness": "possible"})
    assert assessed.status_code == 200 and assessed.json()["susar"]
    again = fresh.post("inv1", url, {"relatedness": "unlikely"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "reason"
    overdue = fresh.get("mon1", "/api/sae-reports/overdue").json()
    assert all(r["adverse_event_id"] != event["adverse_event_id"] for r in overdue)


@pytest.mark.parametrize("user", ["coord1", "stat1", "mon1"])
def test_every_export_download_writes_an_audit_entry_naming_the_export(shared: Session, user: str) -> None:
    before = len(_exports(shared, user))
    allowed = []
    for url, name in EXPORTS.items():
        if shared.get(user, url).status_code == 200:
            allowed.append(name)
    after = _exports(shared, user)
    entries = after[: len(after) - before]  # newest first
    assert allowed and sorted(e["entity_id"] for e in entries) == sorted(allowed)
    for entry in entries:
        assert entry["actor_id"] == user and entry["recorded_at"] and entry["changes"]["document_id"]


def test_a_refused_export_is_not_recorded_as_downloaded(shared: Session) -> None:
    before = len(_exports(shared, "coord1"))
    assert shared.get("coord1", "/api/reports/audit.csv").status_code == 403
    assert shared.get("pharm1", "/api/reports/adverse-events.csv").status_code == 403
    assert len(_exports(shared, "coord1")) == before and _exports(shared, "pharm1") == []


def test_the_dsmb_does_not_read_the_audit_trail_and_only_unblinded_readers_see_the_unblinded_view(
    shared: Session,
) -> None:
    assert shared.get("dsmb1", "/api/audit").status_code == 403
    assert shared.get("stat1", "/api/audit?unblinded=true").status_code == 403
    assert shared.get("ustat1", "/api/audit?unblinded=true&limit=5").status_code == 200
