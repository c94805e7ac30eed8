"""Where each extract entity lands in the CRM database and how its keys translate."""

from __future__ import annotations

from dataclasses import dataclass, field

from bankcrm.customers.models import Customer, CustomerRelationship
from bankcrm.ingest import spec
from bankcrm.interactions.models import Interaction
from bankcrm.kit.db import Base
from bankcrm.products.models import Holding, Product, StandingOrder
from bankcrm.service_desk.models import Case
from bankcrm.staff.models import Branch, Staff


@dataclass(frozen=True)
class Target:
    entity: spec.Entity
    model: type[Base]
    key_column: str  # database column that holds the bank's external id
    renames: dict[str, str] = field(default_factory=dict)  # extract column -> db column
    foreign_keys: dict[str, str] = field(default_factory=dict)  # extract column -> db fk column

    def db_column(self, name: str) -> str:
        return self.foreign_keys.get(name) or self.renames.get(name) or name


TARGETS: tuple[Target, ...] = (
    Target(spec.BRANCHES, Branch, "branch_code", renames={"branch_id": "branch_code"}),
    Target(
        spec.STAFF,
        Staff,
        "staff_code",
        renames={"staff_id": "staff_code"},
        foreign_keys={"branch_id": "branch_id"},
    ),
    Target(spec.PRODUCTS, Product, "product_code"),
    Target(
        spec.CUSTOMERS,
        Customer,
        "customer_no",
        foreign_keys={"branch_id": "branch_id", "manager_id": "manager_id"},
    ),
    Target(
        spec.RELATIONSHIPS,
        CustomerRelationship,
        "relationship_key",
        foreign_keys={"from_customer_no": "from_customer_id", "to_customer_no": "to_customer_id"},
    ),
    Target(
        spec.HOLDINGS,
        Holding,
        "account_no",
        foreign_keys={"customer_no": "customer_id", "product_code": "product_id"},
    ),
    Target(
        spec.STANDING_ORDERS,
        StandingOrder,
        "order_no",
        renames={"order_id": "order_no"},
        foreign_keys={"account_no": "holding_id"},
    ),
    Target(
        spec.INTERACTIONS,
        Interaction,
        "interaction_no",
        renames={"interaction_id": "interaction_no"},
        foreign_keys={"customer_no": "customer_id", "staff_id": "staff_id"},
    ),
    Target(
        spec.CASES,
        Case,
        "case_no",
        renames={"case_id": "case_no"},
        foreign_keys={"customer_no": "customer_id"},
    ),
)
