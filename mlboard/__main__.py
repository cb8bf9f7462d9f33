"""`python -m mlboard` is the same as the `mlboard` command."""

from mlboard.cli import main

main()
