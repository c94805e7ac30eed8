"""Records into a normalised `Frame`: the columns detection compares, read in set queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np

from bankcrm.duplicates import normalise as norm
from bankcrm.duplicates.blocking import Frame

# The columns read from customers and prospects, in this order (repository.py).
COLUMNS = (
    "id", "kind", "national_id", "first_name", "last_name", "company_name", "birth_date",
    "email", "phone", "address", "postal_code",
)  # fmt: skip


class FrameBuilder:
    """Collects rows batch by batch (normalising as it goes) and freezes them to columns."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "ref",
                "customer",
                "corporate",
                "national_id",
                "name",
                "birth_date",
                "email",
                "phone",
                "address",
                "postal_code",
            )
        }

    def add(self, prefix: str, rows: Iterable[Sequence[Any]]) -> int:
        """Rows of COLUMNS; `prefix` "c" for customers, "p" for prospects."""
        c = self.cols
        n = 0
        for rid, kind, nid, first, last, company, born, email, phone, street, postal in rows:
            corporate = kind == "corporate"
            c["ref"].append(f"{prefix}:{rid}")
            c["customer"].append(prefix == "c")
            c["corporate"].append(corporate)
            c["national_id"].append(norm.national_id(nid))
            c["name"].append(
                norm.company_name(company) if corporate else norm.person_name(first, last)
            )
            c["birth_date"].append(born.isoformat() if isinstance(born, date) else "")
            c["email"].append(norm.email(email))
            c["phone"].append(norm.phone(phone))
            c["address"].append(norm.address(street))
            c["postal_code"].append(norm.postal_code(postal))
            n += 1
        return n

    def frame(self) -> Frame:
        c = self.cols

        def text(name: str) -> np.ndarray[Any, np.dtype[np.object_]]:
            out = np.empty(len(c[name]), dtype=object)
            out[:] = c[name]
            return out

        return Frame(
            ref=text("ref"),
            customer=np.asarray(c["customer"], dtype=bool),
            corporate=np.asarray(c["corporate"], dtype=bool),
            national_id=text("national_id"),
            name=text("name"),
            birth_date=text("birth_date"),
            email=text("email"),
            phone=text("phone"),
            address=text("address"),
            postal_code=text("postal_code"),
        )
