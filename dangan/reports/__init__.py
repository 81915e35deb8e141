"""Printable documents (PDF) with Chinese text."""
