"""The duplicate pages: the list, a pair side by side with its forms, the merges page
with maker-checker decisions; errors next to the field, refusals in words, junk input."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankcrm.duplicates.models import RecordMerge
from tests.integration.web.conftest import Bank
from tests.integration.web.duplicate_pairs import Pairs, pairs_fixture  # noqa: F401 (fixture)
from tests.integration.web.test_pages import log_in


def _merge_id(session: Session) -> int:
    session.expire_all()
    return session.scalars(select(RecordMerge.id)).one()


def test_list_and_pair_pages_show_scores_and_matched_fields(
    client: TestClient, bank: Bank, pairs: Pairs
) -> None:
    log_in(client, bank.users["account_manager"].username)
    page = client.get("/duplicates")
    assert page.status_code == 200
    assert f'data-candidate-id="{pairs.customers}"' in page.text
    assert "National id · exact" in page.text
    pair = client.get(f"/duplicates/{pairs.customers}")
    assert pair.status_code == 200
    assert pairs.twin.customer_no in pair.text and 'data-testid="propose"' in pair.text
    assert client.get("/duplicates/999999").status_code == 404
    assert client.get("/duplicates/junk").status_code == 404
    assert client.get("/duplicates?page=0").status_code == 404
    assert client.get("/duplicates?status=nonsense").status_code == 404


def test_roles_without_customer_records_get_a_403_page(
    client: TestClient, bank: Bank, pairs: Pairs
) -> None:
    log_in(client, bank.users["analyst"].username)
    assert client.get("/duplicates").status_code == 403
    assert client.get("/merges").status_code == 403
    assert client.get(f"/duplicates/{pairs.customers}").status_code == 403


def test_propose_on_the_page_then_the_branch_manager_approves_and_may_reverse(
    client: TestClient, bank: Bank, pairs: Pairs, session: Session
) -> None:
    token = log_in(client, bank.users["account_manager"].username)
    url = f"/duplicates/{pairs.customers}/action"
    empty = client.post(url, data={"csrf_token": token, "action": "merge", "version": "1"})
    assert empty.status_code == 200 and 'data-testid="error-reason"' in empty.text
    forged = client.post(url, data={"csrf_token": "nope", "action": "merge"})
    assert forged.status_code == 403
    data = {"csrf_token": token, "action": "merge", "version": "1", "reason": "same person"}
    done = client.post(url, data=data, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("notice=proposed")
    merge_id = _merge_id(session)
    # The maker sees the proposal but no decision form.
    merges = client.get("/merges")
    assert f'data-testid="not-yours-{merge_id}"' in merges.text
    client.post("/logout", data={"csrf_token": token})

    token = log_in(client, bank.users["branch_manager"].username)
    merges = client.get("/merges")
    assert f'data-testid="approve-{merge_id}"' in merges.text
    decide = f"/merges/{merge_id}/decision"
    no_note = client.post(decide, data={"csrf_token": token, "decision": "reject", "version": "1"})
    assert no_note.status_code == 200 and f'data-testid="error-{merge_id}"' in no_note.text
    approved = client.post(
        decide,
        data={"csrf_token": token, "decision": "approve", "version": "1"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    customer = client.get(f"/customers/{bank.anna_customer.id}")
    assert (
        pairs.twin.customer_no in customer.text and 'data-testid="linked-records"' in customer.text
    )
    version = re.search(
        rf'data-testid="decide-{merge_id}".*?name="version" value="(\d+)"',
        client.get("/merges").text,
        re.S,
    )
    assert version is not None
    reversed_ = client.post(
        decide,
        data={
            "csrf_token": token,
            "decision": "reverse",
            "version": version.group(1),
            "note": "two people",
        },
        follow_redirects=False,
    )
    assert reversed_.status_code == 303
    assert "linked-records" not in client.get(f"/customers/{bank.anna_customer.id}").text
