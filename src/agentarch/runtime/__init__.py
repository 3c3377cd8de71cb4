"""Running designs: the evaluator, statistics and the sandbox for generated code."""
