"""bankcrm: the customer relationship management system of a commercial bank."""

__version__ = "0.1.0"
