"""Every setting of the app and train.py, in one place: `MNIST_NPZ` and `DIGIT_STUDIO_*`.

Each setting is declared once below (`SETTINGS`: its environment variable, default and
one line of help; the README's settings table lists the same rows, and
tests/test_settings.py checks both ways). `settings()` reads the environment into a
frozen `Settings`, again only when one of these variables has changed, so every module
asks it instead of reading `os.environ` itself.

Default paths are relative to the repository (the folder that holds app.py), so the
app finds its model and keeps its runs in the same place whatever the working
directory; a path given in a variable is taken as given (relative to the working
directory, as a shell would), then made absolute.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: app.py, model/, runs/


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    field: str  # the Settings attribute
    default: str  # the default, in words (the README's column)
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("MNIST_NPZ", "mnist_npz", "Keras download",
            "a local MNIST .npz with keys x_train, y_train, x_test, y_test (offline machines); train.py --data"),
    Setting("DIGIT_STUDIO_REAL_DATA", "real_data", "Keras cache, else built from the public sources",
            "the real-handwriting .npz (Quick, Draw! doodles, Omniglot characters, Semeion digits) that "
            "--preset cnn trains on; train.py --real-data"),
    Setting("DIGIT_STUDIO_CLASSROOM", "classroom", "off",
            "1 = classroom mode: students draw and label, training is the teacher's"),
    Setting("DIGIT_STUDIO_TEACHER_PASSCODE", "teacher_passcode", "nobody",
            "in classroom mode, who may teach the class's model and clear its digits"),
    Setting("DIGIT_STUDIO_MAX_TRAININGS", "max_trainings", "1 (with Ray: the cluster's CPUs)",
            "trainings run at once (the rest wait in a queue)"),
    Setting("DIGIT_STUDIO_TRAINING_WORKERS", "training_workers", "process",
            "process = each training runs in a lower-priority child process, so drawing never waits on it; "
            "thread = in the app's own process"),
    Setting("DIGIT_STUDIO_RAY_ADDRESS", "ray_address", "none: trainings run on this server",
            "a Ray cluster for every training, e.g. 192.168.1.20:6379 (docs/deployment.md); as many trainings "
            "at once as it has CPUs"),
    Setting("DIGIT_STUDIO_RUNS", "runs", "runs/", "folder for runs (models, records, logs)"),
    Setting("DIGIT_STUDIO_DATA", "data", "data/", "folder for the labelled-digits database (SQLite, WAL mode)"),
    Setting("DIGIT_STUDIO_DATABASE_URL", "database_url", "SQLite in DIGIT_STUDIO_DATA",
            "a PostgreSQL database instead, e.g. postgresql+psycopg://user:pw@host:5432/digits"),
    Setting("DIGIT_STUDIO_MODEL", "model", "model/digit_cnn.keras", "the model everyone draws with by default"),
    Setting("DIGIT_STUDIO_TF_THREADS", "tf_threads", "TensorFlow's choice",
            "TensorFlow's intra-op threads (threads one operation may use)"),
    Setting("DIGIT_STUDIO_TF_INTER_THREADS", "tf_inter_threads", "TensorFlow's choice",
            "TensorFlow's inter-op threads (operations run side by side)"),
)
SETTING = {s.field: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    mnist_npz: Path | None = None
    real_data: Path | None = None
    classroom: bool = False
    teacher_passcode: str = ""
    max_trainings: int | None = None  # None: 1 on this server, the cluster's slots with Ray
    training_workers: str = "process"  # "process" or "thread"
    ray_address: str = ""  # "" = no cluster
    runs: Path = ROOT / "runs"
    data: Path = ROOT / "data"
    database_url: str = ""
    model: Path = ROOT / "model" / "digit_cnn.keras"
    tf_threads: int = 0  # 0 = TensorFlow's choice
    tf_inter_threads: int = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read every setting from `environ` (default os.environ). Blank means unset; a
        count that is not a whole number falls back to its default."""
        env = os.environ if environ is None else environ

        def text(field: str) -> str:
            return str(env.get(SETTING[field].env, "")).strip()

        def path(field: str) -> Path | None:
            return Path(text(field)).expanduser().absolute() if text(field) else None

        def count(field: str, default: int, low: int) -> int:
            try:
                return max(low, int(text(field))) if text(field) else default
            except ValueError:
                return default

        defaults = cls()
        return cls(
            mnist_npz=path("mnist_npz"),
            real_data=path("real_data"),
            classroom=text("classroom").lower() in ("1", "true", "yes", "on"),
            teacher_passcode=text("teacher_passcode"),
            max_trainings=count("max_trainings", 1, 1) if text("max_trainings") else None,
            training_workers="thread" if text("training_workers").lower() == "thread" else "process",
            ray_address=text("ray_address"),
            runs=path("runs") or defaults.runs,
            data=path("data") or defaults.data,
            database_url=text("database_url"),
            model=path("model") or defaults.model,
            tf_threads=count("tf_threads", 0, 0),
            tf_inter_threads=count("tf_inter_threads", 0, 0),
        )


_cache: tuple[tuple[str, ...], Settings] | None = None


def settings() -> Settings:
    """The current settings: read from the environment on the first call and again only
    when one of SETTINGS' variables has changed (a test's monkeypatch, a CLI flag)."""
    global _cache
    seen = tuple(os.environ.get(s.env, "") for s in SETTINGS)
    if _cache is None or _cache[0] != seen:
        _cache = (seen, Settings.from_env())
    return _cache[1]


def markdown_table() -> str:
    """The settings as the README's Markdown table (tests/test_settings.py keeps them equal)."""
    rows = ["| setting | what it does | default |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {s.help} | {s.default} |" for s in SETTINGS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
