"""Each lesson's experiments: pure `run_*` functions returning results, `plot_*` functions drawing a result on a
Figure, and `*_panel()` factories that build the lesson's slider panels with their default settings.
The notebooks call these; the tests and benchmarks call the same functions."""
