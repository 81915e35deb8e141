"""Dangan's database backends: Django's own, whose commit first appends the audit entries
the transaction recorded (dangan.audit.services, #22 item 9)."""
