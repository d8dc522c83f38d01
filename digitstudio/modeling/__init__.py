"""The model spec, its layer catalogue, the presets, and spec → Keras."""
