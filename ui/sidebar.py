"""The sidebar's training form: preset, layer table, the spec's settings, Check/Train,
and the share link. Every control's label, range and help come from the spec's field
table (digitstudio/modeling/spec.py FIELDS) and the layer catalogue."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from digitstudio.export.share import spec_from_query, spec_to_query
from digitstudio.modeling.cli import command_line
from digitstudio.modeling.layers import ACTIVATIONS, CATALOGUE, LAYER_TYPES, TABLE_COLUMNS
from digitstudio.modeling.naming import run_name
from digitstudio.modeling.presets import DEFAULT_PRESET, PRESETS, matching_preset
from digitstudio.modeling.spec import (
    FIELD,
    FIELDS,
    ModelSpec,
    SpecError,
    layer_plan,
    layers_from_rows,
    layers_to_rows,
    validate,
)
from digitstudio.storage.board import Challenge, budget_problem
from digitstudio.training.jobs import JobKind, JobLimitError, JobState
from ui.board import board_recorder, current_challenge
from ui.drawing import submission_drawing
from ui.replay import range_test_chart
from ui.resources import classroom_mode, mnist_problem, training_manager
from ui.session import DONE_KEY, JOB_KEY, NICKNAME_KEY, RANGE_KEY, session_id, widget_key
from ui.viewport import is_phone

PRESET_KEY = "preset"
CUSTOM = "custom"  # the preset box's value once the setup no longer matches a preset
LINK_KEY = "_shared_link"  # session_state: {"spec", "error"} from the link this session opened with
OPTIMIZER_LABELS = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}


# --- form state <-> spec -------------------------------------------------------------------

def _fill_from_spec(spec: ModelSpec) -> None:
    state = st.session_state
    state["layer_rows"] = layers_to_rows(spec.layers)
    state["layer_table_gen"] = state.get("layer_table_gen", 0) + 1
    for field in FIELDS:
        value = getattr(spec, field.name)
        state[widget_key(field.name)] = field.high if field.optional and value is None else value


def spec_from_form(rows: list[dict]) -> ModelSpec:
    """The setup in the controls, validated (SpecError says what to fix)."""
    values = {}
    for field in FIELDS:
        value = st.session_state[widget_key(field.name)]
        values[field.name] = None if field.optional and value is not None and value >= field.high else value
    return validate(ModelSpec(layers=layers_from_rows(rows), **values))


def setup_name(spec: ModelSpec) -> str:
    """The preset's name when the setup is one exactly, else "custom"."""
    return matching_preset(spec) or CUSTOM


def _read_shared_link() -> dict:
    """Once per session, before the controls exist: a link's setup (?preset=… or ?spec=…,
    see digitstudio/export/share.py) fills them. A link that fails validation changes
    nothing; its reason is kept to show until the user moves on (Check, Train or a preset)."""
    if LINK_KEY not in st.session_state:
        try:
            link = {"spec": spec_from_query(st.query_params.to_dict()), "error": ""}
        except SpecError as exc:
            link = {"spec": None, "error": str(exc)}
        st.session_state[LINK_KEY] = link
        if link["spec"] is not None:
            st.session_state[PRESET_KEY] = setup_name(link["spec"])
            _fill_from_spec(link["spec"])
    return st.session_state[LINK_KEY]


def _forget_link_error() -> None:
    st.session_state.get(LINK_KEY, {})["error"] = ""


def _on_preset_change() -> None:
    _forget_link_error()
    if st.session_state[PRESET_KEY] in PRESETS:
        _fill_from_spec(PRESETS[st.session_state[PRESET_KEY]].spec)


# --- controls ---------------------------------------------------------------------------------
#
# Each control also gets its session-state value as its default. A value set through
# st.session_state reaches the browser with the run that set it; when a rerun replaces
# that run before the browser has drawn the control (someone types a nickname while the
# first page is still loading), the browser draws it from its default. Without one that
# is the control's minimum (1 epoch, batch 1, SGD), which Check or Train would then send
# back. (Keyed controls keep their identity when the default changes; Streamlit's log
# warning about a default beside a session-state value is off in .streamlit/config.toml.)

def _number(container, name: str, **extra) -> None:
    """A number input for a spec field, its label, limits, step and help from the field table."""
    field = FIELD[name]
    high = field.high
    if field.high_open:  # [low, high): the control stops just below
        high = high - 1 if field.type == "int" else high - 1e-6
    container.number_input(field.label, min_value=field.low, max_value=high, step=field.step,
                           value=st.session_state[widget_key(name)], key=widget_key(name), help=field.help,
                           on_change=_setup_changed, **extra)


