"""Tickets: list, get, update, start_service (routes | bodies | query | service | lifecycle |
changes)."""
