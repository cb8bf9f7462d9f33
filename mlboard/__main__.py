"""`python -m mlboard` is the same as the `mlboard` command."""

from mlboard.launcher import main

main()
