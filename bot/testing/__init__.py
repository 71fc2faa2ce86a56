"""Support for the tests, the evaluation, the load test, the soak and the benchmark: a fake Bot
API server, question streams and the scoring of question sets. Nothing that serves imports this package."""
