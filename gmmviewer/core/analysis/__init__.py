"""Teaching analyses: comparison with the truth, model selection, restarts, snapshots."""
