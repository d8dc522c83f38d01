"""A class challenge in a real browser (#26): the teacher (1920×1080, passcode in the sidebar)
opens it from the Class page; three students on phones (390×844, touch) train from the sidebar
within its budget — one over it is refused in one line before anything trains — and the
teacher's board lists every student's run, best first.

Set DIGIT_STUDIO_SCREENS=docs/screens to keep the screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digitstudio.storage.board import ClassBoard
from digitstudio.storage.drawings import DrawingStore
from testkit.browser_support import shown_value, type_and_enter, wait_idle
from testkit.waiting import wait_until

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
STUDENTS = ["Ada", "Leo", "Mia"]


def shot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("DIGIT_STUDIO_SCREENS") or tmp_path)
    page.screenshot(path=str(folder / name))


def board_runs(data) -> list:
    """The board as the server stored it (the page draws its table on a canvas, not in the DOM)."""
    store = DrawingStore(data_dir=data)
    try:
        board = ClassBoard(store)
        challenge = board.current()
        return board.runs(challenge.id) if challenge is not None else []
    finally:
        store.close()


def test_a_teacher_and_three_phones_run_a_class_challenge(chrome, classroom_server, tmp_path):
    classroom, data = classroom_server
    teacher_context = chrome.new_context(viewport={"width": 1920, "height": 1080})
    teacher = teacher_context.new_page()
    teacher.goto(f"{classroom}/class")
    wait_idle(teacher)
    sidebar = teacher.locator(SIDEBAR)
    sidebar.get_by_text("Teacher", exact=True).click()
    type_and_enter(sidebar.get_by_label("Teacher passcode", exact=True), "owl")
    wait_idle(teacher)
    sidebar.get_by_text("You are the teacher").wait_for(timeout=30_000)
    main = teacher.locator('[data-testid="stMain"]')
    form = main.locator('[data-testid="stExpander"]', has_text="Class challenge")
    form.get_by_label("Question", exact=True).fill("Best accuracy in one epoch on 1,000 images")
    for label, value in (("Training images", "1000"), ("Epochs", "1"), ("Parameters", "500000")):
        type_and_enter(form.get_by_label(label, exact=True), value)
        wait_idle(teacher)
    form.get_by_role("button", name="Open the challenge").click()
    wait_idle(teacher)
    main.get_by_text("Challenge: Best accuracy in one epoch on 1,000 images").wait_for(timeout=30_000)

    phones = []
    for k, name in enumerate(STUDENTS):
        context = chrome.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
        phone = context.new_page()
        phone.goto(f"{classroom}/?name={name}")
        wait_idle(phone)
        phone.locator('[data-testid="stExpandSidebarButton"]').tap()
        bar = phone.locator(SIDEBAR)
        bar.get_by_text("Class challenge:").wait_for(timeout=30_000)
        if k == 0:  # over the budget first: refused in one line, nothing queued
            type_and_enter(bar.get_by_label("Training images", exact=True), "5000")
            wait_idle(phone)
            bar.get_by_role("button", name="Train", exact=True).tap()
            wait_idle(phone)
            bar.get_by_text("set Training images to 1,000 or fewer").wait_for(timeout=30_000)
            shot(phone, "phone-challenge-refused.png", tmp_path)
        type_and_enter(bar.get_by_label("Training images", exact=True), "1000")
        wait_idle(phone)
        type_and_enter(bar.get_by_label("Epochs", exact=True), "1")
        wait_idle(phone)
        bar.get_by_role("button", name="Train", exact=True).tap()
        wait_idle(phone)
        bar.get_by_text("Your training:").wait_for(timeout=30_000)  # queued, running or done, said where she looks
        phones.append((context, phone))

    def all_finished() -> bool:
        runs = board_runs(data)
        return sorted(r.nickname for r in runs if r.status == "completed") == STUDENTS


    try:
        wait_until(all_finished, timeout=300, poll=1.0)  # the board shows the three students' finished runs
    except AssertionError:
        teacher.screenshot(path=str(tmp_path / "teacher-timeout.png"), full_page=True)
        for k, (_, phone) in enumerate(phones):
            phone.screenshot(path=str(tmp_path / f"phone-{k}-timeout.png"), full_page=True)
        raise
    runs = board_runs(data)
    assert [r.test_accuracy for r in runs] == sorted((r.test_accuracy for r in runs), reverse=True)  # best first
    assert all(r.params and r.seconds and "1 ep" in r.setup for r in runs)
    pick = main.locator('[data-testid="stSelectbox"]', has_text="Make a run the class's model")
    pick.wait_for(timeout=30_000)  # the live board (refreshed every 3 s) offers the finished runs
    shown = shown_value(pick)
    assert f"({runs[0].test_accuracy:.2%})" in shown, shown  # a best run is offered first
    main.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    shot(teacher, "teacher-challenge-board.png", tmp_path)
    main.get_by_role("button", name="Make it the class's model").click()
    wait_idle(teacher)
    for context, _ in phones:
        context.close()
    teacher_context.close()