def _choice(container, name: str, **extra) -> None:
    field = FIELD[name]
    choices = list(field.choices)
    container.selectbox(field.label, choices, index=choices.index(st.session_state[widget_key(name)]),
                        key=widget_key(name), help=field.help, on_change=_setup_changed, **extra)


def _check(container, name: str) -> None:
    field = FIELD[name]
    container.checkbox(field.label, value=bool(st.session_state[widget_key(name)]), key=widget_key(name),
                       help=field.help, on_change=_setup_changed)


def _apply_table_edits(rows: list[dict], delta: dict) -> list[dict]:
    """The layer table's rows after a data_editor change (`delta`: Streamlit's
    {"edited_rows": {index: {column: value}}, "deleted_rows": [index], "added_rows": [row]},
    indices into `rows`)."""
    rows = [dict(row) for row in rows]
    for index, changes in (delta.get("edited_rows") or {}).items():
        if int(index) < len(rows):
            rows[int(index)].update(changes)
    deleted = {int(index) for index in delta.get("deleted_rows") or []}
    rows = [row for index, row in enumerate(rows) if index not in deleted]
    for added in delta.get("added_rows") or []:
        rows.append({**dict.fromkeys(TABLE_COLUMNS), **added})
    return rows


def _table_edited() -> None:
    """A cell, a new row or a deleted row: commit it to the setup (session_state["layer_rows"],
    the one source of truth), then remount the table from it, so what the table shows is what
    Check and Train use after any number of trainings, reruns and page changes."""
    state = st.session_state
    key = f"layer_table_{state.get('layer_table_gen', 0)}"
    state["layer_rows"] = _apply_table_edits(state["layer_rows"], state.get(key) or {})
    state["layer_table_gen"] = state.get("layer_table_gen", 0) + 1
    _setup_changed()


def _setup_changed() -> None:
    """After any control changed: the preset box reads the preset the setup now is, or
    "custom" the moment it differs from every preset; an old link error is gone."""
    _forget_link_error()
    spec, _ = current_setup()
    st.session_state[PRESET_KEY] = setup_name(spec) if spec is not None else CUSTOM


def _layer_editor() -> None:
    rows = pd.DataFrame(st.session_state["layer_rows"], columns=list(TABLE_COLUMNS))
    help_of = {column: "; ".join(f"{p.help} ({kind.name})" for kind in CATALOGUE.values() for p in kind.params
                                 if p.column == column) for column in TABLE_COLUMNS}
    limits = {column: [p for kind in CATALOGUE.values() for p in kind.params if p.column == column]
              for column in TABLE_COLUMNS}
    st.data_editor(
        rows, key=f"layer_table_{st.session_state.get('layer_table_gen', 0)}", on_change=_table_edited,
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "layer": st.column_config.SelectboxColumn(
                "layer", options=list(LAYER_TYPES), required=True, width="medium",
                help="; ".join(f"{kind.name}: {kind.help}" for kind in CATALOGUE.values())),
            "size": st.column_config.NumberColumn("size", min_value=min(p.low for p in limits["size"]), step=1,
                                                  help=help_of["size"], width=48),
            "kernel": st.column_config.NumberColumn("kernel", min_value=min(p.low for p in limits["kernel"]),
                                                    max_value=max(p.high for p in limits["kernel"]), step=1,
                                                    help=help_of["kernel"], width=48),
            "activation": st.column_config.SelectboxColumn("activation", options=list(ACTIVATIONS),
                                                           help=help_of["activation"], width=72),
            "rate": st.column_config.NumberColumn("rate", min_value=0.0, max_value=0.99, step=0.05,
                                                  help=help_of["rate"], width=48),
        },
    )


JOB_PARAM = "job"  # the address's ?job=…: this browser's training, across a reload


