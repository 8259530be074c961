from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from harness.report.html import FOLD, write_html
from harness.results import RunResult, ScenarioResult, StepResult, TimelineEvent

from .sample import CONTROL, HOSTILE, UNICODE, failed_scenario, fingerprint, sample_run


class Page(HTMLParser):
    """What the tests need from the page: elements with attributes, script contents, text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def all_text(self) -> str:
        return "".join(self.text)

    def timeline(self, n: int) -> list[dict[str, Any]]:
        (body,) = [text for attrs, text in self.scripts if attrs.get("id") == f"tl-{n}"]
        events: list[dict[str, Any]] = json.loads(body)
        return events


def _render(run: RunResult, tmp_path: Path) -> str:
    return write_html(run, tmp_path / "report.html").read_text(encoding="utf-8")


def test_nothing_is_loaded_from_the_network(tmp_path: Path) -> None:
    text = _render(sample_run(), tmp_path)
    for needle in ("http://", "https://", "//cdn", "@import", "url("):
        assert needle not in text
    page = Page(text)
    assert not [t for t, attrs in page.tags if "src" in attrs]
    assert not [t for t, _ in page.tags if t in ("link", "iframe", "img", "object", "embed")]
    hrefs = [attrs["href"] for t, attrs in page.tags if t == "a"]
    assert hrefs and all(h is not None and h.startswith("#s-") for h in hrefs)


def test_payload_markup_stays_text(tmp_path: Path) -> None:
    text = _render(sample_run(), tmp_path)
    assert HOSTILE not in text
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text  # step's observed
    page = Page(text)
    # One script for the page and one JSON block per scenario: no injected ones.
    scripts = [attrs for t, attrs in page.tags if t == "script"]
    assert len(scripts) == 1 + len(sample_run().scenarios)
    assert sum(1 for s in scripts if s.get("type") == "application/json") == 5
    raw = [e for e in page.timeline(2) if e["k"] == "mqtt" and "raw" in e["s"]]
    assert raw[0]["x"] == HOSTILE  # the reader sees exactly what the device sent
    assert HOSTILE in page.all_text()  # and the observed text reads as sent, too


def test_header_counts_and_fingerprint(tmp_path: Path) -> None:
    page = Page(_render(sample_run(), tmp_path))
    text = " ".join(page.all_text().split())
    assert "steelhil run FAILED" in text
    for count in ("5total", "2passed", "1failed", "1error", "1skipped"):
        assert count in text.replace(" ", "")
    fp = fingerprint()
    for value in (fp.firmware_sha256, fp.firmware_version, "1234", fp.iotcore, fp.python):
        assert value in text
    assert "scenario scenarios/sensors.yaml" in text and "02" * 32 in text


def test_every_scenario_and_step_is_there(tmp_path: Path) -> None:
    run = sample_run()
    page = Page(_render(run, tmp_path))
    text = page.all_text()
    for name in ("blink", "monitor[threshold=30]", "monitor[threshold=40]", "broken", "button"):
        assert name in text
    for scenario in run.scenarios:
        for step in scenario.steps:
            assert step.title in text
    failing = run.scenarios[1].steps[1]
    assert failing.expected is not None and failing.expected in text
    assert "scenarios/sensors.yaml:14:7 (steps[1].expect.mqtt)" in text
    assert "No alert arrived within 65 s." in text
    assert "unknown key 'expct' (did you mean 'expect'?)" in text
    assert "scenarios/broken.yaml:7:5 (steps[2].expct)" in text


def test_each_scenario_is_in_the_page_once(tmp_path: Path) -> None:
    text = _render(sample_run(), tmp_path)
    for n in range(1, 6):
        assert text.count(f'id="s-{n}"') == 1
        assert text.count(f'id="tl-{n}"') == 1
    assert text.count("<title>") == 1


def test_failed_and_error_scenarios_are_open(tmp_path: Path) -> None:
    page = Page(_render(sample_run(), tmp_path))
    sections = [a for t, a in page.tags if t == "details" and "scenario" in (a.get("class") or "")]
    opened = {(a.get("class") or "").split()[1]: "open" in a for a in sections}
    assert [(a.get("id"), "open" in a) for a in sections] == [
        ("s-1", False),
        ("s-2", True),
        ("s-3", False),
        ("s-4", True),
        ("s-5", False),
    ]
    assert opened == {"passed": False, "failed": True, "error": True, "skipped": False}


def test_timeline_is_in_time_order_with_every_kind_and_device(tmp_path: Path) -> None:
    page = Page(_render(sample_run(), tmp_path))
    events = page.timeline(2)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    assert {e["k"] for e in events} == {"log", "mqtt", "fault", "step"}
    assert {e["d"] for e in events} == {"dev-1", "dev-2", "harness"}
    data = next(e for e in events if e["k"] == "mqtt" and "data" in e["s"])
    assert json.loads(data["x"]) == {"temperature": 31.5, "note": UNICODE}
    assert next(e for e in events if e["k"] == "step").get("bad") is True
    control = next(e for e in events if e["s"] == "ctl")
    assert "\x1b" not in control["x"] and "\\x1b[31m" in control["x"]
    # The failure window is on the timeline, for highlighting.
    (box,) = [a for t, a in page.tags if t == "div" and a.get("data-src") == "tl-2"]
    assert (box.get("data-fail-start"), box.get("data-fail-end")) == ("100.0", "165.0")


def test_steps_are_added_to_a_timeline_without_step_events(tmp_path: Path) -> None:
    events = Page(_render(sample_run(), tmp_path)).timeline(1)
    assert [(e["t"], e["k"]) for e in events] == [
        (0.0, "step"),
        (0.2, "log"),
        (0.5, "step"),
        (0.9, "led"),
        (0.95, "pixel"),
    ]
    assert events[0]["s"] == "step 1 passed: deploy blink.scm to dev-1"
    assert events[4]["c"] == [255, 0, 0]


def test_script_json_cannot_close_its_element(tmp_path: Path) -> None:
    scenario = failed_scenario()
    nasty = "</script><!-- &amp; \u2028"
    scenario.timeline.append(TimelineEvent(121.5, "log", "dev-1", nasty, {"text": nasty}))
    text = _render(RunResult(fingerprint(), [scenario]), tmp_path)
    body = text.split('id="tl-1">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body and ">" not in body and "&" not in body
    assert any(e["s"] == nasty for e in json.loads(body))


def test_long_text_is_folded_but_complete(tmp_path: Path) -> None:
    scenario = failed_scenario()
    long_observed = "x" * (FOLD * 10)
    scenario.steps[1].observed = long_observed
    payload = json.dumps({"blob": "y" * 10_000})
    scenario.timeline.append(
        TimelineEvent(122.0, "mqtt", "dev-1", "big", {"topic": "t/big", "payload": payload})
    )
    page = Page(_render(RunResult(fingerprint(), [scenario]), tmp_path))
    folds = [a for t, a in page.tags if t == "details" and a.get("class") == "more"]
    assert folds
    assert long_observed in page.all_text()
    big = next(e for e in page.timeline(1) if e["s"].endswith("big"))
    assert json.loads(big["x"]) == {"blob": "y" * 10_000}


def test_a_large_run_renders_every_scenario_and_event(tmp_path: Path) -> None:
    scenarios = []
    for n in range(100):
        events = [
            TimelineEvent(i * 0.01, "mqtt", f"dev-{i % 3}", f"m{i}", {"payload": str(i)})
            for i in range(1000)
        ]
        steps = [StepResult(1, "expect", f"expect thing {n}", "passed", 0.0, 1.0)]
        scenarios.append(
            ScenarioResult(
                f"s.yaml::s{n}", f"s{n}", "s.yaml", "passed", steps=steps, timeline=events
            )
        )
    page = Page(_render(RunResult(fingerprint(), scenarios), tmp_path))
    assert (
        len([a for t, a in page.tags if t == "details" and "scenario" in (a.get("class") or "")])
        == 100
    )
    assert len(page.timeline(100)) == 1000 + 1  # and the step
    # Events are data for the page's script, not 100,000 table rows in the file.
    assert len([t for t, _ in page.tags if t == "tr"]) < 1000


def test_control_characters_in_static_text_are_visible(tmp_path: Path) -> None:
    scenario = failed_scenario()
    scenario.steps[1].observed = CONTROL
    text = _render(RunResult(fingerprint(), [scenario]), tmp_path)
    assert "\x00" not in text and "\x1b" not in text
    assert "bad\\x00byte \\x1b[31mred" in text


def test_the_page_script_is_the_only_code(tmp_path: Path) -> None:
    text = _render(sample_run(), tmp_path)
    assert not re.search(r"\son[a-z]+\s*=", text)  # no inline event handlers anywhere
