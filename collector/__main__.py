"""`python -m collector` is the same as the `govpulse` console script."""

from collector.cli import main

raise SystemExit(main())
