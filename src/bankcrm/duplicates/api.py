"""/api/v1/duplicates: likely duplicates (list, a pair side by side, dismiss, detection for
one record) and their maker-checker merges (propose, approve, reject, reverse)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from bankcrm.duplicates import merges, service
from bankcrm.duplicates.schemas import (
    CandidateOut,
    CandidatePair,
    CandidateQuery,
    Decide,
    DetectRequest,
    DetectResult,
    Dismiss,
    MergeOut,
    MergeQuery,
    ProposeMerge,
    Reverse,
)
from bankcrm.kit.pagination import Page, PageParams
from bankcrm.web.deps import PrincipalDep, RecordId, SessionDep

router = APIRouter(prefix="/api/v1/duplicates", tags=["duplicates"])


@router.get("", response_model=Page[CandidateOut])
def list_candidates(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[CandidateQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[CandidateOut]:
    """Pairs of records that look like one person, both in your scope, best score first,
    with the fields that matched."""
    return service.list_candidates(session, principal, query, page.offset, page.limit)


@router.post("/detect", response_model=DetectResult)
def detect_record(
    body: DetectRequest, session: SessionDep, principal: PrincipalDep
) -> DetectResult:
    """Run detection for one customer or prospect now (the nightly job covers everyone)."""
    return service.detect_record(session, principal, body)


@router.get("/merges", response_model=Page[MergeOut])
def list_merges(
    session: SessionDep,
    principal: PrincipalDep,
    query: Annotated[MergeQuery, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[MergeOut]:
    """Merge proposals and their history; status=proposed: those waiting for a decision."""
    return merges.list_merges(session, principal, query, page.offset, page.limit)


@router.get("/merges/{merge_id}", response_model=MergeOut)
def get_merge(merge_id: RecordId, session: SessionDep, principal: PrincipalDep) -> MergeOut:
    return merges.get_merge(session, principal, merge_id)


@router.post("/merges/{merge_id}/approve", response_model=MergeOut)
def approve_merge(
    merge_id: RecordId, body: Decide, session: SessionDep, principal: PrincipalDep
) -> MergeOut:
    """The branch manager of the survivor's branch, never the proposer, links the records."""
    return merges.approve(session, principal, merge_id, body)


@router.post("/merges/{merge_id}/reject", response_model=MergeOut)
def reject_merge(
    merge_id: RecordId, body: Decide, session: SessionDep, principal: PrincipalDep
) -> MergeOut:
    """Refuse a proposal; `note` says why."""
    return merges.reject(session, principal, merge_id, body)


@router.post("/merges/{merge_id}/reverse", response_model=MergeOut)
def reverse_merge(
    merge_id: RecordId, body: Reverse, session: SessionDep, principal: PrincipalDep
) -> MergeOut:
    """End an approved merge: both records stand alone again."""
    return merges.reverse(session, principal, merge_id, body)


@router.get("/{candidate_id}", response_model=CandidatePair)
def get_pair(candidate_id: RecordId, session: SessionDep, principal: PrincipalDep) -> CandidatePair:
    """Both records side by side (masked for masked roles), the matched fields, merges."""
    return service.get_pair(session, principal, candidate_id)


@router.post("/{candidate_id}/dismiss", response_model=CandidateOut)
def dismiss(
    candidate_id: RecordId, body: Dismiss, session: SessionDep, principal: PrincipalDep
) -> CandidateOut:
    """Not the same person: the pair leaves the open list and stays dismissed."""
    return service.dismiss(session, principal, candidate_id, body)


@router.post("/{candidate_id}/merge", response_model=MergeOut, status_code=201)
def propose_merge(
    candidate_id: RecordId, body: ProposeMerge, session: SessionDep, principal: PrincipalDep
) -> MergeOut:
    """Propose merging the pair (maker); the survivor's branch manager decides."""
    return merges.propose(session, principal, candidate_id, body)
