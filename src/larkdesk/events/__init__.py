"""Helpdesk events: their wire bodies and envelope, signing and encryption, the URL
challenge, and delivery from the outbox (webhook now; a long-connection transport plugs
into the same dispatcher). See docs/events.md.
"""
