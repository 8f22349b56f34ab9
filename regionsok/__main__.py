"""`python -m regionsok` runs the CLI (same as the `regionsok` console script)."""

from regionsok.cli import main

main()
