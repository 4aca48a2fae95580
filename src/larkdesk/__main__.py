"""`python -m larkdesk` runs the command line."""

from .cli import main

main()
