"""MNIST loading and augmentation."""
