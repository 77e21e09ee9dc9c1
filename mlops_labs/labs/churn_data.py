"""The Lab 6.1 churn data set: telecom customers, made the same way from the same seed.

It carries the columns a feature-selection lesson needs: an identifier, a constant column, a
column that leaks the label, a column with gaps, and categorical and numeric signals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL = "churned"
CONTRACTS = ("month-to-month", "one-year", "two-year")
INTERNET = ("fiber", "dsl", "none")
PAYMENT = ("electronic-check", "mailed-check", "bank-transfer", "credit-card")
REASONS = ("price", "service", "competitor", "moved")


def make_customers(n_rows: int = 600, seed: int = 7) -> pd.DataFrame:
    """``n_rows`` customers with a ``churned`` label (0/1); identical for identical arguments."""
    if n_rows < 20:
        raise ValueError(f"n_rows must be at least 20 to train and evaluate, got {n_rows}")
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, n_rows)
    contract = rng.choice(CONTRACTS, n_rows, p=[0.55, 0.25, 0.20])
    internet = rng.choice(INTERNET, n_rows, p=[0.45, 0.35, 0.20])
    base = np.select([internet == "fiber", internet == "dsl"], [70.0, 50.0], 20.0)
    monthly = np.round(base + rng.normal(0, 12, n_rows).clip(-15, 40), 2)
    support_calls = rng.poisson(1.5, n_rows)
    paperless = rng.choice(("yes", "no"), n_rows, p=[0.6, 0.4])
    payment = rng.choice(PAYMENT, n_rows)
    total = np.round(tenure * monthly + rng.normal(0, 25, n_rows), 2)
    # New customers have not been billed yet: the gap a trainer must impute.
    total = np.where(tenure == 0, np.nan, total)

    score = (
        -0.6
        + 1.3 * (contract == "month-to-month")
        - 0.9 * (contract == "two-year")
        + 0.6 * (internet == "fiber")
        + 0.45 * support_calls
        - 0.045 * tenure
        + 0.015 * (monthly - 55)
        + 0.35 * (payment == "electronic-check")
    )
    churned = (rng.random(n_rows) < 1 / (1 + np.exp(-score))).astype(int)
    reasons = rng.choice(REASONS, n_rows)
    # Only known after a customer has left: a feature built from it would leak the label.
    cancellation_reason = np.where(churned == 1, reasons, None)

    return pd.DataFrame(
        {
            "customer_id": [f"C{seed:02d}{i:05d}" for i in range(n_rows)],
            "country": "US",
            "tenure_months": tenure,
            "contract": contract,
            "internet_service": internet,
            "monthly_charges": monthly,
            "total_charges": total,
            "support_calls": support_calls,
            "paperless_billing": paperless,
            "payment_method": payment,
            "cancellation_reason": cancellation_reason,
            LABEL: churned,
        }
    )


def make_activity(customers: pd.DataFrame, days: int = 28, seed: int = 7) -> pd.DataFrame:
    """Daily usage events of ``customers`` over ``days`` days from 2026-01-01; churners fade."""
    rng = np.random.default_rng(seed + 1)
    churned = customers[LABEL].to_numpy().astype(bool)
    # Customers about to leave use the service less, and less as the month goes on.
    chance = np.where(churned[:, None], np.linspace(0.7, 0.25, days)[None, :], 0.75)
    row, day = np.nonzero(rng.random((len(customers), days)) < chance)
    heavy = np.where(customers["internet_service"].to_numpy() == "fiber", 1.6, 1.0)[row]
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[row],
            "activity_date": np.datetime64("2026-01-01") + day.astype("timedelta64[D]"),
            "minutes_used": rng.gamma(2.0, 30.0, len(row)).round(1),
            "data_gb": (rng.gamma(1.5, 0.8, len(row)) * heavy).round(3),
            "support_tickets": rng.poisson(0.08 + 0.1 * churned[row]),
        }
    )
