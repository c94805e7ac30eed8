"""The product catalogue, what customers hold, and standing orders on their accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from bankcrm.kit.db import Base, ImportedMixin

MONEY = Numeric(18, 2)
RATE = Numeric(9, 4)


class Product(ImportedMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    interest_rate: Mapped[Decimal | None] = mapped_column(RATE)
    monthly_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    annual_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    transaction_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    launched_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)


class Holding(ImportedMixin, Base):
    """One account, loan, card, deposit, mandate or policy held by a customer."""

    __tablename__ = "holdings"
    __table_args__ = (Index("ix_holdings_customer_status", "customer_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(String(34), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[Decimal] = mapped_column(MONEY)
    credit_limit: Mapped[Decimal | None] = mapped_column(MONEY)
    interest_rate: Mapped[Decimal | None] = mapped_column(RATE)
    status: Mapped[str] = mapped_column(String(16), index=True)
    loan_status: Mapped[str | None] = mapped_column(String(8), index=True)
    principal: Mapped[Decimal | None] = mapped_column(MONEY)
    term_months: Mapped[int | None]
    monthly_payment: Mapped[Decimal | None] = mapped_column(MONEY)
    linked_account_no: Mapped[str | None] = mapped_column(String(34))
    statement_frequency: Mapped[str | None] = mapped_column(String(32))


class StandingOrder(ImportedMixin, Base):
    __tablename__ = "standing_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    holding_id: Mapped[int] = mapped_column(ForeignKey("holdings.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    purpose: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16), default="monthly")
    counterparty_bank: Mapped[str | None] = mapped_column(String(16))
    counterparty_account: Mapped[str | None] = mapped_column(String(34))
    start_on: Mapped[date | None]
