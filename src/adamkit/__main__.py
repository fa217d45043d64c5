"""python -m adamkit: command-line entry point (see ``python -m adamkit --help``)."""

from ._cli import main

raise SystemExit(main())
