"""Prospects: people and companies that are not yet customers, until they convert."""
