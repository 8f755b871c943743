"""One module per `sentinelx` subcommand; each has register(subparsers) and run(args)."""
