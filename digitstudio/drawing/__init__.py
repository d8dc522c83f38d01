"""A drawing on the canvas → an MNIST-style 28×28 image → a prediction."""
