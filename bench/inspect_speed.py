"""Seconds to compute everything the "Inside the model" view needs for a new model.

For the shipped CNN and a freshly trained MLP, times the view's own cached functions
(views/inside.py): the evaluation on all 10,000 test images, the first-layer weights,
and the explanation of one digit (activations of every layer + saliency). The first
call is cold (nothing cached, TensorFlow not yet traced for this model); the second
is what every later rerun pays (st.cache_data hit). Goal: cold total <= 3 s.

    python bench/inspect_speed.py
    python bench/inspect_speed.py --data /path/to/mnist.npz --mlp dense:256:relu
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from digitstudio.modeling.presets import PRESETS  # noqa: E402

GOAL_S = 3.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "model" / "digit_cnn.keras"), help=".keras model file")
    parser.add_argument("--data", help="MNIST .npz (default: $MNIST_NPZ, else ../shared/data/mnist.npz)")
    parser.add_argument("--mlp", default=PRESETS["seed-dropout"].spec.layers_compact(),
                        help="layers of the fresh MLP (default: the seed-dropout preset's)")
    parser.add_argument("--mlp-train", type=int, default=5000, help="its training images (1 epoch)")
    return parser.parse_args(argv)


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def time_views(model, key: str, x_test, y_test) -> dict[str, tuple[float, float]]:
    """step -> (cold seconds, cached seconds), through the view's cached functions."""
    import streamlit  # noqa: F401  (configures its loggers, which are then quietened)

    for name in [n for n in logging.root.manager.loggerDict if n.startswith("streamlit")]:
        logging.getLogger(name).setLevel(logging.ERROR)  # "no runtime" warnings: the cache works anyway
    import ui.explain as inside
    from digitstudio.drawing.predict import Predictor
    from digitstudio.explain import inspection as ins

    test_key = inside.dataset_key(x_test, y_test)
    image = ins.as_image28(x_test[0])
    predictor = Predictor(model)
    steps = {
        "evaluate 10,000 test digits": (inside.cached_evaluation, predictor, key, test_key, x_test, y_test),
        "first-layer weights": (inside.cached_weights, model, key),
        "activations + saliency (1 digit)": (inside.cached_explanation, predictor, key, inside.image_key(image), image),
    }
    return {step: (timed(*call), timed(*call)) for step, call in steps.items()}


def main(argv=None) -> int:
    args = parse_args(argv)
    path = Path(args.data or os.environ.get("MNIST_NPZ") or ROOT.parent / "shared" / "data" / "mnist.npz")
    if not path.is_file():
        print(f"error: MNIST not found at {path} (pass --data or set MNIST_NPZ).", file=sys.stderr)
        return 2

    from digitstudio.data.mnist import load_npz
    from digitstudio.modeling.spec import ModelSpec, parse_layers
    from digitstudio.storage.model_files import load_model
    from digitstudio.training.fit import train

    data = load_npz(path)
    started = time.perf_counter()
    shipped = load_model(args.model)
    load_seconds = time.perf_counter() - started
    spec = ModelSpec(layers=parse_layers(args.mlp), epochs=1, train_size=args.mlp_train, validation_split=0.0)
    mlp = train(spec, data).model

    models = {f"{Path(args.model).name} (load {load_seconds:.1f}s)": shipped,
              f"MLP {args.mlp} ({args.mlp_train:,} images, 1 epoch)": mlp}
    print(f"{len(data.x_test):,} test images; {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f} at start\n")
    print("| model | step | cold s | cached s |")
    print("|---|---|---:|---:|")
    verdicts = []
    for name, model in models.items():
        times = time_views(model, name, data.x_test, data.y_test)
        for step, (cold, cached) in times.items():
            print(f"| {name} | {step} | {cold:.3f} | {cached:.4f} |")
        cold_total = sum(cold for cold, _ in times.values())
        cached_total = sum(cached for _, cached in times.values())
        print(f"| {name} | **total** | **{cold_total:.2f}** | **{cached_total:.4f}** |")
        verdicts.append(f"{name.split(' (')[0]}: {cold_total:.2f} s cold "
                        f"({'meets' if cold_total <= GOAL_S else 'misses'} the {GOAL_S:g} s goal)")
    print(f"\n{'; '.join(verdicts)}. Load average now {os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