def restore_job() -> None:
    """A reload mid-training starts a new session: the training in the address (?job=…, set
    when it was started) is this browser's again, with its panel and its setup in the sidebar.
    Before the sidebar is drawn; the training queue (and Keras) load only when there is one."""
    job = st.query_params.get(JOB_PARAM)
    if not job or JOB_KEY in st.session_state or st.session_state.get("_job_restored"):
        return
    st.session_state["_job_restored"] = True
    snapshot = training_manager().adopt(job, session_id())
    if snapshot is None:  # forgotten (a restart) or another browser's: nothing to restore
        del st.query_params[JOB_PARAM]
        return
    st.session_state[JOB_KEY] = job
    if snapshot.kind in (JobKind.TRAIN,):
        st.session_state[PRESET_KEY] = setup_name(snapshot.spec)
        _fill_from_spec(snapshot.spec)


def training_form(locked: bool = False, challenge: Challenge | None = None) -> None:
    """The sidebar: preset, layer table, optimizer, learning rate, epochs, batch size…

    No st.form: each control commits its value when it changes (Enter in a number field
    only commits that number), so what the controls show is always the setup, and only
    the Check, Train and Find a learning rate buttons act."""
    link = _read_shared_link()
    if "layer_rows" not in st.session_state:
        st.session_state.setdefault(PRESET_KEY, DEFAULT_PRESET)
        _fill_from_spec(PRESETS[st.session_state[PRESET_KEY]].spec)
    st.header("Train a model")
    if link["error"]:
        st.error(f"The link's setup was not used: {link['error']}", icon=":material/link_off:")
    if locked:
        st.info("Training is switched off on this server (classroom mode). Drawing and the "
                "inside views still work.")
        if link["spec"] is not None:  # read-only: nothing here can start a training
            st.markdown("**The teacher's setup** (from the link)")
            st.code(command_line(link["spec"]), language="bash", wrap_lines=True)
        return
    if link["spec"] is not None:
        st.caption("Filled in from the link you opened.")
    if challenge is not None:
        st.info(f"**Class challenge: {challenge.question}.** Budget: {challenge.budget_words()}. Your run goes "
                "on the board on the Class page.", icon=":material/emoji_events:")
    data_problem = mnist_problem()
    if data_problem:
        st.warning(data_problem, icon=":material/cloud_off:")
    setups = [*PRESETS, CUSTOM]
    st.selectbox("Preset", setups, index=setups.index(st.session_state[PRESET_KEY]),
                 key=PRESET_KEY, on_change=_on_preset_change,
                 format_func=lambda name: f"{name} · {PRESETS[name].title}" if name in PRESETS else
                 "custom · your own setup",
                 help="Fills every control below; then change what you like.")
    preset = PRESETS.get(st.session_state[PRESET_KEY])
    st.caption(preset.reported if preset else "A setup of your own (no preset matches it).")
    st.markdown("**Layers** (input 28×28 → … → softmax over 10 digits)")
    _layer_editor()
    st.caption("Add rows at the bottom, delete with the row checkbox, reorder by editing rows. "
               "The 10-way softmax output is added for you.")
    _choice(st, "optimizer", format_func=OPTIMIZER_LABELS.get)
    c1, c2 = st.columns(2)
    _number(c1, "learning_rate", format="%.5f")
    _choice(c2, "lr_schedule")
    finding = st.button("Find a learning rate", icon=":material/troubleshoot:", disabled=bool(data_problem),
                        help="A short range test (L. N. Smith 2017): a few hundred batches on a copy of the "
                             "model with the rate growing; suggests a rate to use")
    if finding:
        start_range_test()
    range_test_box()
    c1, c2 = st.columns(2)
    _number(c1, "epochs")
    _number(c2, "batch_size")
    _number(c1, "train_size")
    _number(c2, "validation_split")
    with st.expander("More options"):
        _number(st, "momentum")
        _choice(st, "loss")
        _check(st, "validate_on_test")
        _check(st, "augment")
        _check(st, "styles")
        _number(st, "negatives")
        _number(st, "negatives_mix")
        _number(st, "negatives_weight")
        _number(st, "real_negatives")
        _number(st, "real_digits")
        _choice(st, "input_scale")
        _number(st, "seed")
    check, train = st.columns(2)
    checked = check.button("Check", width="stretch", on_click=_forget_link_error)
    started = train.button("Train", type="primary", width="stretch", on_click=_forget_link_error,
                           disabled=bool(data_problem))  # it could only fail
    if checked or started:
        _check_and_start(start=started)
    _job_line()
    _augmentation_box()
    _share_box()


