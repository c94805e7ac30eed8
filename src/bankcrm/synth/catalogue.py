"""Fixed facts of the synthetic bank: calendar, segments, regions and the product catalogue.

The as-of date is fixed (never today's date) so that one seed always gives the same bytes.
Days are counted from the start of the 24-month history window ("window days").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from bankcrm.ingest import spec
from bankcrm.synth.arrays import I64

AS_OF = date(2026, 9, 30)
WINDOW_START = date(2024, 10, 1)
HISTORY_MONTHS = 24
LAST_DAY = (AS_OF - WINDOW_START).days  # window day of AS_OF (729)
EPOCH_OFFSET = (WINDOW_START - date(1970, 1, 1)).days  # window day -> days since 1970
CHURN_HORIZON_DAYS = 90


def _month_starts() -> I64:
    out = []
    for m in range(HISTORY_MONTHS + 1):
        y, mo = divmod(WINDOW_START.month - 1 + m, 12)
        out.append((date(WINDOW_START.year + y, mo + 1, 1) - WINDOW_START).days)
    return np.asarray(out, dtype=np.int64)


MONTH_STARTS = _month_starts()  # 25 entries: start day of each month, then the end sentinel
MONTH_LENGTHS = np.diff(MONTH_STARTS)


def window_day(d: date) -> int:
    return (d - WINDOW_START).days


def month_day(month: I64, dom: I64) -> I64:
    """Window day of day-of-month ``dom`` (1-based, clamped to month end) in ``month``."""
    return MONTH_STARTS[month] + np.minimum(dom, MONTH_LENGTHS[month]) - 1


def month_of(day: I64) -> I64:
    """Window month (0-23) of a window day; -1 before the window."""
    return np.searchsorted(MONTH_STARTS, day, side="right").astype(np.int64) - 1


def calendar(day: I64) -> tuple[I64, I64, I64]:
    """(year, month 1-12, day of month 1-31) of window days."""
    d = (day + EPOCH_OFFSET).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    dom = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, dom


def window_month_calendar(month: I64) -> I64:
    """Calendar month (1-12) of window month 0-23."""
    return (WINDOW_START.month - 1 + month) % 12 + 1


SEGMENTS = ("mass_retail", "affluent", "private_banking", "sme", "large_corporate")
SEGMENT_SHARES = (0.75, 0.12, 0.015, 0.10, 0.015)
MASS, AFFLUENT, PRIVATE, SME, LARGE = range(5)
LIFE_STAGES = ("student", "young_adult", "family", "established", "pre_retirement", "retired")
STUDENT, YOUNG, FAMILY, ESTABLISHED, PRE_RETIREMENT, RETIRED = range(6)

# The eight historical Czech regions with population-like weights and (city, postal code).
REGIONS: tuple[tuple[str, float, tuple[tuple[str, str], ...]], ...] = (
    ("Prague", 0.18, (("Praha", "110 00"), ("Praha", "140 00"), ("Praha", "160 00"))),
    (
        "central Bohemia",
        0.13,
        (
            ("Kladno", "272 01"),
            ("Mladá Boleslav", "293 01"),
            ("Kolín", "280 02"),
            ("Příbram", "261 01"),
            ("Benešov", "256 01"),
        ),
    ),
    (
        "south Bohemia",
        0.06,
        (
            ("České Budějovice", "370 01"),
            ("Tábor", "390 02"),
            ("Písek", "397 01"),
            ("Strakonice", "386 01"),
            ("Jindřichův Hradec", "377 01"),
        ),
    ),
    (
        "west Bohemia",
        0.08,
        (
            ("Plzeň", "301 00"),
            ("Karlovy Vary", "360 01"),
            ("Cheb", "350 02"),
            ("Klatovy", "339 01"),
            ("Sokolov", "356 01"),
        ),
    ),
    (
        "north Bohemia",
        0.12,
        (
            ("Ústí nad Labem", "400 01"),
            ("Liberec", "460 01"),
            ("Teplice", "415 01"),
            ("Most", "434 01"),
            ("Děčín", "405 02"),
            ("Jablonec nad Nisou", "466 01"),
        ),
    ),
    (
        "east Bohemia",
        0.10,
        (
            ("Hradec Králové", "500 02"),
            ("Pardubice", "530 02"),
            ("Trutnov", "541 01"),
            ("Chrudim", "537 01"),
            ("Náchod", "547 01"),
        ),
    ),
    (
        "south Moravia",
        0.17,
        (
            ("Brno", "602 00"),
            ("Zlín", "760 01"),
            ("Jihlava", "586 01"),
            ("Znojmo", "669 02"),
            ("Hodonín", "695 01"),
            ("Břeclav", "690 02"),
        ),
    ),
    (
        "north Moravia",
        0.16,
        (
            ("Ostrava", "702 00"),
            ("Olomouc", "779 00"),
            ("Opava", "746 01"),
            ("Frýdek-Místek", "738 01"),
            ("Karviná", "733 01"),
            ("Přerov", "750 02"),
        ),
    ),
)
REGION_NAMES = tuple(r[0] for r in REGIONS)
REGION_WEIGHTS = np.asarray([r[1] for r in REGIONS], dtype=np.float64)
# Nearest regions, used as home-branch fallback when a region has no branch of its own.
REGION_FALLBACK = (
    (0,),
    (0,),
    (1, 0, 6),
    (1, 0),
    (0, 1),
    (1, 0, 7),
    (7, 0),
    (6, 0),
)
CITIES = tuple((ri, c, p) for ri, r in enumerate(REGIONS) for c, p in r[2])
CITY_REGION = np.asarray([c[0] for c in CITIES], dtype=np.int64)

OUR_BANK = "8888"
# Czech bank codes with rough market shares, for counterparties at other banks.
OTHER_BANKS = ("0800", "0100", "0300", "2010", "0600", "2700", "3030", "5500", "6210", "2250")
OTHER_BANK_WEIGHTS = (0.24, 0.2, 0.16, 0.08, 0.06, 0.07, 0.08, 0.06, 0.03, 0.02)
PENSION_BANK = "0710"  # the Czech National Bank keeps the social-security accounts


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    category: str
    rate: float
    monthly_fee: float
    annual_fee: float
    transaction_fee: float
    launched: date
    active: bool = True


P = Product
PRODUCTS: tuple[Product, ...] = (
    P("CA_BASIC", "Basic Current Account", "current_account", 0.01, 0, 0, 0, date(1995, 3, 1)),
    P("CA_PLUS", "Plus Current Account", "current_account", 0.01, 99, 0, 0, date(2012, 5, 1)),
    P(
        "CA_PREMIUM",
        "Premium Current Account",
        "current_account",
        0.01,
        150,
        0,
        0,
        date(2008, 9, 1),
    ),
    P("CA_STUDENT", "Student Account", "current_account", 0.01, 0, 0, 0, date(2010, 9, 1)),
    P(
        "CA_BUSINESS",
        "Business Current Account",
        "current_account",
        0.01,
        149,
        0,
        6,
        date(1995, 3, 1),
    ),
    P(
        "CA_CORPORATE",
        "Corporate Current Account",
        "current_account",
        0.01,
        150,
        0,
        4,
        date(1995, 3, 1),
    ),
    P(
        "SA_CLASSIC",
        "Classic Savings Book",
        "savings_account",
        0.5,
        0,
        0,
        0,
        date(1993, 1, 4),
        False,
    ),
    P("SA_STANDARD", "Savings Account", "savings_account", 2.5, 0, 0, 0, date(2016, 1, 1)),
    P("SA_BONUS", "Bonus Savings Account", "savings_account", 3.5, 0, 0, 0, date(2022, 3, 1)),
    P("SA_BUSINESS", "Business Savings Account", "savings_account", 2.0, 0, 0, 0, date(2014, 6, 1)),
    P("TD_6M", "Term Deposit 6 months", "term_deposit", 3.0, 0, 0, 0, date(2005, 1, 1)),
    P("TD_12M", "Term Deposit 12 months", "term_deposit", 3.6, 0, 0, 0, date(2005, 1, 1)),
    P("TD_36M", "Term Deposit 36 months", "term_deposit", 4.2, 0, 0, 0, date(2011, 1, 1)),
    P("CL_STANDARD", "Consumer Loan", "consumer_loan", 11.9, 0, 0, 0, date(1999, 4, 1)),
    P("CL_CAR", "Car Loan", "consumer_loan", 7.9, 0, 0, 0, date(2015, 4, 1)),
    P("MG_FIX5", "Mortgage, 5-year fixation", "mortgage", 4.69, 0, 0, 0, date(2003, 2, 1)),
    P("MG_FIX10", "Mortgage, 10-year fixation", "mortgage", 5.19, 0, 0, 0, date(2016, 2, 1)),
    P("BL_OPERATING", "Operating Loan", "business_loan", 8.5, 0, 0, 0, date(1996, 1, 1)),
    P("BL_INVEST", "Investment Loan", "business_loan", 7.2, 0, 0, 0, date(1996, 1, 1)),
    P("BL_SYNDICATED", "Corporate Term Loan", "business_loan", 6.1, 0, 0, 0, date(2001, 1, 1)),
    P("CC_CLASSIC", "Classic Credit Card", "credit_card", 24.9, 0, 490, 0, date(2001, 6, 1)),
    P("CC_GOLD", "Gold Credit Card", "credit_card", 21.9, 0, 1990, 0, date(2006, 6, 1)),
    P("CC_BUSINESS", "Business Credit Card", "credit_card", 19.9, 0, 1200, 0, date(2009, 6, 1)),
    P("DC_STANDARD", "Debit Card", "debit_card", 0, 0, 0, 0, date(1997, 1, 1)),
    P("DC_BUSINESS", "Business Debit Card", "debit_card", 0, 0, 300, 0, date(2003, 1, 1)),
    P("WM_FUNDS", "Investment Funds Account", "wealth_management", 0, 0, 600, 0, date(2004, 5, 1)),
    P("WM_MANAGED", "Managed Portfolio", "wealth_management", 0, 0, 12000, 0, date(2012, 5, 1)),
    P(
        "WM_PRIVATE",
        "Private Banking Discretionary Mandate",
        "wealth_management",
        0,
        0,
        150000,
        0,
        date(2010, 1, 1),
    ),
    P("IN_LIFE", "Life Insurance", "insurance", 0, 650, 0, 0, date(2002, 1, 1)),
    P("IN_PROPERTY", "Home and Property Insurance", "insurance", 0, 290, 0, 0, date(2002, 1, 1)),
    P("IN_TRAVEL", "Annual Travel Insurance", "insurance", 0, 0, 1490, 0, date(2014, 1, 1)),
    P("PR_PAYROLL", "Payroll Service Account", "payroll", 0.01, 390, 0, 2, date(2007, 1, 1)),
    P(
        "CM_POOLING",
        "Cash Pooling and Liquidity Management",
        "cash_management",
        0,
        2500,
        0,
        0,
        date(2009, 1, 1),
    ),
    P("TF_LC", "Documentary Letter of Credit", "trade_finance", 6.5, 0, 0, 2500, date(2000, 1, 1)),
    P("TF_GUARANTEE", "Bank Guarantee", "trade_finance", 2.0, 0, 0, 1500, date(2000, 1, 1)),
)
PRODUCT_INDEX = {p.code: i for i, p in enumerate(PRODUCTS)}
CATEGORY_INDEX = {c: i for i, c in enumerate(spec.PRODUCT_CATEGORIES)}
PRODUCT_CATEGORY = np.asarray([CATEGORY_INDEX[p.category] for p in PRODUCTS], dtype=np.int64)
PRODUCT_RATE = np.asarray([p.rate for p in PRODUCTS], dtype=np.float64)
PRODUCT_MONTHLY_FEE = np.asarray([p.monthly_fee for p in PRODUCTS], dtype=np.float64)
PRODUCT_ANNUAL_FEE = np.asarray([p.annual_fee for p in PRODUCTS], dtype=np.float64)
PRODUCT_LAUNCH_DAY = np.asarray([window_day(p.launched) for p in PRODUCTS], dtype=np.int64)
WITHDRAWN_DAY = window_day(date(2019, 1, 1))  # inactive products were sold until then

CAT_CURRENT = CATEGORY_INDEX["current_account"]
CAT_SAVINGS = CATEGORY_INDEX["savings_account"]
CAT_TERM = CATEGORY_INDEX["term_deposit"]
CAT_CONSUMER = CATEGORY_INDEX["consumer_loan"]
CAT_MORTGAGE = CATEGORY_INDEX["mortgage"]
CAT_BUSINESS_LOAN = CATEGORY_INDEX["business_loan"]
CAT_CREDIT_CARD = CATEGORY_INDEX["credit_card"]
CAT_DEBIT_CARD = CATEGORY_INDEX["debit_card"]
CAT_WEALTH = CATEGORY_INDEX["wealth_management"]
CAT_INSURANCE = CATEGORY_INDEX["insurance"]
CAT_PAYROLL = CATEGORY_INDEX["payroll"]
CAT_CASH_MGMT = CATEGORY_INDEX["cash_management"]
CAT_TRADE = CATEGORY_INDEX["trade_finance"]
LOAN_CATEGORIES = (CAT_CONSUMER, CAT_MORTGAGE, CAT_BUSINESS_LOAN)
# Accounts that carry booked transactions (debit-card payments book on the current account).
TRANSACTIONAL = (CAT_CURRENT, CAT_SAVINGS, CAT_PAYROLL, CAT_CREDIT_CARD)
