"""The customer record and the links between customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin


class Customer(ImportedMixin, Base):
    """An individual or corporate customer; personal fields are masked by role later."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_kind_status", "kind", "status"),
        Index("ix_customers_last_name", "last_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    national_id: Mapped[str] = mapped_column(String(64), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(1))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    occupation: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(100))
    annual_income: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    risk_rating: Mapped[str | None] = mapped_column(String(8))
    kyc_status: Mapped[str] = mapped_column(String(16), index=True)
    kyc_review_due: Mapped[date | None] = mapped_column(index=True)
    onboarded_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    profiling_consent: Mapped[bool] = mapped_column(default=False)
    sharing_consent: Mapped[bool] = mapped_column(default=False, server_default=false())


class CustomerRelationship(ImportedMixin, Base):
    """Read as: from_customer is <kind> of to_customer."""

    __tablename__ = "customer_relationships"
    __table_args__ = (UniqueConstraint("from_customer_id", "to_customer_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    relationship_key: Mapped[str] = mapped_column(String(100), unique=True)
    from_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    to_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    account_no: Mapped[str | None] = mapped_column(String(34))
    share_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    since: Mapped[date | None]
