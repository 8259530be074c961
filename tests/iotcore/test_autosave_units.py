"""The persistence settings and the core's save driver, without a broker."""

from __future__ import annotations

import pytest

from emulator.iotcore import autosave
from emulator.iotcore.autosave import DEFAULT_AUTOSAVE, Autosave, SaveDriver


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("every-change", [("autosave_interval", "1"), ("autosave_on_changes", "true")]),
        ("changes:100", [("autosave_interval", "100"), ("autosave_on_changes", "true")]),
        ("seconds:60", [("autosave_interval", "60"), ("autosave_on_changes", "false")]),
        ("on-exit", [("autosave_interval", "0"), ("autosave_on_changes", "false")]),
        ("max-rate:10", [("autosave_interval", "60"), ("autosave_on_changes", "false")]),
    ],
)
def test_each_setting_and_its_configuration(text: str, lines: list[tuple[str, str]]) -> None:
    setting = Autosave.parse(text)
    assert str(setting) == text
    assert setting.settings() == lines
    assert setting.driven == text.startswith("max-rate")


@pytest.mark.parametrize("text", ["sometimes", "seconds:0", "changes:-1", "max-rate:1000", ""])
def test_bad_settings_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="autosave"):
        Autosave.parse(text)


def test_the_default_is_driven_ten_times_a_second_at_most() -> None:
    assert str(DEFAULT_AUTOSAVE) == "max-rate:10" and DEFAULT_AUTOSAVE.driven


def test_the_driver_saves_after_traffic_only(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = {"n": 100}
    monkeypatch.setattr(autosave, "bytes_read", lambda pid: reads["n"])
    saves: list[int] = []
    driver = SaveDriver(10, lambda: 42, lambda: saves.append(reads["n"]))
    driver.poll()  # the first look saves (nothing is known of before)
    driver.poll()
    driver.poll()  # idle: nothing to save
    assert saves == [100]
    reads["n"] = 164  # a message arrived
    driver.poll()
    driver.poll()
    assert saves == [100, 164]


def test_a_new_broker_process_is_saved_and_an_absent_one_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(autosave, "bytes_read", lambda pid: 100)
    pid: dict[str, int | None] = {"now": 42}
    saves: list[int | None] = []
    driver = SaveDriver(10, lambda: pid["now"], lambda: saves.append(pid["now"]))
    driver.poll()
    pid["now"] = None  # restarting
    driver.poll()
    pid["now"] = 43  # the supervisor's new broker
    driver.poll()
    assert saves == [42, 43]


def test_without_proc_it_saves_every_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autosave, "bytes_read", lambda pid: None)
    saves: list[int] = []
    driver = SaveDriver(10, lambda: 42, lambda: saves.append(1))
    for _ in range(3):
        driver.poll()
    assert len(saves) == 3
