"""The `larkdesk` command line (`main.main`): thin, one module per command group, each
parsing its options, calling the services and printing the result."""
