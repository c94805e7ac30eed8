"""What `static/js/dashboard.js` draws, in the page's language: the dashboard's numbers
shaped for ECharts and written into a JSON script block (the CSP allows no inline script)."""

from __future__ import annotations

from typing import Any

from bankcrm.dashboard.schemas import Bin, Dashboard
from bankcrm.web import i18n, labels
from bankcrm.web.i18n import N_

OTHER_TOPICS = N_("Other topics")
TOPICS_SHOWN = 6  # the most frequent complaint topics get a series each, the rest one


def bin_label(fmt: i18n.Formatter, b: Bin) -> str:
    """A bin in words: "1,000 to 2,500" (with a dash), "below 0", "100,000,000 or more"."""
    if b.low is None:
        return fmt.gettext("below %(value)s", value=fmt.number(b.high or 0))
    if b.high is None:
        return fmt.gettext("%(value)s or more", value=fmt.number(b.low))
    return f"{fmt.number(b.low)} \u2013 {fmt.number(b.high)}"


def topics(board: Dashboard) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The topics shown (most complaints first, the rest as one) and counts per month."""
    totals: dict[str, int] = {}
    for t in board.complaints:
        totals[t.topic] = totals.get(t.topic, 0) + t.complaints
    ranked = sorted(totals, key=lambda t: (-totals[t], t))
    shown = ranked[:TOPICS_SHOWN]
    if len(ranked) > TOPICS_SHOWN:
        shown.append(OTHER_TOPICS)
    table: dict[str, dict[str, int]] = {name: {} for name in shown}
    for t in board.complaints:
        name = t.topic if t.topic in shown else OTHER_TOPICS
        table[name][t.month] = table[name].get(t.month, 0) + t.complaints
    return shown, table


def chart_data(fmt: i18n.Formatter, board: Dashboard) -> dict[str, Any]:
    _ = fmt.gettext
    shown, by_topic = topics(board)
    data: dict[str, Any] = {
        "tiers": {
            "labels": [_(labels.label(labels.TIERS, c.code)) for c in board.tiers],
            "values": [c.customers for c in board.tiers],
        },
        "bands": {
            "labels": [_(labels.label(labels.BANDS, c.code)) for c in board.bands],
            "values": [c.customers for c in board.bands],
        },
        "clv": {
            "labels": [bin_label(fmt, b) for b in board.clv_bins],
            "values": [b.customers for b in board.clv_bins],
            "name": _("Customers"),
        },
        "branches": {
            "names": [b.branch for b in board.branches],
            "valueAtRisk": [b.value_at_risk for b in board.branches],
            "churn": [round(100 * b.mean_churn_probability, 2) for b in board.branches],
            "valueAtRiskName": _("Value at risk"),
            "churnName": _("Mean churn probability (%)"),
        },
        "complaints": {
            "months": board.complaint_months,
            "series": [
                {
                    "name": _(name) if name == OTHER_TOPICS else name,
                    "data": [by_topic[name].get(m, 0) for m in board.complaint_months],
                }
                for name in shown
            ],
        },
        "demand": {
            "products": [d.product for d in board.demand],
            "expected": [d.expected for d in board.demand],
            "lastQuarter": [d.opened_last_quarter for d in board.demand],
            "yearAgo": [d.opened_year_ago for d in board.demand],
            "expectedName": _("Expected next quarter"),
            "lastQuarterName": _("Opened last quarter"),
            "yearAgoName": _("Opened a year ago"),
        },
        "lorenz": None,
        "migration": None,
    }
    if board.lorenz is not None:
        data["lorenz"] = {
            "curve": [[round(100 * x, 2), round(100 * y, 2)] for x, y in board.lorenz.curve],
            "shareFor80": round(100 * board.lorenz.share_for_80, 2),
            "curveName": _("Share of contribution"),
            "equalityName": _("Equal contribution"),
            "line80Name": _("Line of 80 per cent"),
            "xName": _("Share of customers, top first (%)"),
        }
    if board.migration is not None:
        move = board.migration
        names = [_(labels.label(labels.TIERS, t)) for t in move.tiers]
        data["migration"] = {
            "from": names,
            "to": names,
            "cells": [[j, i, n] for i, row in enumerate(move.matrix) for j, n in enumerate(row)],
            "max": max((n for row in move.matrix for n in row), default=0),
            "fromName": fmt.date(move.from_date),
            "toName": fmt.date(move.to_date),
        }
    return data
