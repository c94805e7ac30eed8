"""The import's conversion of prospects, as set-based statements: a batch carries up to a
million customers, so nothing here runs per prospect or per customer.

Matching by id joins the open prospects to the customers through the index on
customers.national_id (one probe per open prospect).
Matching by name scans the customers once, keeping those with a waiting prospect's
surname, and joins those few to the prospects by their normalised names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from bankcrm.customers.models import Customer
from bankcrm.prospects.models import OPEN_STATUSES, Prospect, ProspectActivity

CONVERTED_BY = "import"
ColumnExpr = ColumnElement[str | None] | InstrumentedAttribute[str | None]
REVIEW_REASON = "same name and birth date, phone or e-mail; no matching national id"


def _key(*parts: ColumnExpr) -> ColumnElement[str]:
    """A name as compared: trimmed, lower case, parts joined by one space."""
    cleaned = [func.lower(func.trim(func.coalesce(p, ""))) for p in parts]
    joined: ColumnElement[str] = cleaned[0]
    for part in cleaned[1:]:
        joined = joined + " " + part
    return joined


def _name_key(model: type[Prospect] | type[Customer]) -> ColumnElement[str]:
    """The kind and the normalised name in one value: the join's only key, so that the
    database scans the customers once and looks each up among the prospects."""
    name = case(
        (model.kind == "corporate", _key(model.company_name)),
        else_=_key(model.first_name, model.last_name),
    )
    return model.kind + ":" + name


def _surname(model: type[Prospect] | type[Customer]) -> ColumnElement[str]:
    """The last name (a company's name) as compared: a cheap first filter of the customers,
    so that only the few with a prospect's surname get their full keys worked out."""
    return _key(case((model.kind == "corporate", model.company_name), else_=model.last_name))


def _phone(column: ColumnExpr) -> ColumnElement[str]:
    return func.replace(func.replace(func.replace(column, " ", ""), "-", ""), "/", "")


def _id_matches() -> Subquery:
    """Each open prospect with an id, and the (lowest) id of the customer with the same
    national id and kind: a join through the index on customers.national_id."""
    return (
        select(Prospect.id.label("prospect_id"), func.min(Customer.id).label("customer_id"))
        .join(
            Customer,
            # lower(): kinds are lower-case codes already; it keeps PostgreSQL from ANDing
            # in the index on kind (a bitmap of nearly every customer, per prospect) when
            # the statistics are stale, as they are right after a big load.
            and_(
                Customer.national_id == Prospect.national_id,
                func.lower(Customer.kind) == Prospect.kind,
            ),
        )
        .where(Prospect.status.in_(OPEN_STATUSES), Prospect.national_id.is_not(None))
        .group_by(Prospect.id)
        .subquery()
    )


def convert_by_national_id(session: Session, now: datetime) -> int:
    """Open prospects whose national id (registration number) and kind match a customer's
    become that customer: a conversion activity each, then the prospects themselves.
    Two statements; returns how many converted."""
    matches = _id_matches()
    session.execute(
        insert(ProspectActivity).from_select(
            ["prospect_id", "occurred_at", "kind", "summary", "created_by"],
            select(
                matches.c.prospect_id,
                literal(now),
                literal("conversion"),
                literal("became customer ") + Customer.customer_no,
                literal(CONVERTED_BY),
            ).join(Customer, Customer.id == matches.c.customer_id),
        )
    )
    matches = _id_matches()
    result = session.execute(
        update(Prospect)
        .where(Prospect.id == matches.c.prospect_id)
        .values(
            status="converted",
            converted_customer_id=matches.c.customer_id,
            converted_at=now,
            converted_by=CONVERTED_BY,
            review_customer_id=None,
            review_reason=None,
            version=Prospect.version + 1,
        )
        .returning(Prospect.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def flag_for_review(session: Session) -> int:
    """Open prospects not converted by id whose normalised name matches a customer's and
    whose birth date, phone or e-mail matches too: flagged with that customer for a person
    to decide (never the customer a person already said is not them). One statement.

    The customers are scanned once, kept only when their surname is a waiting prospect's
    (a lookup in a small set). Both sides are materialised first: SQLite cannot index the
    expression key in place (it would rescan the customers per prospect) and builds an
    index on the materialised rows instead; PostgreSQL, with the stale statistics of a
    fresh load, would otherwise rescan the customers per waiting prospect."""
    waiting = (
        select(
            Prospect.id.label("prospect_id"),
            _name_key(Prospect).label("name_key"),
            Prospect.birth_date.label("birth_date"),
            _phone(Prospect.phone).label("phone"),
            func.lower(func.trim(Prospect.email)).label("email"),
            func.coalesce(Prospect.not_same_customer_id, 0).label("not_same"),
            _surname(Prospect).label("surname"),
        )
        .where(Prospect.status.in_(OPEN_STATUSES), Prospect.review_customer_id.is_(None))
        .cte("waiting")
        .prefix_with("MATERIALIZED")
    )
    known = (
        select(
            Customer.id.label("customer_id"),
            _name_key(Customer).label("name_key"),
            Customer.birth_date.label("birth_date"),
            _phone(Customer.phone).label("phone"),
            func.lower(func.trim(Customer.email)).label("email"),
        )
        .where(_surname(Customer).in_(select(waiting.c.surname)))
        .cte("known")
        .prefix_with("MATERIALIZED")
    )
    same = or_(
        waiting.c.birth_date == known.c.birth_date,
        waiting.c.phone == known.c.phone,
        waiting.c.email == known.c.email,
    )
    matches = (
        select(waiting.c.prospect_id, func.min(known.c.customer_id).label("customer_id"))
        .join(
            known,
            and_(waiting.c.name_key == known.c.name_key, waiting.c.not_same != known.c.customer_id),
        )
        .where(same)
        .group_by(waiting.c.prospect_id)
        .subquery()
    )
    result = session.execute(
        update(Prospect)
        .where(Prospect.id == matches.c.prospect_id)
        .values(
            review_customer_id=matches.c.customer_id,
            review_reason=REVIEW_REASON,
            version=Prospect.version + 1,
        )
        .returning(Prospect.id)  # SQLite gives no row count for a statement that opens WITH
        .execution_options(synchronize_session=False)
    )
    return len(result.all())
