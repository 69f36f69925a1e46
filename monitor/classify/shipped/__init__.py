"""The shipped model files (weights.npz, model.json, metrics.json), written by `monitor train`."""
