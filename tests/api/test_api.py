"""The REST API's behaviour: problem+json errors naming field and rule, role-shaped schemas, pagination,
site scoping of lists, counts, search and exports, the health check, security headers and the OpenAPI
document."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mexards.config import Settings
from tests.api.conftest import Session
from tests.api.scenario import OTHER_SITE, SITE, app_for, copy_database


def test_a_request_body_error_is_a_problem_naming_each_field_and_rule(shared: Session) -> None:
    reply = shared.post(
        "coord1",
        f"/api/participants/{shared.trial.eligible}/consent",
        {"signed_by": "someone", "consent_version": "", "consented_at": "yesterday"},
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["type"].endswith("/validation") and body["status"] == 422
    assert body["instance"] == f"/api/participants/{shared.trial.eligible}/consent"
    assert {e["field"] for e in body["errors"]} == {"signed_by", "consent_version", "consented_at"}
    assert all(e["rule"] for e in body["errors"])


def test_a_domain_validation_error_names_the_field_and_the_rule(shared: Session) -> None:
    reply = shared.client.put(
        f"/api/participants/{shared.trial.phase2[SITE][0]}/crfs/blood_gas/d2",
        json={
            "values": {
                "pao2_mmhg": "9999",
                "fio2_fraction": "0.5",
                "support": "invasive",
                "measured_at": "2025-03-02T08:00Z",
            }
        },
        headers=shared.headers("coord1"),
    )
    assert reply.status_code == 422
    assert reply.json()["errors"] == [{"field": "pao2_mmhg", "rule": reply.json()["errors"][0]["rule"]}]
    assert "700" in reply.json()["errors"][0]["rule"]


def test_an_invalid_transition_is_a_conflict(shared: Session) -> None:
    reply = shared.post("coord1", f"/api/participants/{shared.trial.phase1[5]}/enrolment")
    assert reply.status_code == 409
    assert reply.json()["type"].endswith("/invalid-transition")


def test_another_sites_participant_does_not_exist_for_site_staff(shared: Session) -> None:
    other = shared.trial.phase2[OTHER_SITE][0]
    for user in ("coord1", "inv1", "mon1"):
        reply = shared.get(user, f"/api/participants/{other}")
        assert reply.status_code == 404
        assert reply.json()["detail"] == f"participant {other} not found"
    assert shared.get("stat1", f"/api/participants/{other}").status_code == 200


def test_lists_counts_search_and_exports_are_scoped_to_the_users_sites(shared: Session) -> None:
    def ids(user: str) -> set[str]:
        return {p["participant_id"] for p in shared.get(user, "/api/participants?limit=500").json()["items"]}

    assert ids("coord2") and all(pid.startswith(OTHER_SITE) for pid in ids("coord2"))
    assert all(pid.startswith(SITE) for pid in ids("coord1"))
    assert ids("stat1") == ids("coord1") | ids("coord2")
    assert shared.get("coord2", "/api/participants?q=S01").json()["total"] == 0
    log = shared.get("coord2", "/api/screening-log?limit=500").json()
    assert log["total"] == len(ids("coord2")) and all(e["site_id"] == OTHER_SITE for e in log["items"])
    consort = shared.get("coord2", "/api/reports/consort").json()
    assert consort["assessed"] == len(ids("coord2")) and consort["excluded"] == 0
    rows = list(csv.DictReader(io.StringIO(shared.get("coord2", "/api/reports/participants.csv").text)))
    assert {row["participant_id"] for row in rows} == ids("coord2")
    assert shared.get("inv2", "/api/adverse-events").json()["total"] == 0
    assert shared.get("coord2", "/api/queries").json()["total"] == 0
    audit = shared.get("inv2", "/api/audit?limit=500").json()["items"]
    assert audit and not any((e["participant_id"] or "").startswith(SITE) for e in audit)


def test_pages_of_a_list_add_up_to_the_whole_list(shared: Session) -> None:
    whole = shared.get("stat1", "/api/participants?limit=500").json()
    pages = [
        shared.get("stat1", f"/api/participants?offset={o}&limit=7").json()
        for o in range(0, whole["total"], 7)
    ]
    assert all(p["total"] == whole["total"] and p["limit"] == 7 for p in pages)
    assert [i for p in pages for i in p["items"]] == whole["items"]
    too_many = shared.get("stat1", "/api/participants?limit=100000")
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "limit"


def test_the_blinded_schema_has_no_arm_field_and_the_unblinded_one_has(shared: Session) -> None:
    schemas = shared.client.get("/openapi.json").json()["components"]["schemas"]
    blinded, unblinded = (
        schemas["ParticipantReadBlinded"]["properties"],
        schemas["ParticipantRead"]["properties"],
    )
    assert not [name for name in blinded if "arm" in name or name == "daily_dose_particles"]
    assert {"arm_code", "arm_label", "daily_dose_particles"} <= set(unblinded)
    assert "by_arm" not in schemas["ConsortReadBlinded"]["properties"]
    assert "arm_code" not in schemas["RandomizationRead"]["properties"]
    blinded_row = shared.get("coord1", f"/api/participants/{shared.trial.phase2[SITE][0]}").json()
    assert set(blinded_row) == set(blinded)
    unblinded_row = shared.get("pharm1", f"/api/participants/{shared.trial.phase2[SITE][0]}").json()
    assert set(unblinded_row) == set(unblinded)


def test_every_error_response_is_documented_as_problem_json(shared: Session) -> None:
    paths = shared.client.get("/openapi.json").json()["paths"]
    for item in paths.values():
        for operation in item.values():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], operation["operationId"]


def test_the_health_check_reports_the_database_schema_and_list_seal(shared: Session) -> None:
    body = shared.client.get("/api/health").json()
    assert body == {
        "status": "ok",
        "version": body["version"],
        "database": "ok",
        "schema_current": True,
        "revision": body["revision"],
        "allocation_list": "verified",
    }
    assert body["revision"] and body["revision"] == shared.container.head_revision


def test_a_tampered_allocation_list_makes_the_health_check_degraded(
    built_trial: tuple[Path, object], tmp_path: Path
) -> None:
    path = tmp_path / "trial.sqlite"
    copy_database(built_trial[0], path)
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE allocation_slot SET arm_code = CASE arm_code WHEN 'p2_control' THEN 'p2_mtd' "
            "ELSE 'p2_control' END WHERE sequence_number = 1"
        )
    app, _ = app_for(path)
    with TestClient(app) as client:
        body = client.get("/api/health").json()
    assert body["status"] == "degraded" and body["allocation_list"] == "seal broken"


def test_security_headers_forbid_inline_scripts_framing_and_sniffing(shared: Session) -> None:
    for url in ("/login", "/api/health", "/static/style.css"):
        headers = shared.client.get(url).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
    assert shared.client.get("/api/health").headers["cache-control"] == "no-store"


def test_the_api_documentation_is_served_from_the_package(shared: Session) -> None:
    page = shared.client.get("/docs")
    assert page.status_code == 200 and "<script>" not in page.text.replace("<script src=", "")
    assert "cdn" not in page.text
    assert shared.client.get("/docs/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert shared.client.get("/openapi.json").json()["info"]["title"] == "mexards"


def test_settings_refuse_to_start_in_production_with_a_default_secret_or_no_admin_password() -> None:
    with pytest.raises(ValueError, match="secret_key"):
        Settings(environment="production", admin_password="Correct-Horse-42!")
    with pytest.raises(ValueError, match="admin_password"):
        Settings(environment="production", secret_key="x" * 40)
    assert Settings(environment="production", secret_key="x" * 40, admin_password="Correct-Horse-42!")
