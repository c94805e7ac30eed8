"""The stage rules and the probability settings, one rule at a time."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bankcrm.config import Settings
from bankcrm.opportunities import stages
from bankcrm.opportunities.stages import refuse_move, refuse_reopen

LOAN, ACCOUNT = "mortgage", "current_account"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("identified", "needs_analysis"),
        ("identified", "proposal"),  # forward several steps
        ("proposal", "credit_review"),
        ("credit_review", "approved"),
        ("approved", "won"),
        ("needs_analysis", "lost"),
    ],
)
def test_lending_moves_allowed(current: str, target: str) -> None:
    assert refuse_move(current, target, LOAN, None, "price") is None


@pytest.mark.parametrize(
    ("current", "target", "field"),
    [
        ("proposal", "won", "stage"),  # a loan is won only once approved
        ("proposal", "approved", "stage"),  # ... and approved only after credit review
        ("identified", "identified", "stage"),
        ("won", "proposal", "stage"),  # final
        ("lost", "identified", "stage"),
        ("proposal", "lost", "lost_reason"),  # lost needs a reason
        ("proposal", "identified", "note"),  # back needs a note
        ("proposal", "nonsense", "stage"),
    ],
)
def test_lending_moves_refused(current: str, target: str, field: str) -> None:
    refused = refuse_move(current, target, LOAN, None, None)
    assert refused is not None and refused.field == field


def test_back_with_a_note_is_allowed() -> None:
    assert (
        refuse_move("approved", "needs_analysis", LOAN, "customer changed the amount", None) is None
    )


def test_credit_review_is_for_lending_products_only() -> None:
    refused = refuse_move("proposal", "credit_review", ACCOUNT, None, None)
    assert refused is not None and refused.field == "stage"
    assert stages.path(ACCOUNT) == ("identified", "needs_analysis", "proposal", "approved")
    assert refuse_move("identified", "won", ACCOUNT, None, None) is None
    assert refuse_move("proposal", "approved", ACCOUNT, None, None) is None


def test_reopen_needs_an_open_stage_of_the_product_and_a_note() -> None:
    assert refuse_reopen("won", "approved", LOAN, "signed by mistake") is None
    assert refuse_reopen("lost", "credit_review", ACCOUNT, "x") is not None
    missing = refuse_reopen("lost", "proposal", ACCOUNT, None)
    assert missing is not None and missing.field == "note"
    assert refuse_reopen("proposal", "identified", ACCOUNT, "x") is not None


def test_probabilities_default_and_override() -> None:
    assert Settings().opportunity_probabilities == stages.DEFAULT_PROBABILITIES
    chosen = Settings(opportunity_probabilities={"proposal": 0.5})
    assert chosen.opportunity_probabilities["proposal"] == 0.5
    assert chosen.opportunity_probabilities["approved"] == 0.8  # the rest keep defaults


def test_probabilities_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANKCRM_OPPORTUNITY_PROBABILITIES", '{"identified": 0.05}')
    assert Settings().opportunity_probabilities["identified"] == 0.05


@pytest.mark.parametrize(
    "bad",
    [{"proposal": 1.5}, {"proposal": -0.1}, {"won": 0.9}, {"lost": 0.1}, {"signed": 0.5}],
)
def test_bad_probabilities_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="opportunity_probabilities"):
        Settings(opportunity_probabilities=bad)
