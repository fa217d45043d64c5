"""``python -m adamkit``: the command line (adamkit.tools.cli)."""

from .tools.cli import main

raise SystemExit(main())
