"""Support for the tests, the load test, the soak and the benchmark: a fake Bot API server
and question streams. Nothing that serves imports this package."""
