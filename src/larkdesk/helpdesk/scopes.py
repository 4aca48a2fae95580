"""The scopes the helpdesk APIs ask for: reads accept either, writes need `helpdesk:all`."""

READ_SCOPES = ("helpdesk:all:readonly", "helpdesk:all")
WRITE_SCOPES = ("helpdesk:all",)
