"""`python -m larkdesk` runs the command line."""

from .cli.main import main

main()
