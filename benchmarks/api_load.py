"""The locust user of bench_api.py: an account manager at work. Mix per request: customer
360 50%, worklist 20%, customer list 20%, log a contact 10%; each user holds a bearer token
and works on the customers of their own portfolio.

Run by bench_api.py; alone: locust -f benchmarks/api_load.py --host http://127.0.0.1:8765
with BENCH_API_USERS (JSON: [{"token": ..., "customers": [ids]}]) in the environment.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import FastHttpUser, constant_throughput, task

ACCOUNTS: list[dict[str, Any]] = json.loads(os.environ.get("BENCH_API_USERS", "[]"))
PER_USER_RATE = float(os.environ.get("BENCH_API_USER_RATE", "2"))  # requests per second


class AccountManager(FastHttpUser):
    wait_time = constant_throughput(PER_USER_RATE)

    def on_start(self) -> None:
        account = ACCOUNTS[random.randrange(len(ACCOUNTS))]
        self.headers = {"Authorization": f"Bearer {account['token']}"}
        self.customers: list[int] = account["customers"]

    @task(50)
    def customer_360(self) -> None:
        customer = random.choice(self.customers)
        self.client.get(f"/api/v1/customers/{customer}", headers=self.headers, name="customer 360")

    @task(20)
    def worklist(self) -> None:
        self.client.get("/api/v1/worklist?limit=20", headers=self.headers, name="worklist")

    @task(20)
    def customer_list(self) -> None:
        sort = random.choice(("-value_at_risk", "name", "-clv"))
        self.client.get(
            f"/api/v1/customers?limit=20&sort={sort}", headers=self.headers, name="customer list"
        )

    @task(10)
    def log_interaction(self) -> None:
        customer = random.choice(self.customers)
        self.client.post(
            f"/api/v1/customers/{customer}/interactions",
            json={
                "channel": "phone",
                "direction": "outbound",
                "topic": "portfolio review",
                "outcome": "completed",
                "note": "called about the savings offer",
            },
            headers=self.headers,
            name="log interaction",
        )
