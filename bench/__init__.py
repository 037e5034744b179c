"""arcadence's benchmarks (`make bench`, `make bench-quick`): each script measures arcadence and
its baseline in the same run and prints one `RATIO` line. See BENCHMARKS.md."""