def _augmentation_box() -> None:
    """What augmentation does, shown on your drawing and on MNIST digits; moving a setting
    redraws the grid, and Train uses the settings (when Augment is on)."""
    from ui.augmentation import augmentation_grid

    with st.expander("Augmentation, shown", icon=":material/auto_awesome_motion:"):
        for name in ("augment_rotation", "augment_zoom", "augment_shift", "augment_stroke"):
            field = FIELD[name]
            st.slider(field.label, min_value=field.low, max_value=field.high, step=field.step,
                      value=st.session_state[widget_key(name)], key=widget_key(name), help=field.help,
                      on_change=_setup_changed)
        # drawn on request: the grid runs Keras's augmentation layers, and the expander's body runs
        # on every rerun, open or not (it would load TensorFlow before the first canvas)
        if st.toggle("Show examples", key="show_augmentation",
                     help="Your drawing and three MNIST digits, each five times through the augmentation "
                          "a training applies to every batch"):
            augmentation_grid({name: st.session_state[widget_key(f"augment_{name}")]
                               for name in ("rotation", "zoom", "shift", "stroke")})
        if not st.session_state.get(widget_key("augment")):
            st.caption("Augment is off (More options): switch it on to train with these settings.")


def current_setup() -> tuple[ModelSpec | None, str]:
    """The setup in the controls, validated: (spec, "") or (None, why not). Validated once
    per change of the controls, however many pieces of the page ask (the Train button, the
    share link, the presenter's QR code): cached in session_state under the controls' values."""
    state = st.session_state
    values = json.dumps([state["layer_rows"], {f.name: state.get(widget_key(f.name)) for f in FIELDS}],
                        default=str, sort_keys=True)
    cached = state.get("_setup")
    if cached is None or cached[0] != values:
        try:
            cached = (values, spec_from_form(state["layer_rows"]), "")
        except SpecError as exc:
            cached = (values, None, str(exc))
        state["_setup"] = cached
    return cached[1], cached[2]


def _check_and_start(start: bool) -> None:
    spec, error = current_setup()
    if spec is None:
        st.error(error, icon=":material/error:")
        return
    _show_plan(spec)
    if start:
        _start(spec)


def setup_query() -> dict[str, str]:
    """The current setup as a link's query ({"preset": …} or {"spec": …}), {} if it is invalid."""
    spec, _ = current_setup() if "layer_rows" in st.session_state else (None, "")
    return spec_to_query(spec) if spec is not None else {}


def _share_box() -> None:
    """The current setup as a link (to this page) to paste into a chat or onto the board."""
    with st.expander("Share this setup", icon=":material/share:"):
        spec, error = current_setup()
        if spec is None:
            st.caption(f"Fix the setup first: {error}")
            return
        page = (st.context.url or "").split("?")[0].rstrip("/")
        st.code(f"{page}?{urlencode(spec_to_query(spec))}", language=None, wrap_lines=True)
        st.caption("Opening this link fills these controls with the setup they show now.")


def _show_plan(spec: ModelSpec) -> None:
    plan = layer_plan(spec.layers)
    total = sum(step["params"] for step in plan)
    st.success(f"{total:,} parameters", icon=":material/check:")
    st.dataframe(pd.DataFrame([{
        "layer": CATALOGUE[step["type"]].title + (" (added)" if step["implied"] else ""),
        "output": "×".join(str(n) for n in step["output_shape"]),
        "params": step["params"],
    } for step in plan]), hide_index=True, width="stretch")


def _start(spec: ModelSpec) -> None:
    challenge = current_challenge() if classroom_mode() else None
    if challenge is not None:  # a student's run in a class challenge: within its budgets, on its board
        refusal = budget_problem(challenge, spec)
        if refusal:
            st.error(refusal, icon=":material/block:")
            st.toast(refusal, icon=":material/block:")  # a phone's sidebar shows Train at its fold
            return
        board_recorder()  # the board records the run whether or not anyone has it open
    tags = {"challenge": challenge.id, "who": st.session_state.get(NICKNAME_KEY) or "anonymous",
            "server": socket.gethostname()} if challenge is not None else None
    try:
        st.session_state[JOB_KEY] = training_manager().submit(
            spec, label=run_name(spec), owner=session_id(), drawing=submission_drawing(),
            replace_kinds=(JobKind.LR_RANGE,),  # Train while a learning-rate search runs: the search stops
            tags=tags, max_seconds=challenge.max_seconds if challenge is not None else None)
    except JobLimitError as exc:
        st.warning(str(exc), icon=":material/hourglass:")
        return
    st.session_state.pop(DONE_KEY, None)
    st.query_params[JOB_PARAM] = st.session_state[JOB_KEY]  # a reload finds it again (restore_job)
    snapshot = training_manager().snapshot(st.session_state[JOB_KEY])
    if snapshot is not None:  # seen at once, wherever the sidebar is scrolled
        st.toast(f"Started: {_job_words(snapshot)}", icon=":material/play_arrow:")


