"""A Keras digit model as ONNX bytes, for ONNX Runtime and other frameworks.

    onnx_bytes(model) -> bytes   # an ONNX ModelProto (opset 17): input "pixels", output (n, 10)

The converter is tf2onnx (1.17.0). Its Keras entry point, tf2onnx.convert.from_keras,
fails on Keras 3 models (KeyError on a keras_tensor name, tried with TF 2.21 / Keras
3.15), so the model is wrapped in a tf.function and converted with
tf2onnx.convert.from_function, which works: outputs match Keras within 1e-4 (tests,
with onnxruntime). Input is the model's own (pixels as its input convention wants).
"""

from __future__ import annotations

from typing import Any

OPSET = 17


def onnx_available() -> bool:
    """True when tf2onnx is installed (it is optional: requirements.txt pins it)."""
    try:
        import tf2onnx  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_bytes(model: Any) -> bytes:
    """Convert a Keras model to ONNX bytes. RuntimeError with one line when tf2onnx is
    missing or the conversion fails."""
    import tensorflow as tf

    try:
        import tf2onnx
    except ImportError:
        raise RuntimeError("ONNX export needs tf2onnx (pip install tf2onnx==1.17.0).") from None
    signature = [tf.TensorSpec((None, *tuple(model.input_shape[1:])), tf.float32, name="pixels")]
    try:
        proto, _ = tf2onnx.convert.from_function(tf.function(lambda pixels: model(pixels, training=False)),
                                                 input_signature=signature, opset=OPSET)
        return proto.SerializeToString()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"ONNX conversion failed: {first[:300]}") from None
