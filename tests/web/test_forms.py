"""The web forms: live eligibility while screening, inline CRF validation, field errors shown next to the
fields, reasons for changes, confirmation before randomization, and the shape of pages per role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mexards.clinical.patient import flatten
from tests.api.scenario import SITE, eligible_record, ineligible_record
from tests.web.conftest import Site


def form_of(record: dict[str, Any], participant_id: str) -> dict[str, object]:
    fields: dict[str, object] = {"participant_id": participant_id, "site_id": SITE}
    for path, value in flatten(record).items():
        fields[path] = str(value).lower() if isinstance(value, bool) else str(value)
    return fields


def test_the_live_eligibility_panel_shows_every_criterion_without_recording_anything(site: Site) -> None:
    browser = site.browser("coord1")
    eligible = browser.post("/screening/preview", form_of(eligible_record(), "PREVIEW-1"))
    assert eligible.status_code == 200 and 'id="verdict">ELIGIBLE<' in eligible.text
    assert eligible.text.count("<tr>") >= 26  # I1-I5 and E1-E21, one row each
    ineligible = browser.post("/screening/preview", form_of(ineligible_record(), "PREVIEW-2"))
    assert 'id="verdict">INELIGIBLE<' in ineligible.text and "BMI 30.10 &gt; 28" in ineligible.text
    unreadable = browser.post(
        "/screening/preview", {"screening_at": "2025-03-01T07:00", "anthropometry.weight_kg": "heavy"}
    )
    assert "anthropometry.weight_kg" in unreadable.text
    assert site.session.get("coord1", "/api/participants?q=PREVIEW").json()["total"] == 0


def test_a_screening_with_unreadable_values_shows_the_form_again_with_each_field_error(site: Site) -> None:
    browser = site.browser("coord1")
    fields = form_of(eligible_record(), "S01-BAD")
    fields["anthropometry.weight_kg"] = "heavy"
    reply = browser.post("/screening", fields)
    assert reply.status_code == 422
    assert 'href="#f-anthropometry-weight_kg"' in reply.text and 'aria-invalid="true"' in reply.text
    assert 'value="heavy"' in reply.text


def test_screening_an_ineligible_patient_keeps_them_with_the_reasons(fresh_site: Site) -> None:
    browser = fresh_site.browser("coord1")
    reply = browser.post("/screening", form_of(ineligible_record(), "S01-NEW"))
    assert reply.status_code == 303 and reply.headers["location"].startswith("/participants/S01-NEW")
    page = browser.get("/participants/S01-NEW").text
    assert "INELIGIBLE" in page and "I2:" in page and "E10:" in page


def test_crf_fields_are_checked_inline_on_each_change(site: Site) -> None:
    browser = site.browser("coord1")
    url = f"/participants/{site.trial.phase2[SITE][0]}/crf/blood_gas/d3/check"
    reply = browser.post(url, {"pao2_mmhg": "9999", "unit.pao2_mmhg": "mmHg"})
    assert 'id="err-pao2_mmhg"' in reply.text and 'hx-swap-oob="true"' in reply.text
    error_span = reply.text.split('id="err-pao2_mmhg"')[1].split("</span>")[0]
    assert "700" in error_span
    fine = browser.post(url, {"pao2_mmhg": "10.6", "unit.pao2_mmhg": "kPa"})
    assert "All entered values are valid" in fine.text


def test_a_saved_crf_shows_derived_scores_and_a_change_needs_a_reason(fresh_site: Site) -> None:
    browser = fresh_site.browser("coord1")
    url = f"/participants/{fresh_site.trial.phase2[SITE][0]}/crf/blood_gas/d3"
    values = {
        "measured_at": "2025-03-03T08:00Z",
        "support": "invasive",
        "pao2_mmhg": "114",
        "unit.pao2_mmhg": "mmHg",
        "fio2_fraction": "0.57",
        "unit.fio2_fraction": "fraction",
        "peep_cmh2o": "8",
    }
    assert browser.post(url, values).status_code == 303
    page = browser.get(url).text
    assert "Derived on save" in page and "200" in page
    changed = browser.post(url, {**values, "pao2_mmhg": "120"})
    assert changed.status_code == 422 and "reason" in changed.text
    assert (
        browser.post(url, {**values, "pao2_mmhg": "120", "reason": "transcription error"}).status_code == 303
    )


def test_an_adverse_event_form_with_errors_keeps_what_was_typed(site: Site) -> None:
    browser = site.browser("inv1")
    reply = browser.post(
        f"/participants/{site.trial.phase2[SITE][0]}/adverse-events",
        {
            "term": "Cough",
            "ctcae_grade": "1",
            "onset_at": "not a time",
            "investigator_aware_at": "2025-03-03T08:00",
            "relatedness": "unlikely",
            "expectedness": "expected",
        },
    )
    assert reply.status_code == 422
    assert 'href="#ae-onset_at"' in reply.text and 'value="Cough"' in reply.text


def test_randomization_needs_the_confirmation_box(fresh_site: Site) -> None:
    browser = fresh_site.browser("coord1")
    pid = fresh_site.trial.enrolled_unrandomized[SITE]
    assert "irrevocable" in browser.get(f"/participants/{pid}/randomize").text
    refused = browser.post(f"/participants/{pid}/randomize", {})
    assert refused.status_code == 422 and "confirm" in refused.text
    done = browser.post(f"/participants/{pid}/randomize", {"confirm": "yes"})
    assert done.status_code == 303 and "study+drug" in done.headers["location"].replace("%20", "+")


def test_the_participant_page_shows_the_arm_to_the_pharmacist_only(site: Site) -> None:
    pid = site.trial.phase2[SITE][0]
    assert 'id="arm"' in site.browser("pharm1").get(f"/participants/{pid}").text
    coordinator = site.browser("coord1").get(f"/participants/{pid}").text
    assert 'id="arm"' not in coordinator and site.trial.kits[pid] in coordinator


def test_the_escalation_board_shows_levels_decision_table_and_reason(site: Site) -> None:
    page = site.browser("coord1").get("/escalation").text
    for text in (
        "Dose levels",
        "Decision table of the design",
        "stay: treat 3 more at the current dose",
        "the MTD is dose 3",
        "signatures match the signed content",
    ):
        assert text in page


def test_form_fields_are_labelled(site: Site) -> None:
    import re

    for url in (
        "/screening",
        f"/participants/{site.trial.phase2[SITE][0]}/crf/blood_gas/d1",
        f"/participants/{site.trial.phase2[SITE][0]}/adverse-events/new",
    ):
        page = site.browser("inv1").get(url).text
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|checkbox)")[^>]*\bid="([^"]+)"', page
        )
        labels = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        assert ids and not [i for i in ids if i not in labels], url


def test_an_administrator_creates_a_user_and_sees_field_errors(fresh_site: Site) -> None:
    browser = fresh_site.browser("admin1")
    bad = browser.post(
        "/admin/users",
        {
            "user_id": "nurse1",
            "display_name": "Nurse",
            "role": "coordinator",
            "site_ids": "",
            "password": "Correct-Horse-42!",
        },
    )
    assert bad.status_code == 422 and "give at least one site" in bad.text
    good = browser.post(
        "/admin/users",
        {
            "user_id": "nurse1",
            "display_name": "Nurse",
            "role": "coordinator",
            "site_ids": "S01",
            "password": "Correct-Horse-42!",
        },
    )
    assert good.status_code == 303 and "nurse1" in browser.get("/admin/users").text


def test_a_coordinator_records_an_adverse_event_and_an_investigator_assesses_its_relatedness(
    fresh_site: Site,
) -> None:
    pid = fresh_site.trial.phase2[SITE][0]
    coordinator = fresh_site.browser("coord1")
    form = coordinator.get(f"/participants/{pid}/adverse-events/new").text
    assert 'name="relatedness"' not in form and "assessed by an investigator" in form
    now = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")  # an onset in the past
    event = {"term": "Nausea", "ctcae_grade": "2", "onset_at": now, "investigator_aware_at": now,
             "expectedness": "expected"}
    refused = coordinator.post(f"/participants/{pid}/adverse-events", {**event, "relatedness": "possible"})
    assert refused.status_code == 403
    recorded = coordinator.post(f"/participants/{pid}/adverse-events", event)
    assert recorded.status_code == 303, recorded.text
    rows = fresh_site.session.get("coord1", f"/api/adverse-events?participant_id={pid}").json()["items"]
    (nausea,) = [r for r in rows if r["term"] == "Nausea"]
    assert nausea["relatedness"] == "not_assessed" and not nausea["relatedness_assessed"]
    investigator_form = fresh_site.browser("inv1").get(f"/participants/{pid}/adverse-events/new").text
    assert 'name="relatedness"' in investigator_form
    page = fresh_site.browser("inv1").get(f"/participants/{pid}").text
    assert f'action="/adverse-events/{nausea["adverse_event_id"]}/relatedness"' in page
    assessed = fresh_site.browser("inv1").post(f"/adverse-events/{nausea['adverse_event_id']}/relatedness",
                                               {"relatedness": "unlikely"})
    assert assessed.status_code == 303 and "Relatedness+assessed" in assessed.headers["location"].replace(
        "%20", "+")
    assert coordinator.post(f"/adverse-events/{nausea['adverse_event_id']}/relatedness",
                            {"relatedness": "possible"}).status_code == 403