def _job_words(snapshot) -> str:
    """Where a training is, in words: "number 2 in the queue; its progress shows on the page",
    "running; …", "completed, 91.20% test accuracy; the result is on the page". On a phone the
    sidebar covers the page where the live panel is, and this says so."""
    page = ", behind this panel (close it with ✕)." if is_phone() else "."
    if snapshot.state is JobState.QUEUED:
        return f"number {snapshot.queue_position} in the queue; its progress shows on the page{page}"
    if snapshot.state.active:
        return f"running; its progress is on the page{page}"
    result = f", {snapshot.test_accuracy:.2%} test accuracy" if snapshot.test_accuracy is not None else ""
    return f"{snapshot.state.value}{result}; the result is on the page{page}"


def _job_line() -> None:
    """Under Train, on every run: where this session's training is (queued, training, done),
    so a student whose sidebar covers the page knows without closing it."""
    job = st.session_state.get(JOB_KEY)
    if not job:
        return  # nothing started: the queue (and Keras) stay unloaded
    snapshot = training_manager().snapshot(job)
    if snapshot is None or snapshot.kind is not JobKind.TRAIN:
        return
    icon = (":material/hourglass:" if snapshot.state is JobState.QUEUED else
            ":material/play_arrow:" if snapshot.state.active else ":material/check:")
    st.caption(f"{icon} Your training: {_job_words(snapshot)}")


def start_range_test() -> None:
    """The sidebar's "Find a learning rate": queue a range test of the setup shown."""
    from digitstudio.training.lr_finder import submit_range_test

    spec, error = current_setup()
    if spec is None:
        st.error(error, icon=":material/error:")
        return
    try:
        st.session_state[RANGE_KEY] = submit_range_test(training_manager(), spec, owner=session_id())
    except JobLimitError as exc:
        st.warning(str(exc), icon=":material/hourglass:")


def _use_rate(rate: float) -> None:
    st.session_state[widget_key("learning_rate")] = rate
    _setup_changed()


@st.fragment(run_every=0.5)
def _range_test_live() -> None:
    snapshot = training_manager().snapshot(st.session_state.get(RANGE_KEY))
    if snapshot is None:
        return
    if snapshot.state.final:
        st.rerun()  # the whole sidebar: the result replaces the progress
    progress = snapshot.progress
    text = (f"Waiting in the queue (number {snapshot.queue_position})" if snapshot.state is JobState.QUEUED
            else f"Finding a learning rate · batch {progress.batch}/{progress.batches}")
    bar, stop = st.columns([4, 1], vertical_alignment="center")
    bar.progress(progress.fraction, text=text)
    stop.button("Stop", key="stop_range_test", on_click=training_manager().stop, args=(snapshot.job_id,),
                kwargs={"owner": session_id()}, help="Stop the search")


def range_test_box() -> None:
    """Under Learning rate: the range test's progress, then its chart and the suggested rate
    with a button that fills it in (where the engineer is looking, not below the page)."""
    if st.session_state.get(RANGE_KEY) is None:  # no search yet: the queue (and Keras) stay unloaded
        return
    snapshot = training_manager().snapshot(st.session_state.get(RANGE_KEY))
    if snapshot is None:
        return
    if snapshot.state.active:
        _range_test_live()
        return
    details = snapshot.details
    if not details.get("rates"):
        st.caption(snapshot.message or "The search did not run.")
        return
    st.altair_chart(range_test_chart(details), width="stretch")
    suggestion = details.get("suggestion")
    if suggestion is None:
        st.caption(snapshot.message)
        return
    rate = float(f"{suggestion:.2g}")
    st.caption(f"{len(details['rates'])} batches on a fresh copy of the model, the rate growing exponentially "
               f"(L. N. Smith 2017). Rule: {details['rule']}.")
    st.button(f"Use {rate:g}", on_click=_use_rate, args=(rate,), key="use_found_lr", type="primary",
              icon=":material/check:")
