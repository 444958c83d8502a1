"""The authorization matrix: every endpoint, called as every role at site S01, as site staff of another site
(S02) and anonymously, is allowed or denied as the role split of ``edc-and-standards.md`` 2.2 (SYS-3:
role-based, site-scoped authority checks on every action), 2.4 (BLD-1: who is unblinded; the DSMB sees
arm-level aggregates only, ICH E9 4.5) and the services' policy documentation say.

Role and site are checked before state: a caller who may not touch the record gets 403/404 even where the
state would refuse the change (409), so nobody learns the state of what they may not touch.

Each endpoint runs on its own copy of the built trial. Denied callers go first and must get 403 (role) or 404
(a record of a site they do not cover: its existence is not revealed); then the allowed callers, the first of
whom must get the endpoint's success status (or the documented state conflict), and the others anything but
401/403/404 (a later call may find the state already changed, 409).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mexards.domain.role import Role
from tests.api.conftest import Session
from tests.api.scenario import PASSWORD, SITE, USERS, Trial, eligible_record

R = Role
ALL = frozenset(Role)
SITE_STAFF = frozenset({R.PRINCIPAL_INVESTIGATOR, R.INVESTIGATOR, R.COORDINATOR})
INVESTIGATORS = frozenset({R.PRINCIPAL_INVESTIGATOR, R.INVESTIGATOR})
UNBLINDED = frozenset({R.PHARMACIST, R.UNBLINDED_STATISTICIAN})
"""Unblinded at the participant level (kit -> arm, a participant's arm, the sealed list)."""
CLOSED_SESSION = frozenset({R.DSMB_MEMBER})
"""Results by arm before database lock (the scenario's database is not locked)."""
SAFETY_READERS = ALL - {R.PHARMACIST}
AUDIT_READERS = frozenset(
    {
        R.ADMINISTRATOR,
        R.MONITOR,
        R.PRINCIPAL_INVESTIGATOR,
        R.INVESTIGATOR,
        R.STATISTICIAN,
        R.UNBLINDED_STATISTICIAN,
    }
)
QUERY_RAISERS = frozenset({R.MONITOR, R.ADMINISTRATOR, R.STATISTICIAN})
ADMIN = frozenset({R.ADMINISTRATOR})

Body = Callable[[Trial, str], Any]


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    roles: frozenset[Role]
    site_bound: bool = False
    """The target belongs to site S01: users of other sites are denied (404/403)."""
    body: Body | None = None
    first: tuple[int, ...] = (200, 201, 204)
    """What the first allowed caller gets (a documented state conflict where the state forbids it)."""
    users: frozenset[str] | None = None
    """Allowed users, where the rule is about the user rather than the role."""

    def url(self, trial: Trial) -> str:
        first = trial.phase2[SITE][0]
        return self.path.format(
            p2=first,
            p2_second=trial.phase2[SITE][1],
            p1=trial.phase1[0],
            p1_b=trial.phase1[1],
            p1_c=trial.phase1[2],
            p1_d=trial.phase1[3],
            p1_e=trial.phase1[4],
            eligible=trial.eligible,
            consented=trial.consented,
            unrandomized=trial.enrolled_unrandomized[SITE],
            ae=trial.adverse_event_id,
            query=trial.query_id,
            closed_query=trial.closed_query_id,
            visit=trial.visit_id,
            adjudication=trial.adjudication_id,
            declaration=trial.declaration_id,
        )

    def allows(self, user_id: str) -> bool:
        spec = USERS[user_id]
        if self.users is not None:
            return user_id in self.users
        if spec.role not in self.roles:
            return False
        return not self.site_bound or spec.role.is_trial_wide or SITE in spec.sites

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _user(_t: Trial, user: str) -> dict[str, Any]:
    return {
        "user_id": f"new-{user}",
        "display_name": "New Person",
        "role": "monitor",
        "site_ids": ["S03"],
        "password": PASSWORD,
    }


ENDPOINTS = [
    Endpoint("GET", "/api/auth/me", ALL),
    Endpoint("GET", "/api/access-log", ALL),
    Endpoint(
        "POST",
        "/api/auth/password",
        ALL,
        body=lambda t, u: {"current_password": PASSWORD, "new_password": "Another-Horse-43!"},
    ),
    Endpoint("DELETE", "/api/auth/token", ALL),
    Endpoint("GET", "/api/users", ADMIN),
    Endpoint("POST", "/api/users", ADMIN, body=_user),
    Endpoint("GET", "/api/users/coord1", ALL, users=frozenset({"admin1", "coord1"})),
    Endpoint("PATCH", "/api/users/coord2", ADMIN, body=lambda t, u: {"reason": "name", "display_name": "C2"}),
    Endpoint("POST", "/api/users/coord2/unlock", ADMIN, body=lambda t, u: {"reason": "helpdesk call"}),
    Endpoint(
        "POST",
        "/api/users/coord2/password",
        ADMIN,
        body=lambda t, u: {"new_password": "Reset-Horse-44!", "reason": "forgotten"},
    ),
    Endpoint("GET", "/api/trial", ALL),
    Endpoint(
        "POST",
        "/api/trial",
        ADMIN,
        body=lambda t, u: {"protocol_id": "NCT04602104", "protocol_version": "2"},
        first=(409,),
    ),
    Endpoint("POST", "/api/trial/status", ADMIN, body=lambda t, u: {"action": "suspend"}, first=(200, 409)),
    Endpoint("POST", "/api/trial/lock", ADMIN, first=(409,)),  # a recruiting trial cannot be locked
    Endpoint("POST", "/api/trial/unlock", ADMIN, body=lambda t, u: {"reason": "correction"}, first=(409,)),
    Endpoint(
        "POST",
        "/api/screenings",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {
            "participant_id": f"NEW-{u}",
            "site_id": SITE,
            "record": eligible_record(screening_at=_now()),
        },
    ),
    Endpoint(
        "POST",
        "/api/screenings/preview",
        SITE_STAFF,
        body=lambda t, u: {"record": eligible_record(screening_at=_now())},
    ),
    Endpoint("GET", "/api/screening-log", ALL),
    Endpoint("GET", "/api/participants", ALL),
    Endpoint("GET", "/api/participants/{p2}", ALL, site_bound=True),
    Endpoint(
        "POST",
        "/api/participants/{eligible}/consent",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"signed_by": "subject", "consent_version": "v2.0", "consented_at": _now()},
    ),
    Endpoint("POST", "/api/participants/{consented}/enrolment", SITE_STAFF, site_bound=True),
    Endpoint("POST", "/api/participants/{p1}/follow-up", SITE_STAFF, site_bound=True),
    Endpoint(
        "POST",
        "/api/participants/{p1_b}/withdrawal",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"reason": "consent withdrawn"},
    ),
    Endpoint(
        "POST",
        "/api/participants/{p1_c}/death",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"died_on": date.today().isoformat()},
    ),
    Endpoint("POST", "/api/participants/{p1_d}/completion", SITE_STAFF, site_bound=True, first=(409,)),
    Endpoint("POST", "/api/participants/{p1_e}/lost-to-follow-up", SITE_STAFF, site_bound=True),
    Endpoint("GET", "/api/escalation", ALL),
    Endpoint("GET", "/api/cohorts", ALL),
    Endpoint("POST", "/api/cohorts", INVESTIGATORS, body=lambda t, u: {}, first=(409,)),
    # in Phase 2 the phase refuses the assignment, but only after the role and the participant's site
    Endpoint(
        "POST",
        "/api/cohorts/3/participants",
        INVESTIGATORS,
        site_bound=True,
        body=lambda t, u: {"participant_id": t.enrolled_unrandomized[SITE]},
        first=(409,),
    ),
    Endpoint("POST", "/api/cohorts/3/closure", INVESTIGATORS, first=(409,)),
    Endpoint("POST", "/api/cohorts/3/review", INVESTIGATORS, first=(409,)),
    Endpoint("GET", "/api/dlt-adjudications", ALL),
    Endpoint(
        "POST",
        "/api/participants/{p1}/dlt-proposal",
        SITE_STAFF | {R.STATISTICIAN},
        site_bound=True,
        body=lambda t, u: {"events": []},
        first=(409,),
    ),
    Endpoint(
        "POST",
        "/api/dlt-adjudications/{adjudication}",
        INVESTIGATORS,
        site_bound=True,
        body=lambda t, u: {"is_dlt": False, "evaluable": True},
        first=(200, 409),
    ),
    Endpoint("GET", "/api/mtd-declarations", ALL),
    Endpoint(
        "POST",
        "/api/mtd-declarations",
        frozenset({R.STATISTICIAN}),
        body=lambda t, u: {"rationale": "again", "password": PASSWORD},
        first=(409,),
    ),
    Endpoint(
        "POST",
        "/api/mtd-declarations/{declaration}/approval",
        frozenset({R.PRINCIPAL_INVESTIGATOR}),
        body=lambda t, u: {"password": PASSWORD},
        first=(403, 409),
    ),
    Endpoint(
        "POST",
        "/api/allocation-list",
        frozenset({R.UNBLINDED_STATISTICIAN, R.ADMINISTRATOR}),
        body=lambda t, u: {"slots_per_stratum": 6},
        first=(409,),
    ),
    Endpoint(
        "POST",
        "/api/allocation-list/verification",
        frozenset({R.ADMINISTRATOR, R.UNBLINDED_STATISTICIAN, R.STATISTICIAN}),
    ),
    Endpoint("GET", "/api/allocation-list/status", UNBLINDED),
    Endpoint(
        "POST",
        "/api/participants/{unrandomized}/randomization",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {},
    ),
    Endpoint("GET", "/api/participants/{p2}/allocation", UNBLINDED, site_bound=True),
    Endpoint("GET", "/api/kits", UNBLINDED),
    Endpoint(
        "POST",
        "/api/participants/{p2}/emergency-unblinding",
        INVESTIGATORS,
        site_bound=True,
        body=lambda t, u: {"reason": "anaphylaxis: treatment depends on the product", "password": PASSWORD},
    ),
    Endpoint("GET", "/api/participants/{p2}/administrations", ALL, site_bound=True),
    Endpoint(
        "POST",
        "/api/participants/{p2}/administrations",
        SITE_STAFF | {R.PHARMACIST},
        site_bound=True,
        body=lambda t, u: {
            "study_day": 3,
            "started_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "volume_ml": "3",
            "device": "Aerogen Solo",
            "spo2_pre_percent": 92,
            "spo2_post_percent": 93,
            "tolerance": "tolerated",
        },
    ),
    Endpoint("GET", "/api/participants/{p2}/visits", ALL, site_bound=True),
    Endpoint("POST", "/api/participants/{p2}/visits", SITE_STAFF, site_bound=True, first=(201, 409)),
    Endpoint(
        "POST",
        "/api/visits/{visit}",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"actual_date": date.today().isoformat()},
        first=(200, 422),
    ),
    Endpoint(
        "POST",
        "/api/visits/{visit}/missed",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"reason": "patient transferred"},
    ),
    Endpoint("GET", "/api/forms", ALL),
    Endpoint("GET", "/api/forms/blood_gas", ALL),
    Endpoint("GET", "/api/participants/{p2}/crfs", ALL, site_bound=True),
    Endpoint("GET", "/api/participants/{p2}/crfs/blood_gas/d1", ALL, site_bound=True),
    Endpoint(
        "PUT",
        "/api/participants/{p2}/crfs/sofa/d1",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"values": {"assessed_on": date.today().isoformat(), "gcs": 14 - len(u) % 3}},
    ),
    Endpoint("GET", "/api/adverse-events", SAFETY_READERS),
    Endpoint(
        "POST",
        "/api/participants/{p2}/adverse-events",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {
            "term": "Cough",
            "ctcae_grade": 1,
            "onset_at": _now(),
            "investigator_aware_at": _now(),
            "expectedness": "expected",
        },
    ),
    Endpoint(
        "POST",
        "/api/adverse-events/{ae}/relatedness",
        INVESTIGATORS,
        site_bound=True,
        body=lambda t, u: {"relatedness": "probable", "reason": f"reviewed by {u}"},
    ),
    Endpoint(
        "POST",
        "/api/adverse-events/{ae}/reports",
        INVESTIGATORS | ADMIN,
        site_bound=True,
        body=lambda t, u: {"report": "sponsor", "reported_at": _now()},
        first=(200, 409),
    ),
    Endpoint(
        "POST",
        "/api/adverse-events/{ae}/resolution",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"resolved_at": _now()},
    ),
    Endpoint("GET", "/api/sae-reports/overdue", SAFETY_READERS),
    Endpoint("GET", "/api/queries", ALL),
    Endpoint(
        "POST",
        "/api/queries",
        QUERY_RAISERS,
        site_bound=True,
        body=lambda t, u: {
            "participant_id": t.phase2[SITE][1],
            "field_path": "demographics.weight_kg",
            "text": "Weight missing",
        },
    ),
    Endpoint(
        "POST",
        "/api/queries/{query}/answer",
        SITE_STAFF,
        site_bound=True,
        body=lambda t, u: {"answer": "Confirmed against the source"},
    ),
    Endpoint("POST", "/api/queries/{query}/closure", QUERY_RAISERS, site_bound=True, body=lambda t, u: {}),
    Endpoint(
        "POST",
        "/api/queries/{closed_query}/reopening",
        QUERY_RAISERS,
        site_bound=True,
        body=lambda t, u: {"reason": "still unclear"},
    ),
    Endpoint("GET", "/api/notifications", ALL),
    Endpoint("GET", "/api/unblindings", SAFETY_READERS),
    Endpoint("GET", "/api/audit", AUDIT_READERS),
    Endpoint("GET", "/api/reports/audit.csv", AUDIT_READERS),
    Endpoint("GET", "/api/reports/consort", ALL),
    Endpoint("GET", "/api/reports/results-by-arm", CLOSED_SESSION),
    Endpoint("GET", "/api/reports/participants.csv", ALL),
    Endpoint("GET", "/api/reports/screening-log.csv", ALL),
    Endpoint("GET", "/api/reports/adverse-events.csv", SAFETY_READERS),
]


PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/token")}
"""Answered without a login (tested in test_authentication)."""


def test_the_matrix_covers_every_operation_of_the_openapi_document(shared: Session) -> None:
    paths = shared.client.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item} - PUBLIC

    def covers(endpoint: Endpoint, method: str, template: str) -> bool:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        return (
            endpoint.method == method
            and re.fullmatch(pattern, re.sub(r"\{[^}]+\}", "X", endpoint.path)) is not None
        )

    missing = sorted(f"{m} {p}" for m, p in documented if not any(covers(e, m, p) for e in ENDPOINTS))
    assert not missing, f"endpoints without an authorization row: {missing}"


def test_the_health_endpoint_answers_without_login(shared: Session) -> None:
    reply = shared.client.get("/api/health")
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_role_and_site_is_allowed_or_denied_as_the_role_split_says(
    endpoint: Endpoint, fresh: Session
) -> None:
    url = endpoint.url(fresh.trial)
    anonymous = fresh.client.request(
        endpoint.method, url, json=endpoint.body(fresh.trial, "anonymous") if endpoint.body else None
    )
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    users = sorted(USERS, key=lambda u: (endpoint.allows(u), u))
    for user in users:
        fresh.token(user)
    first_allowed = True
    for user in users:
        body = endpoint.body(fresh.trial, user) if endpoint.body else None
        reply = fresh.call(user, endpoint.method, url, body)
        if endpoint.allows(user):
            if first_allowed:
                assert reply.status_code in endpoint.first, f"{user}: {reply.status_code} {reply.text}"
                first_allowed = False
            else:
                assert reply.status_code not in (401, 403, 404), f"{user}: {reply.status_code} {reply.text}"
        else:
            assert reply.status_code in (403, 404), (
                f"{user} should be denied: {reply.status_code} {reply.text}"
            )
            assert reply.headers["content-type"].startswith("application/problem+json")
