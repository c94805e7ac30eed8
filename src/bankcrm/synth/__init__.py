"""Synthetic bank: generates a realistic core-banking extract plus its hidden ground truth.

from bankcrm.synth import generate
summary = generate(customers=100_000, seed=7, out=Path("var/extract"))
"""

from bankcrm.synth.generator import AS_OF, GenerateSummary, generate

__all__ = ["AS_OF", "GenerateSummary", "generate"]
