"""The staff pages: portfolio handovers (/portfolio-transfers, the customer list's bulk
action) and manager scorecards (/scorecards): who sees what, maker-checker on the page,
errors next to the fields, CSRF refusals and junk input."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bankcrm.customers.models import Customer
from bankcrm.kit.errors import Conflict, Forbidden
from bankcrm.security.models import User
from bankcrm.security.principal import Principal
from bankcrm.security.roles import Role
from bankcrm.staff import choices, portfolio, scorecard
from bankcrm.staff.models import ChurnWatch, PortfolioTransfer
from bankcrm.staff.scorecard_views import last_quarter
from tests import records
from tests.integration.web.conftest import Bank
from tests.integration.web.test_pages import log_in

NOTE = "Anna moves to corporate banking; customers briefed by phone."
HX = {"HX-Request": "true"}
OTHER_ROLES = ["service_agent", "product_manager", "executive", "analyst", "auditor", "admin"]


def _transfers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PortfolioTransfer)) or 0


def _manager_of(session: Session, customer: Customer) -> int | None:
    session.expire_all()
    return session.scalar(select(Customer.manager_id).where(Customer.id == customer.id))


def _bulk(bank: Bank, token: str, **changes: object) -> dict[str, object]:
    return {
        "csrf_token": token,
        "origin": "list",
        "to_manager_id": str(bank.boris.id),
        "customer_ids": [str(bank.anna_customer.id)],
        "handover_note": NOTE,
        **changes,
    }


def _second_checker(session: Session, bank: Bank) -> User:
    user = records.user(session, "branch_manager", branch=bank.north)
    session.commit()
    return user


def _propose_as_anna(client: TestClient, bank: Bank) -> int:
    token = log_in(client, bank.users["account_manager"].username)
    answer = client.post("/portfolio-transfers", data=_bulk(bank, token), headers=HX)
    assert answer.status_code == 200, answer.text
    target = answer.headers["hx-redirect"]
    found = re.fullmatch(r"/portfolio-transfers/(\d+)\?notice=proposed", target)
    assert found is not None
    client.cookies.clear()
    return int(found.group(1))


# --- who may use the pages ------------------------------------------------------------------


def test_strangers_go_to_the_login_form(client: TestClient) -> None:
    for path in ("/portfolio-transfers", "/portfolio-transfers/1", "/scorecards"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_the_refusal_page_and_no_checkboxes(
    client: TestClient, bank: Bank, role: str
) -> None:
    token = log_in(client, bank.users[role].username)
    for path in ("/portfolio-transfers", "/portfolio-transfers/1", "/scorecards"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "Something went wrong" in page.text
    posted = client.post("/portfolio-transfers", data=_bulk(bank, token))
    assert posted.status_code == 403
    customers = client.get("/customers")
    assert 'data-testid="select-customer"' not in customers.text
    assert 'data-testid="bulk-panel"' not in customers.text


def test_account_manager_gets_a_checkbox_per_own_customer_and_the_bulk_form(
    client: TestClient, bank: Bank, session: Session
) -> None:
    inactive = records.staff(session, bank.north, active=False)
    session.commit()
    log_in(client, bank.users["account_manager"].username)
    html = client.get("/customers").text
    boxes = re.findall(r'name="customer_ids" value="(\d+)"', html)
    assert boxes == [str(bank.anna_customer.id)]
    assert "data-select-all" in html and "js/handover.js" in html
    panel = html[html.index('id="bulk-panel"') :]
    receivers = re.findall(r'<option value="(\d+)"', panel)
    assert receivers == [str(bank.boris.id)]  # not Anna herself, nor South, nor inactive
    assert str(inactive.id) not in receivers
    assert 'name="from_manager_id"' not in panel  # she gives her own customers only
    assert f">{bank.anna.first_name} {bank.anna.last_name}<" in html  # the manager column


def test_branch_manager_chooses_the_giving_manager_too(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["branch_manager"].username)
    html = client.get("/customers").text
    boxes = set(re.findall(r'name="customer_ids" value="(\d+)"', html))
    assert boxes == {str(bank.anna_customer.id), str(bank.boris_customer.id)}
    givers = re.search(r'name="from_manager_id"[^>]*>(.*?)</select>', html, re.S)
    assert givers is not None
    assert set(re.findall(r'value="(\d+)"', givers.group(1))) == {
        str(bank.anna.id),
        str(bank.boris.id),
    }


# --- proposing ------------------------------------------------------------------------------


def test_bulk_proposal_then_the_checker_approves_and_the_watch_shows(
    client: TestClient, bank: Bank, session: Session
) -> None:
    transfer_id = _propose_as_anna(client, bank)
    assert _manager_of(session, bank.anna_customer) == bank.anna.id  # nothing moved yet

    log_in(client, bank.users["account_manager"].username)
    page = client.get(f"/portfolio-transfers/{transfer_id}?notice=proposed")
    assert page.status_code == 200
    assert 'data-testid="approve"' not in page.text  # the maker is no checker
    assert 'data-testid="waiting"' in page.text
    assert "The handover is proposed." in page.text
    assert bank.anna_customer.customer_no in page.text and NOTE in page.text
    listed = client.get("/portfolio-transfers").text
    assert f'data-transfer-id="{transfer_id}" data-status="pending"' in listed
    client.cookies.clear()

    token = log_in(client, bank.users["branch_manager"].username)
    page = client.get(f"/portfolio-transfers/{transfer_id}")
    assert 'data-testid="approve"' in page.text and 'data-testid="reject"' in page.text
    decided = client.post(
        f"/portfolio-transfers/{transfer_id}/decision",
        data={"csrf_token": token, "decision": "approve", "note": "agreed"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/portfolio-transfers/{transfer_id}?notice=approved"
    assert _manager_of(session, bank.anna_customer) == bank.boris.id
    page = client.get(decided.headers["location"])
    assert "The handover is approved" in page.text
    assert 'data-testid="approve"' not in page.text
    watch = re.search(r'data-testid="watch">(.*?)</table>', page.text, re.S)
    assert watch is not None and bank.anna_customer.last_name in watch.group(1)
    assert "agreed" in page.text
    customers = client.get("/customers").text
    row = re.search(rf'data-customer-id="{bank.anna_customer.id}">(.*?)</tr>', customers, re.S)
    assert row is not None
    assert f"{bank.boris.first_name} {bank.boris.last_name}" in row.group(1)


def test_bulk_form_errors_come_back_next_to_the_fields_and_nothing_is_written(
    client: TestClient, bank: Bank, session: Session
) -> None:
    token = log_in(client, bank.users["account_manager"].username)
    cases: list[tuple[dict[str, object], str, str]] = [
        ({"customer_ids": []}, "customer_ids", "Select at least one customer."),
        ({"to_manager_id": ""}, "to_manager_id", "This field is required."),
        ({"to_manager_id": str(bank.carla.id)}, "to_manager_id", "Choose one of the options."),
        ({"to_manager_id": "x'"}, "to_manager_id", "Choose one of the options."),
        ({"handover_note": "short"}, "handover_note", "Too short: at least 10 characters."),
        ({"handover_note": "x" * 10_001}, "handover_note", "Too long: at most 10000"),
        ({"customer_ids": ["abc"]}, "customer_ids", "This value is not accepted."),
        (
            {"customer_ids": [str(bank.boris_customer.id)]},
            "customer_ids",
            "Some of these customers are not the giving manager&#39;s",
        ),
    ]
    for changes, field, message in cases:
        answer = client.post("/portfolio-transfers", data=_bulk(bank, token, **changes), headers=HX)
        assert answer.status_code == 200, (changes, answer.text)
        assert "hx-redirect" not in answer.headers
        html = answer.text
        assert html.lstrip().startswith('<fieldset id="bulk-panel"'), html[:200]
        error = re.search(rf'data-testid="error-{field}">([^<]*)<', html)
        assert error is not None and message in error.group(1), (changes, html)
    assert _transfers(session) == 0


def test_without_javascript_a_refused_bulk_form_opens_the_proposal_form(
    client: TestClient, bank: Bank, session: Session
) -> None:
    token = log_in(client, bank.users["account_manager"].username)
    answer = client.post("/portfolio-transfers", data=_bulk(bank, token, handover_note=""))
    assert answer.status_code == 200
    html = answer.text
    assert 'data-testid="propose-form"' in html
    assert f'name="customer_ids" value="{bank.anna_customer.id}"' in html  # kept
    assert "Customers selected on the customer list: 1." in html
    assert 'data-testid="error-handover_note">This field is required.' in html
    assert _transfers(session) == 0


def test_the_proposal_form_of_the_page_moves_a_filtered_portfolio(
    client: TestClient, bank: Bank, session: Session
) -> None:
    gold = records.customer(session, bank.north, bank.boris)
    records.score(session, gold, date(2026, 9, 30), tier="gold")
    session.commit()
    token = log_in(client, bank.users["branch_manager"].username)
    form = {
        "csrf_token": token,
        "origin": "page",
        "from_manager_id": str(bank.boris.id),
        "to_manager_id": str(bank.anna.id),
        "tier": "gold",
        "handover_note": NOTE,
    }
    refused = client.post("/portfolio-transfers", data={**form, "tier": "platinum"}, headers=HX)
    assert 'data-testid="error-tier">Choose one of the options.' in refused.text
    assert refused.text.lstrip().startswith('<form id="propose"')
    none_match = client.post("/portfolio-transfers", data={**form, "band": "top"}, headers=HX)
    assert "No customer of the giving manager matches" in none_match.text
    assert _transfers(session) == 0
    answer = client.post("/portfolio-transfers", data=form, follow_redirects=False)
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert gold.customer_no in page.text and bank.boris_customer.customer_no not in page.text


def test_form_posts_without_the_csrf_token_are_refused(
    client: TestClient, bank: Bank, session: Session
) -> None:
    transfer_id = _propose_as_anna(client, bank)
    token = log_in(client, bank.users["branch_manager"].username)
    for wrong in ("", "not-the-token"):
        posted = client.post("/portfolio-transfers", data=_bulk(bank, token, csrf_token=wrong))
        assert posted.status_code == 403 and "The form had expired" in posted.text
        decided = client.post(
            f"/portfolio-transfers/{transfer_id}/decision",
            data={"csrf_token": wrong, "decision": "approve"},
        )
        assert decided.status_code == 403 and "The form had expired" in decided.text
    assert _transfers(session) == 1
    assert _manager_of(session, bank.anna_customer) == bank.anna.id


# --- deciding -------------------------------------------------------------------------------


def test_the_proposer_is_offered_no_decision_and_a_forced_one_is_refused_cleanly(
    client: TestClient, bank: Bank, session: Session
) -> None:
    token = log_in(client, bank.users["branch_manager"].username)
    form = {
        "csrf_token": token,
        "origin": "page",
        "from_manager_id": str(bank.boris.id),
        "to_manager_id": str(bank.anna.id),
        "handover_note": NOTE,
    }
    answer = client.post("/portfolio-transfers", data=form, follow_redirects=False)
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    transfer_id = int(re.findall(r"\d+", answer.headers["location"])[0])
    assert 'data-testid="approve"' not in page.text and 'data-testid="waiting"' in page.text
    forced = client.post(
        f"/portfolio-transfers/{transfer_id}/decision",
        data={"csrf_token": token, "decision": "approve"},
    )
    assert forced.status_code == 403
    assert "never the one who proposed it" in forced.text
    assert 'data-testid="approve"' not in forced.text
    assert _manager_of(session, bank.boris_customer) == bank.boris.id
    client.cookies.clear()

    other = _second_checker(session, bank)
    token = log_in(client, other.username)
    approved = client.post(
        f"/portfolio-transfers/{transfer_id}/decision",
        data={"csrf_token": token, "decision": "approve"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert _manager_of(session, bank.boris_customer) == bank.anna.id
    again = client.post(
        f"/portfolio-transfers/{transfer_id}/decision",
        data={"csrf_token": token, "decision": "reject", "note": "changed my mind"},
    )
    assert again.status_code == 409 and "already decided" in again.text
    watches = session.scalar(select(func.count()).select_from(ChurnWatch))
    assert watches == 1


def test_a_rejection_needs_its_reason(client: TestClient, bank: Bank, session: Session) -> None:
    transfer_id = _propose_as_anna(client, bank)
    token = log_in(client, bank.users["branch_manager"].username)
    url = f"/portfolio-transfers/{transfer_id}/decision"
    empty = client.post(url, data={"csrf_token": token, "decision": "reject", "note": " "})
    assert empty.status_code == 200
    assert 'data-testid="error-note">Give the reason for the rejection.' in empty.text
    long = client.post(url, data={"csrf_token": token, "decision": "reject", "note": "x" * 501})
    assert 'data-testid="error-note">Too long: at most 500' in long.text
    junk = client.post(url, data={"csrf_token": token, "decision": "maybe"})
    assert 'data-testid="error-form">Choose one of the options.' in junk.text
    session.expire_all()
    assert session.get(PortfolioTransfer, transfer_id).status == "pending"  # type: ignore[union-attr]
    done = client.post(
        url,
        data={"csrf_token": token, "decision": "reject", "note": "Boris is on leave"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "The handover is rejected." in page.text and "Boris is on leave" in page.text
    assert 'data-testid="watch"' not in page.text
    assert _manager_of(session, bank.anna_customer) == bank.anna.id


def test_an_account_manager_forcing_a_decision_is_refused(
    client: TestClient, bank: Bank, session: Session
) -> None:
    transfer_id = _propose_as_anna(client, bank)
    token = log_in(client, bank.users["account_manager"].username)
    forced = client.post(
        f"/portfolio-transfers/{transfer_id}/decision",
        data={"csrf_token": token, "decision": "approve"},
    )
    assert forced.status_code == 403 and "never the one who proposed it" in forced.text
    assert _manager_of(session, bank.anna_customer) == bank.anna.id


# --- the list and junk input -----------------------------------------------------------------


def test_the_list_shows_pending_first_with_names_and_counts(
    client: TestClient, bank: Bank, session: Session
) -> None:
    proposer = bank.users["account_manager"]
    older_pending = records.portfolio_transfer(
        session, proposer, bank.anna, bank.boris, [bank.anna_customer]
    )
    newer_approved = records.portfolio_transfer(
        session, proposer, bank.boris, bank.anna, [bank.boris_customer], datetime(2026, 2, 1)
    )
    south = records.portfolio_transfer(
        session, bank.users["account_manager_2"], bank.carla, bank.carla, [bank.south_customer]
    )
    session.commit()
    log_in(client, bank.users["branch_manager"].username)
    html = client.get("/portfolio-transfers").text
    shown = re.findall(r'data-transfer-id="(\d+)"', html)
    assert shown == [str(older_pending.id), str(newer_approved.id)]  # pending first
    assert str(south.id) not in shown
    row = re.search(rf'data-transfer-id="{older_pending.id}".*?</tr>', html, re.S)
    assert row is not None
    assert f"{bank.anna.first_name} {bank.anna.last_name}" in row.group(0)
    assert proposer.username in row.group(0) and "Waiting for a decision" in row.group(0)
    only = client.get("/portfolio-transfers?status=approved").text
    assert re.findall(r'data-transfer-id="(\d+)"', only) == [str(newer_approved.id)]


def test_junk_parameters_and_ids_get_pages_not_errors(
    client: TestClient, bank: Bank, session: Session
) -> None:
    transfer_id = _propose_as_anna(client, bank)
    token = log_in(client, bank.users["account_manager_2"].username)  # South
    assert client.get(f"/portfolio-transfers/{transfer_id}").status_code == 404
    for path in ("/portfolio-transfers/999999", "/portfolio-transfers/abc",
                 "/portfolio-transfers/0", "/portfolio-transfers/99999999999"):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 404, path
        assert "does not exist or is not in your scope" in page.text
    decided = client.post(
        "/portfolio-transfers/abc/decision", data={"csrf_token": token, "decision": "approve"}
    )
    assert decided.status_code == 404
    page = client.get("/portfolio-transfers?status=shoe&page=zero")
    assert page.status_code == 200
    assert len(re.findall(r'data-testid="problem"', page.text)) == 2
    far = client.get("/portfolio-transfers?page=50")
    assert far.status_code == 200 and "no such page" not in far.text  # nothing to page
    nul = client.post(
        "/portfolio-transfers",
        data={"csrf_token": token, "origin": "page", "to_manager_id": "1", "region": "\x00"},
    )
    assert nul.status_code == 200


def test_the_api_keeps_its_newest_first_order(
    client: TestClient, bank: Bank, session: Session, login: object
) -> None:
    proposer = bank.users["account_manager"]
    first = records.portfolio_transfer(session, proposer, bank.anna, bank.boris, [])
    second = records.portfolio_transfer(
        session, proposer, bank.anna, bank.boris, [], datetime(2026, 2, 1)
    )
    session.commit()
    headers = login(bank.users["branch_manager"])  # type: ignore[operator]
    body = client.get("/api/v1/portfolio-transfers", headers=headers).json()
    assert [t["id"] for t in body["items"]] == [second.id, first.id]


# --- scorecards -----------------------------------------------------------------------------


def test_an_account_manager_sees_their_own_scorecard_for_the_last_quarter(
    client: TestClient, bank: Bank
) -> None:
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/scorecards")
    assert page.status_code == 200
    html = page.text
    first, last = last_quarter(date.today())
    assert f'name="from" value="{first.isoformat()}"' in html
    assert f'name="to" value="{last.isoformat()}"' in html
    cards = re.findall(r'data-testid="scorecard" data-staff-id="(\d+)"', html)
    assert cards == [str(bank.anna.id)]
    assert bank.boris.last_name not in html
    assert "Retention" in html and "Sales (holdings opened)" in html
    assert "Referrals made" in html and "Referrals converted" in html  # shown, weight 0
    weights = re.search(r'data-testid="weights">(.*?)</ul>', html, re.S)
    assert weights is not None and "<strong>25</strong>" in weights.group(1)
    data = re.search(r'<script type="application/json" id="scorecards-data">(.*?)</script>', html)
    assert data is not None
    chart = json.loads(data.group(1))
    assert len(chart["measures"]) == 9 and len(chart["cards"]) == 1
    assert "<script>" not in html and "js/scorecards.js" in html


def test_a_branch_manager_sees_the_branchs_managers_ranked(
    client: TestClient, bank: Bank, session: Session
) -> None:
    product = records.product(session, "mortgage")
    records.holding(session, bank.boris_customer, product, opened_on=date(2026, 2, 1))
    session.commit()
    log_in(client, bank.users["branch_manager"].username)
    html = client.get("/scorecards?from=2026-01-01&to=2026-06-30").text
    cards = re.findall(r'data-testid="scorecard" data-staff-id="(\d+)"', html)
    assert sorted(cards) == sorted([str(bank.anna.id), str(bank.boris.id)])
    assert bank.carla.last_name not in html
    ranking = re.search(r'data-testid="ranking">(.*?)</table>', html, re.S)
    assert ranking is not None
    assert 'data-chart="ranking"' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-06-30&to=2026-01-01", "to", "The period ends before it starts."),
        ("from=yesterday&to=2026-01-01", "from", "Enter a date."),
        ("from=2026-01-01&to=2026-13-45", "to", "Enter a date."),
        ("from=2020-01-01&to=2026-01-01", "to", "Choose a period of at most three years."),
        ("from=9999-12-30&to=9999-12-31", "to", "Choose an earlier date."),
    ],
)
def test_a_bad_period_is_explained_next_to_its_field(
    client: TestClient, bank: Bank, query: str, field: str, message: str
) -> None:
    log_in(client, bank.users["branch_manager"].username)
    page = client.get(f"/scorecards?{query}")
    assert page.status_code == 200
    error = re.search(rf'data-testid="error-{field}">([^<]*)<', page.text)
    assert error is not None and error.group(1) == message
    assert 'data-testid="scorecard"' not in page.text


def test_pages_speak_chinese(client: TestClient, bank: Bank) -> None:
    log_in(client, bank.users["branch_manager"].username)
    client.cookies.set("bankcrm_lang", "zh_Hans")
    for path in ("/portfolio-transfers", "/scorecards"):
        html = client.get(path).text
        assert 'lang="zh-Hans"' in html
        assert "Portfolio handovers" not in html and "Manager scorecards" not in html


# --- what the service gained for the pages --------------------------------------------------


def _principal(user: User) -> Principal:
    return Principal(
        actor=user.username,
        role=Role(user.role),
        user_id=user.id,
        branch_id=user.branch_id,
        staff_id=user.staff_id,
    )


def test_may_decide_answers_as_decide_would(session: Session, bank: Bank) -> None:
    anna, checker = bank.users["account_manager"], bank.users["branch_manager"]
    pending = records.portfolio_transfer(session, anna, bank.anna, bank.boris, [])
    own = records.portfolio_transfer(session, checker, bank.boris, bank.anna, [])
    decided = records.portfolio_transfer(
        session, anna, bank.anna, bank.boris, [], datetime(2026, 2, 1)
    )
    south_checker = records.user(session, "branch_manager", branch=bank.south)
    session.commit()
    assert portfolio.may_decide(session, _principal(checker), pending.id)
    assert not portfolio.may_decide(session, _principal(checker), own.id)  # the proposer
    assert not portfolio.may_decide(session, _principal(checker), decided.id)
    assert not portfolio.may_decide(session, _principal(anna), pending.id)
    assert not portfolio.may_decide(session, _principal(south_checker), pending.id)
    assert not portfolio.may_decide(session, _principal(checker), 999_999)
    for transfer in (own, decided):
        with pytest.raises((Forbidden, Conflict)):
            portfolio.decide(session, _principal(checker), transfer.id, True, None)


def test_handover_choices_per_role(session: Session, bank: Bank) -> None:
    records.staff(session, bank.north, active=False)
    records.staff(session, bank.north, role="service_agent")
    session.commit()
    anna = choices.handover_choices(session, _principal(bank.users["account_manager"]))
    assert anna is not None and anna.fixed_giver is not None
    assert anna.giver_ids() == {bank.anna.id} and anna.receiver_ids() == {bank.boris.id}
    checker = choices.handover_choices(session, _principal(bank.users["branch_manager"]))
    assert checker is not None and checker.fixed_giver is None
    assert checker.giver_ids() == checker.receiver_ids() == {bank.anna.id, bank.boris.id}
    for role in OTHER_ROLES:
        assert choices.handover_choices(session, _principal(bank.users[role])) is None
        with pytest.raises(Forbidden):
            scorecard.require_access(_principal(bank.users[role]))


def test_last_quarter() -> None:
    assert last_quarter(date(2026, 11, 26)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last_quarter(date(2026, 1, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert last_quarter(date(2026, 6, 30)) == (date(2026, 1, 1), date(2026, 3, 31))
