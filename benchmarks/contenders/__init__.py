"""Child-side code of the benchmarks: one function per contender, each run in a fresh process."""
