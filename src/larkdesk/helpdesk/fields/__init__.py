"""Custom-field definitions: `.../ticket_customized_fields` (routes | bodies | rules |
service)."""
