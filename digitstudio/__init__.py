"""Digit Studio's logic, no Streamlit. The sub-packages follow the data's path:

    modeling/   the model spec, the layer catalogue, presets, spec → Keras
    data/       MNIST loading and augmentation
    training/   model.fit with progress, and the server's training queue
    drawing/    canvas → MNIST-style 28×28 → prediction
    explain/    inside the model: evaluation, weights, activations, saliency
    storage/    atomic files, the runs folder, model files, share links
"""
