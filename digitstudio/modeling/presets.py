"""Named starting points: the tutorials Digit Studio grew from, and the shipped CNN.

Each preset records where it came from and what its source reported, so the
README and the app can show our measured numbers beside the original ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from digitstudio.modeling.spec import ModelSpec, parse_layers


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    source: str
    reported: str  # what the source reported, in its own words/numbers
    spec: ModelSpec


PRESETS: dict[str, Preset] = {
    "seed-mlp": Preset(
        name="seed-mlp",
        title="Dense 512 (the classic Keras MNIST MLP)",
        source="Chollet, Deep Learning with Python, ch. 2: Dense(512, relu) → Dense(10, softmax)",
        reported="97.8% test accuracy after 5 epochs, batch 128, rmsprop",
        spec=ModelSpec(
            layers=parse_layers("dense:512:relu"),
            optimizer="rmsprop", learning_rate=0.001, loss="categorical_crossentropy",
            epochs=5, batch_size=128, validation_split=0.0,
        ),
    ),
    "seed-deep-sigmoid": Preset(
        name="seed-deep-sigmoid",
        title="Deep sigmoid MLP with BatchNorm",
        source="TensorFlow-without-a-PhD style deep sigmoid MLP: BatchNormalization, "
        "Dense 200/100/60/30 sigmoid → softmax, SGD",
        reported="SGD lr 0.03, batch 32, 50 epochs, validated on the test set (about 97–98%)",
        spec=ModelSpec(
            layers=parse_layers("batchnorm,dense:200:sigmoid,dense:100:sigmoid,dense:60:sigmoid,dense:30:sigmoid"),
            optimizer="sgd", learning_rate=0.03, loss="categorical_crossentropy",
            epochs=50, batch_size=32, validation_split=0.0, validate_on_test=True,
        ),
    ),
    "seed-dropout": Preset(
        name="seed-dropout",
        title="Dense 128 + Dropout 0.2 (TensorFlow beginner tutorial)",
        source="TensorFlow 'quickstart for beginners': Dense(128, relu) → Dropout(0.2) → Dense(10)",
        reported="97.6% test accuracy after 10 epochs, batch 128, adam, 20% validation split",
        spec=ModelSpec(
            layers=parse_layers("dense:128:relu,dropout:0.2"),
            optimizer="adam", learning_rate=0.001, loss="sparse_categorical_crossentropy",
            epochs=10, batch_size=128, validation_split=0.2,
        ),
    ),
    "cnn": Preset(
        name="cnn",
        title="Small CNN (the shipped model)",
        source="Digit Studio's shipped model: two conv blocks with BatchNorm, trained with "
        "drawing-style augmentation, writing styles MNIST lacks and synthetic non-digits (outlier exposure)",
        reported="≥ 99.4% MNIST test accuracy (see model/digit_cnn.json)",
        spec=ModelSpec(
            layers=parse_layers(
                "conv2d:32:3:relu,batchnorm,conv2d:32:3:relu,maxpool:2,dropout:0.1,"
                "conv2d:64:3:relu,batchnorm,conv2d:64:3:relu,maxpool:2,dropout:0.1,"
                "flatten,dense:128:relu,dropout:0.3"
            ),
            optimizer="adam", learning_rate=0.002, lr_schedule="cosine",
            loss="sparse_categorical_crossentropy",
            epochs=20, batch_size=128, validation_split=0.05, augment=True, styles=True, negatives=0.1,
        ),
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"Unknown preset {name!r}; choose from {', '.join(PRESETS)}.") from None
