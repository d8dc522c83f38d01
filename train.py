"""Train a Digit Studio model from the command line.

    python train.py --preset seed-mlp
    python train.py --preset cnn --epochs 3 --out runs/my_cnn.keras
    python train.py --layers 'conv2d:16:3,maxpool:2,dense:64' --optimizer sgd --lr 0.05 --momentum 0.9

Writes the model (.keras) and a JSON beside it (spec, per-epoch history, test
metrics, parameter count, time, data source, library versions). The same code
trains models in the app; the options come from the spec's field table.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from digitstudio.data.extra import load_extra, with_extra
from digitstudio.data.mnist import ENV_VAR, DataError, load_mnist
from digitstudio.data.real import ENV_VAR as REAL_ENV_VAR
from digitstudio.data.real import load_real
from digitstudio.modeling.cli import add_spec_arguments, spec_from_args
from digitstudio.modeling.spec import SpecError, count_params
from digitstudio.storage.runs import RunStatus
from digitstudio.training import events


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train an MNIST digit model (same code as the Digit Studio app).",
        epilog=f"Data: without --data, Keras downloads MNIST once; offline, pass --data or set {ENV_VAR} "
        "to a local mnist.npz (keys x_train, y_train, x_test, y_test).",
    )
    add_spec_arguments(parser)
    parser.add_argument("--data", help=f"local MNIST .npz (default: ${ENV_VAR}, else Keras download)")
    parser.add_argument("--extra-data", help="extra labelled digits to add to MNIST's training split: an .npz "
                        "with x uint8 (n, 28, 28) and y labels 0–9, e.g. the app's 'Your handwriting' export")
    parser.add_argument("--real-data", help=f"the real-handwriting .npz for --real-negatives and --real-digits "
                        f"(default: ${REAL_ENV_VAR}, else Keras's cache, else built from the public sources)")
    parser.add_argument("--out", help="model file to write (.keras); default runs/<preset>.keras")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    return parser.parse_args(argv)


def print_progress(event: events.Event) -> None:
    """One line per epoch, and what the training does after its last batch."""
    if isinstance(event, events.Phase):
        print(f"{event.name}…", flush=True)
    if not isinstance(event, events.Epoch):
        return
    logs = event.logs
    line = (f"epoch {event.epoch:>3}/{event.epochs}  {event.seconds:6.1f}s  "
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
        if args.extra_data:
            data = with_extra(data, *load_extra(args.extra_data), source=args.extra_data)
        real = load_real(args.real_data) if spec.real_negatives or spec.real_digits else None
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    # Import Keras only after the input is known to be good: bad input answers fast.
    from digitstudio.training.fit import save_result, train

    print(f"Training {spec.layers_compact() or '(softmax only)'} → softmax: {count_params(spec):,} parameters, "
          f"{spec.optimizer} lr {spec.learning_rate:g}, {spec.epochs} epochs, batch {spec.batch_size}, "
          f"data {data.source}", flush=True)
    log_dir = out.with_name(f"{out.stem}-logs")  # TensorBoard: tensorboard --logdir runs/
    result = train(spec, data, on_progress=print_progress, log_dir=log_dir, real=real)
    if not RunStatus(result.status).keeps_model:
        print(f"error: {result.message}", file=sys.stderr)
        return 1
    command = " ".join(shlex.quote(a) for a in ["python", "train.py", *(argv if argv is not None else sys.argv[1:])])
    json_path = save_result(result, out, extra={"command": command, "preset": args.preset})
    print(f"test accuracy {result.test_accuracy:.4f}  test loss {result.test_loss:.4f}  "
          f"({result.train_seconds:.1f}s, {result.status})")
    ns = result.not_sure or {}
    if ns.get("threshold") is None:
        print(f"no 'not sure' threshold could be chosen ({ns.get('error', 'no held-out digits')}): "
              "this model never says 'not sure'")
    else:
        print(f"not-sure threshold {ns['threshold']:.4f}: {ns['digits_rejected']:.1%} of {ns['held_out_digits']} "
              f"held-out digits, {ns['negatives_rejected']:.1%} of {ns['held_out_negatives']} non-digits")
    print(f"wrote {out}, {json_path} and TensorBoard logs in {log_dir}/")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
