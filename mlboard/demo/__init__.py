"""The demo workspace: the sample team, its MLflow runs and its data. Reached only from
`mlboard demo`, the benchmarks and the tests."""
