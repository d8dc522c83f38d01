"""What leaves the app: a run as a Keras script, ONNX or TensorFlow Lite; a setup as a share link and its QR code."""
