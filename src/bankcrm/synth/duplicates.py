"""Planted duplicates: a share of customers get a second customer number, written with the
variations real duplicates have, and each pair goes to the hidden truth
(`<out>-truth/duplicates.parquet`) for measuring detection's precision and recall.

Variations (each drawn independently, shares in VARIATIONS): the national id as given,
reformatted or with one wrong digit (never missing: the extract requires it, and the import
accepts a second customer with the same id); a typo in the surname; first and last name
swapped; the phone in another format, a new phone or none; the e-mail in capitals or none;
a move to another street and town. The date of birth (of founding) stays. The random
stream is a child of the seed of its own (2, chunk), so the rest of the extract is the same
bytes with or without planted duplicates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from bankcrm.synth import catalogue as cat
from bankcrm.synth import names

SECOND_NUMBER = 500_000_000  # C5xxxxxxxx: the second customer number of customer C0xxxxxxxx
VARIATIONS = {
    "id_reformatted": 0.25,
    "id_typo": 0.30,  # of the rest
    "name_typo": 0.25,
    "name_swapped": 0.15,
    "phone_reformatted": 0.40,
    "phone_new": 0.20,
    "phone_missing": 0.10,
    "email_capitals": 0.30,
    "email_missing": 0.30,
    "moved": 0.30,
}
TRUTH_SCHEMA = pa.schema(
    [("customer_no", pa.string()), ("duplicate_of", pa.string()), ("variations", pa.string())]
)
LETTERS = "abcdefghijklmnoprstuvyz"


def _typo(rng: np.random.Generator, word: str) -> str:
    """One wrong, missing or swapped letter (never the first: people check it)."""
    if len(word) < 3:
        return word + "a"
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:
        return word[:i] + LETTERS[int(rng.integers(0, len(LETTERS)))] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _id_typo(rng: np.random.Generator, value: str) -> str:
    spots = [i for i, ch in enumerate(value) if ch.isdigit()]
    i = spots[int(rng.integers(0, len(spots)))]
    digit = (int(value[i]) + int(rng.integers(1, 10))) % 10
    return value[:i] + str(digit) + value[i + 1 :]


def _phone(rng: np.random.Generator, value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())[-9:]
    forms = (f"00420{digits}", digits, f"+420{digits}", f"{digits[:3]}-{digits[3:6]}-{digits[6:]}")
    return forms[int(rng.integers(0, len(forms)))]


def _vary(rng: np.random.Generator, row: dict[str, Any]) -> list[str]:
    """Changes `row` in place; returns the names of the variations applied."""
    done: list[str] = []
    p = VARIATIONS
    if rng.random() < p["id_reformatted"]:
        row["national_id"] = row["national_id"].replace("/", "")
        done.append("id_reformatted")
    elif rng.random() < p["id_typo"]:
        row["national_id"] = _id_typo(rng, row["national_id"])
        done.append("id_typo")
    if row["kind"] == "individual":
        if rng.random() < p["name_typo"]:
            row["last_name"] = _typo(rng, row["last_name"])
            done.append("name_typo")
        if rng.random() < p["name_swapped"]:
            row["first_name"], row["last_name"] = row["last_name"], row["first_name"]
            done.append("name_swapped")
    elif rng.random() < p["name_typo"]:
        row["company_name"] = row["company_name"].upper().replace("S.R.O.", "S. R. O.")
        done.append("name_capitals")
    if row["phone"]:
        r = rng.random()
        if r < p["phone_reformatted"]:
            row["phone"] = _phone(rng, row["phone"])
            done.append("phone_reformatted")
        elif r < p["phone_reformatted"] + p["phone_new"]:
            number = rng.integers([10, 100, 100], [90, 1000, 1000])
            row["phone"] = f"+420 7{number[0]} {number[1]} {number[2]}"
            done.append("phone_new")
        elif r < p["phone_reformatted"] + p["phone_new"] + p["phone_missing"]:
            row["phone"] = None
            done.append("phone_missing")
    if row["email"]:
        r = rng.random()
        if r < p["email_capitals"]:
            row["email"] = row["email"].upper()
            done.append("email_capitals")
        elif r < p["email_capitals"] + p["email_missing"]:
            row["email"] = None
            done.append("email_missing")
    if rng.random() < p["moved"]:
        street = names.STREETS[int(rng.integers(0, len(names.STREETS)))]
        row["address"] = f"{street} {int(rng.integers(1, 3000))}"
        _, city, postal = cat.CITIES[int(rng.integers(0, len(cat.CITIES)))]
        row["city"], row["postal_code"] = city, postal
        done.append("moved")
    return done


def plant(
    cols: dict[str, pa.Array], seed: int, chunk: int, share: float
) -> tuple[dict[str, pa.Array], pa.Table]:
    """The customers of a chunk with `share` of them duplicated (second records appended),
    and the truth table of the planted pairs."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, chunk)))
    n = len(cols["customer_no"])
    chosen = np.flatnonzero(rng.random(n) < share)
    table = pa.table(cols)
    rows = table.take(pa.array(chosen, pa.int64())).to_pylist()
    truth: dict[str, list[str]] = {"customer_no": [], "duplicate_of": [], "variations": []}
    branches = np.unique(np.asarray(cols["branch_id"].to_pylist(), dtype=object))
    for row in rows:
        original = row["customer_no"]
        row["customer_no"] = f"C{SECOND_NUMBER + int(original[1:]):09d}"
        applied = _vary(rng, row)
        if rng.random() < 0.4:  # opened at another branch, with the pooled team
            row["branch_id"] = branches[int(rng.integers(0, len(branches)))]
            row["manager_id"] = None
            applied.append("other_branch")
        truth["customer_no"].append(row["customer_no"])
        truth["duplicate_of"].append(original)
        truth["variations"].append(",".join(applied))
    extra = pa.Table.from_pylist(rows, schema=table.schema)
    out = {
        name: pa.concat_arrays([cols[name], extra.column(name).combine_chunks()]) for name in cols
    }
    return out, pa.table(truth, schema=TRUTH_SCHEMA)
