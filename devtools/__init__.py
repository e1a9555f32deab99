"""Developer tools shared by the tests, the benchmarks and `make demo` (never imported by the app)."""
