"""Train a Digit Studio model from the command line.

    python train.py --preset seed-mlp
    python train.py --preset cnn --epochs 3 --out runs/my_cnn.keras
    python train.py --layers 'conv2d:16:3,maxpool:2,dense:64' --optimizer sgd --lr 0.05 --momentum 0.9

Writes the model (.keras) and a JSON beside it (spec, per-epoch history, test
metrics, parameter count, time, data source, library versions). The same code
trains models in the app.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from digitstudio.data.mnist import ENV_VAR, DataError, load_mnist
from digitstudio.modeling.presets import PRESETS
from digitstudio.modeling.spec import (
    LOSSES,
    LR_SCHEDULES,
    OPTIMIZERS,
    ModelSpec,
    SpecError,
    parse_layers,
    validate,
)

LAYERS_HELP = (
    "comma-separated layers, e.g. 'conv2d:32:3:relu,maxpool:2,flatten,dense:128:relu,dropout:0.2'. "
    "Forms: dense:UNITS[:ACT], dropout:RATE, batchnorm, conv2d:FILTERS[:KERNEL[:ACT]], maxpool[:POOL], "
    "flatten. The 10-way softmax output is added for you."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train an MNIST digit model (same code as the Digit Studio app).",
        epilog=f"Data: without --data, Keras downloads MNIST once; offline, pass --data or set {ENV_VAR} "
        "to a local mnist.npz (keys x_train, y_train, x_test, y_test).",
    )
    parser.add_argument("--preset", default="seed-mlp", choices=sorted(PRESETS),
                        help="starting point; every option below overrides it (default: seed-mlp)")
    parser.add_argument("--layers", help=LAYERS_HELP)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer")
    parser.add_argument("--lr", type=float, help="learning rate")
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES,
                        help="constant, or cosine decay to 0 over all training steps")
    parser.add_argument("--momentum", type=float, help="momentum (SGD only)")
    parser.add_argument("--loss", choices=LOSSES, help="loss (categorical uses one-hot labels)")
    parser.add_argument("--epochs", type=int, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, help="images per gradient step")
    parser.add_argument("--validation-split", type=float,
                        help="fraction of the training set held out for validation (0 to 0.5)")
    parser.add_argument("--validate-on-test", action=argparse.BooleanOptionalAction, default=None,
                        help="validate on the test set each epoch (as some tutorials do)")
    parser.add_argument("--train-size", type=int, help="use a seeded random subset of N training images")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="random zoom/rotation/shift/stroke thickness, for hand-drawn digits")
    parser.add_argument("--styles", action=argparse.BooleanOptionalAction, default=None,
                        help="redraw some digits in styles MNIST lacks (slashed 0, European 1, crossed 7, ...)")
    parser.add_argument("--negatives", type=float,
                        help="synthetic non-digits per training digit, trained toward uniform (0 = off)")
    parser.add_argument("--seed", type=int, help="random seed (same seed, same history on CPU)")
    parser.add_argument("--data", help=f"local MNIST .npz (default: ${ENV_VAR}, else Keras download)")
    parser.add_argument("--out", help="model file to write (.keras); default runs/<preset>.keras")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    return parser.parse_args(argv)


def spec_from_args(args: argparse.Namespace) -> ModelSpec:
    spec = PRESETS[args.preset].spec
    changes = {
        "layers": parse_layers(args.layers) if args.layers is not None else None,
        "optimizer": args.optimizer, "learning_rate": args.lr, "lr_schedule": args.lr_schedule, "momentum": args.momentum,
        "loss": args.loss, "epochs": args.epochs, "batch_size": args.batch_size,
        "validation_split": args.validation_split, "validate_on_test": args.validate_on_test,
        "train_size": args.train_size, "augment": args.augment, "seed": args.seed,
        "styles": args.styles, "negatives": args.negatives,
    }
    return validate(spec.replace(**{k: v for k, v in changes.items() if v is not None}))


def print_progress(event: dict) -> None:
    if event["kind"] != "epoch":
        return
    logs = event["logs"]
    line = (f"epoch {event['epoch']:>3}/{event['epochs']}  {event['seconds']:6.1f}s  "
            f"loss {logs.get('loss', float('nan')):.4f}  acc {logs.get('accuracy', float('nan')):.4f}")
    if "val_loss" in logs:
        line += f"  val_loss {logs['val_loss']:.4f}  val_acc {logs.get('val_accuracy', float('nan')):.4f}"
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        spec = spec_from_args(args)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or f"runs/{args.preset}.keras")
    if out.suffix != ".keras":
        print(f"error: --out must end in .keras, not {out.name!r}.", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"error: {out} exists; pass --force to overwrite it or choose another --out.", file=sys.stderr)
        return 2
    try:
        data = load_mnist(args.data)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    # Import Keras only after the input is known to be good: bad input answers fast.
    from digitstudio.modeling.spec import count_params
    from digitstudio.training.fit import save_result, train

    print(f"Training {spec.layers_compact() or '(softmax only)'} → softmax: {count_params(spec):,} parameters, "
          f"{spec.optimizer} lr {spec.learning_rate:g}, {spec.epochs} epochs, batch {spec.batch_size}, "
          f"data {data.source}", flush=True)
    result = train(spec, data, on_progress=print_progress)
    if result.status in ("diverged", "failed"):
        print(f"error: {result.message}", file=sys.stderr)
        return 1
    command = " ".join(shlex.quote(a) for a in ["python", "train.py", *(argv if argv is not None else sys.argv[1:])])
    json_path = save_result(result, out, extra={"command": command, "preset": args.preset})
    print(f"test accuracy {result.test_accuracy:.4f}  test loss {result.test_loss:.4f}  "
          f"({result.train_seconds:.1f}s, {result.status})")
    if result.not_sure:
        ns = result.not_sure
        print(f"not-sure threshold {ns['threshold']:.4f}: {ns['digits_rejected']:.1%} of {ns['held_out_digits']} "
              f"held-out digits, {ns['negatives_rejected']:.1%} of {ns['held_out_negatives']} non-digits")
    print(f"wrote {out} and {json_path}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
