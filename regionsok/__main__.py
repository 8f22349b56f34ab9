"""`python -m regionsok` runs the CLI (same as the `regionsok` console script).

The one module of the core that reaches the application layer: it is an entry point that
nothing imports, run only as ``python -m``.
"""

from app.cli import main

main()
