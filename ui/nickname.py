"""Who is drawing: the nickname. The Draw page asks for it before the first label (one
line, skippable); the sidebar's field (ui/labels.py) changes it. It is kept in the page's
address (`?name=Sam`), so a reload or a bookmark keeps it and the next digits go to the
same person, and the drawings this browser session saved before it had one are given
to it (on the class wall they no longer say "anon"). No account, no other personal data.
"""

from __future__ import annotations

import streamlit as st

from digitstudio.storage.drawings import StoreUnavailable, clean_nickname
from ui.labels import drawing_store
from ui.session import NICKNAME_KEY, session_id

PARAM = "name"  # the query parameter that keeps the nickname across reloads
_SYNCED = "_nickname_synced"  # the nickname last written to the address and given to earlier drawings
_SKIPPED = "_nickname_skipped"  # the person chose "Skip": the Draw page stops asking
_PROMPT = "nickname_prompt"  # the Draw page's field


def restore_nickname() -> None:
    """Once per run, before the sidebar's nickname field: a new session takes the nickname
    from the address; a nickname set since (in the page or the sidebar) goes into the
    address and onto this session's earlier drawings."""
    if NICKNAME_KEY not in st.session_state:
        st.session_state[NICKNAME_KEY] = clean_nickname(st.query_params.get(PARAM, ""))
    name = st.session_state.get(NICKNAME_KEY) or ""
    if name != st.session_state.get(_SYNCED):
        st.session_state[_SYNCED] = name
        if name:
            try:
                drawing_store().adopt(session_id(), name)
            except StoreUnavailable:
                pass  # the label control says what is wrong with the database
    # Streamlit drops the query string when the page changes: put it back on every run.
    if name and st.query_params.get(PARAM) != name:
        st.query_params[PARAM] = name
    elif not name and PARAM in st.query_params:
        del st.query_params[PARAM]


def _from_prompt() -> None:
    name = clean_nickname(st.session_state.get(_PROMPT, ""))
    if name:
        st.session_state[NICKNAME_KEY] = name  # before the sidebar's field is drawn: allowed in a callback


def _skip() -> None:
    st.session_state[_SKIPPED] = True


def nickname_prompt(classroom: bool) -> None:
    """One line above the canvas until the person gives a nickname or skips: the field
    (a name, then Enter) and Skip. Drawings labelled before it are theirs all the same.
    The page's body is a fragment: a name just given reruns the whole app once, so the
    address, the sidebar and the earlier drawings take it (restore_nickname)."""
    if (st.session_state.get(NICKNAME_KEY) or "") != st.session_state.get(_SYNCED, ""):
        st.rerun()
    if st.session_state.get(NICKNAME_KEY) or st.session_state.get(_SKIPPED):
        return
    where = "for the class wall" if classroom else "(keeps your digits together)"
    with st.container(key="nickname-prompt", horizontal=True, vertical_alignment="center", gap="small"):
        st.text_input("Your nickname", key=_PROMPT, max_chars=24, on_change=_from_prompt,
                      placeholder=f"Nickname {where}, then Enter", label_visibility="collapsed",
                      help="Optional. Kept in this page's address, so a reload keeps it. No account and no "
                           "other personal data.")
        st.button("Skip", key="nickname_skip", on_click=_skip, type="tertiary",
                  help="Draw without a nickname (you can set one later in the sidebar)")
