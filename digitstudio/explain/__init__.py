"""Inside the model: evaluation, learned weights, activations, saliency."""
