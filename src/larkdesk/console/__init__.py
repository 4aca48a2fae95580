"""The web console at /console: see and work the helpdesk in a browser (README "The console")."""
