"""`python -m harcnn.cli`: the CLI run by an interpreter named explicitly, as the benchmarks do to
time it in a child process of the same environment."""

from harcnn.cli import main

main()
