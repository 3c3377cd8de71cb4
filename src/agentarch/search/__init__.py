"""Searches over designs: typed-space evolution and TPE, Meta Agent Search (ADAS), MCTS over
workflows (AFlow), with cost-aware selection and honest promotion on held-out data."""
