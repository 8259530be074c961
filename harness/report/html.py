"""The HTML report: one self-contained file a person opens after a run.

It answers, in this order: did the run pass (header counts), which scenarios failed (the
index, failed ones open), at which step and why (expected vs observed, where the step is
written), and what the devices were doing at the time (the timeline).  Everything is
inline (CSS, JS, data) so the file works from a CI artefact, an e-mail or an air-gapped lab.

Device output and MQTT payloads are hostile input to a web page: static text goes through
:func:`html.escape`, and timeline data is JSON in a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` escaped, read by the page's script into ``textContent``.
"""

from __future__ import annotations

import html
import json
import math
from importlib.resources import files
from pathlib import Path
from typing import Any

from harness.results import RunFingerprint, RunResult, ScenarioResult, StepResult, TimelineEvent

from .events import decode_payload, log_text, timeline
from .jsonfile import json_default
from .naming import case_name
from .text import shorten, xml_safe

#: Text longer than this (expected/observed, facts) is folded behind a "show all".
FOLD = 300

_STATUSES = ("passed", "failed", "error", "skipped")
_IN_SUMMARY = ("index", "status")


def write_html(run: RunResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_html(run).encode("utf-8", "backslashreplace"))
    return path


def render_html(run: RunResult) -> str:
    counts = run.counts()
    verdict = "PASSED" if run.ok else "FAILED"
    title = f"steelhil: {verdict} ({counts['passed']}/{len(run.scenarios)} passed)"
    body = "\n".join(
        [
            _header(run, verdict),
            _index(run),
            "<main>",
            *(_scenario(n, s) for n, s in enumerate(run.scenarios, 1)),
            "</main>",
        ]
    )
    return _template().replace("@@TITLE@@", _h(title), 1).replace("@@BODY@@", body, 1)


def _template() -> str:
    text = files("harness.report").joinpath("template.html").read_text(encoding="utf-8")
    if text.count("@@TITLE@@") != 1 or text.count("@@BODY@@") != 1:  # an edit broke it
        raise RuntimeError("template.html must hold each of @@TITLE@@ and @@BODY@@ once")
    return text


def _h(value: object) -> str:
    """Escaped text for HTML content and quoted attributes."""
    return html.escape(xml_safe(str(value)), quote=True)


def _folded(text: str, tag: str = "pre") -> str:
    """Long text shown as its start, with the rest behind a native expander (no JS)."""
    if len(text) <= FOLD:
        return f"<{tag}>{_h(text)}</{tag}>"
    return (
        f'<details class="more"><summary>{_h(shorten(text, 120))} '
        f"({len(text)} chars)</summary><{tag}>{_h(text)}</{tag}></details>"
    )


def _status(status: str) -> str:
    return f'<span class="st {_h(status)}">{_h(status)}</span>'


def _header(run: RunResult, verdict: str) -> str:
    counts = run.counts()
    total = len(run.scenarios)
    boxes = "".join(f'<div class="count {s}"><b>{counts[s]}</b>{s}</div>' for s in _STATUSES)
    bar = "".join(
        f'<span class="{s}" style="flex:{counts[s]}" title="{counts[s]} {s}"></span>'
        for s in _STATUSES
        if counts[s]
    )
    started = f"started {_h(run.started_at)}, " if run.started_at else ""
    fp = run.fingerprint
    return f"""<header>
<h1>steelhil run <span class="verdict {"ok" if run.ok else "bad"}">{verdict}</span></h1>
<div class="muted">{started}{run.duration:.1f} s, {total} scenarios</div>
<div class="counts"><div class="count"><b>{total}</b>total</div>{boxes}</div>
<div class="bar">{bar}</div>
<details class="fingerprint"><summary>Fingerprint: firmware {_h(fp.firmware_version)}
(sha256 <code>{_h(fp.firmware_sha256[:12])}</code>), seed {_h(fp.seed)},
IoT Core {_h(fp.iotcore)}</summary>
{_fingerprint_table(fp)}
</details>
</header>"""


def _fingerprint_table(fp: RunFingerprint) -> str:
    rows: list[tuple[str, str]] = [
        ("firmware version", fp.firmware_version),
        ("firmware sha256", fp.firmware_sha256),
        ("seed", str(fp.seed)),
        ("IoT Core", fp.iotcore),
        ("steelhil", fp.steelhil_version),
        ("Python", fp.python),
        ("platform", fp.platform),
        ("rig", fp.rig or "(none)"),
    ]
    scenarios = sorted(fp.scenarios_sha256.items())
    rows.extend((f"scenario {file}", digest) for file, digest in scenarios)
    rows.extend((f"input {file}", digest) for file, digest in sorted(fp.inputs_sha256.items()))
    cells = "".join(f"<tr><th>{_h(k)}</th><td><code>{_h(v)}</code></td></tr>" for k, v in rows)
    return f'<table class="kv">{cells}</table>'


def _index(run: RunResult) -> str:
    rows = []
    for n, s in enumerate(run.scenarios, 1):
        step = s.failed_step
        why = f"step {step.index}: {step.title}" if step else (s.error or "")
        rows.append(
            f'<tr class="{_h(s.status)}"><td>{_status(s.status)}</td>'
            f'<td><a href="#s-{n}">{_h(case_name(s))}</a> <span class="muted">{_h(s.file)}</span>'
            f'</td><td>{s.duration:.1f} s</td><td class="why">{_h(shorten(why, 200))}</td></tr>'
        )
    return f"""<nav>
<div class="tools"><button id="expand-all" type="button">expand all</button>
<button id="collapse-all" type="button">collapse all</button>
<label><input id="only-problems" type="checkbox"> only failures and errors</label></div>
<table><thead><tr><th>status</th><th>scenario</th><th>time</th><th>failed step</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</nav>"""


def _scenario(n: int, s: ScenarioResult) -> str:
    step = s.failed_step
    is_open = " open" if s.status in ("failed", "error") else ""
    why = f"step {step.index}: {step.title}" if step else (s.error or "")
    parts = [
        f'<details class="scenario {_h(s.status)}" id="s-{n}"{is_open}>',
        f"<summary>{_status(s.status)} <b>{_h(case_name(s))}</b> "
        f'<span class="muted">{_h(s.file)} · {s.duration:.1f} s</span> '
        f'<span class="why">{_h(shorten(why, 160))}</span></summary>',
        '<div class="body">',
        _about(s),
    ]
    if s.error:
        where = f"<div>at <code>{_h(s.error_location)}</code></div>" if s.error_location else ""
        parts.append(f'<div class="problem">{_folded(s.error)}{where}</div>')
    parts += [_devices(s), _steps(s), _timeline(n, s, step), "</div>", "</details>"]
    return "\n".join(parts)


def _about(s: ScenarioResult) -> str:
    rows: list[tuple[str, str]] = [("id", s.id)]
    if s.description:
        rows.append(("description", s.description))
    if s.params:
        rows.append(("params", ", ".join(f"{k}={v}" for k, v in s.params.items())))
    if s.tags:
        rows.append(("tags", ", ".join(s.tags)))
    if s.started_at:
        rows.append(("started", s.started_at))
    rows.append(("time base", s.time_base))
    if s.scenario_sha256:
        rows.append(("sha256", s.scenario_sha256))
    rows.extend((f"input {f}", d) for f, d in sorted(s.inputs_sha256.items()))
    cells = "".join(f"<tr><th>{_h(k)}</th><td>{_folded(v, 'span')}</td></tr>" for k, v in rows)
    return f'<table class="kv">{cells}</table>'


def _devices(s: ScenarioResult) -> str:
    if not s.devices:
        return ""
    rows = "".join(
        f"<tr><td>{_h(d.name)}</td><td>{_h(d.backend)}</td><td>"
        + _folded(", ".join(f"{k}={v}" for k, v in d.facts.items()), "span")
        + "</td></tr>"
        for d in s.devices
    )
    return (
        "<h3>Devices</h3><table><thead><tr><th>device</th><th>backend</th><th>facts</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _steps(s: ScenarioResult) -> str:
    if not s.steps:
        return '<h3>Steps</h3><p class="muted">No steps ran.</p>'
    rows = "".join(_step_row(step) for step in s.steps)
    return (
        "<h3>Steps</h3><table><thead><tr><th>#</th><th>status</th><th>step</th>"
        "<th>expected</th><th>observed</th><th>where</th><th>t (s)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _step_row(step: StepResult) -> str:
    title = f"<b>{_h(step.kind)}</b> {_h(step.title)}"
    if step.message:
        title += f'<div class="why">{_h(step.message)}</div>'
    if step.devices:
        title += f'<div class="muted">{_h(", ".join(step.devices))}</div>'
    expected = _folded(step.expected) if step.expected is not None else ""
    observed = _folded(step.observed) if step.observed is not None else ""
    where = f"<code>{_h(step.location)}</code>" if step.location else ""
    where += "".join(
        f'<div class="muted">included at <code>{_h(site)}</code></div>'
        for site in step.included_from
    )
    return (
        f'<tr class="step-{_h(step.status)}"><td>{step.index}</td><td>{_status(step.status)}</td>'
        f"<td>{title}</td><td>{expected}</td><td>{observed}</td><td>{where}</td>"
        f'<td class="mono">{step.started:.3f} .. {step.ended:.3f}</td></tr>'
    )


def _timeline(n: int, s: ScenarioResult, failed: StepResult | None) -> str:
    events = [_event_json(e) for e in timeline(s)]
    window = ""
    if failed is not None:
        window = f' data-fail-start="{failed.started!r}" data-fail-end="{failed.ended!r}"'
    return (
        f"<h3>Timeline ({len(events)} events, {_h(s.time_base)} time)</h3>"
        f'<div class="timeline" data-src="tl-{n}"{window}>'
        "<noscript>The timeline needs JavaScript; the same events are in the artefacts "
        "folder (timeline.jsonl).</noscript></div>\n"
        f'<script type="application/json" id="tl-{n}">{_script_json(events)}</script>'
    )


def _event_json(e: TimelineEvent) -> dict[str, Any]:
    summary = e.summary
    detail = ""
    if e.kind == "mqtt":
        topic = e.data.get("topic")
        if isinstance(topic, str) and topic not in summary:
            summary = f"{topic}: {summary}"
        payload = decode_payload(e.data.get("payload"))
        if payload is not None:
            detail = payload if isinstance(payload, str) else _compact(payload)
    elif e.kind == "log":
        line = log_text(e)
        rest = {k: v for k, v in e.data.items() if k != "text"}
        parts = [line] if line != summary else []
        detail = " ".join([*parts, _compact(rest)] if rest else parts)
    elif e.data:
        # A step's index and status are in its summary already.
        shown = {k: v for k, v in e.data.items() if e.kind != "step" or k not in _IN_SUMMARY}
        detail = _compact(shown) if shown else ""
    out: dict[str, Any] = {
        "t": e.t if math.isfinite(e.t) else None,  # JSON.parse rejects NaN and Infinity
        "k": e.kind,
        "d": e.device or "harness",
        "s": xml_safe(summary),
        "x": xml_safe(detail),
    }
    colour = _colour(e)
    if colour is not None:
        out["c"] = colour
    if e.kind == "step" and e.data.get("status") in ("failed", "error"):
        out["bad"] = True
    return out


def _colour(e: TimelineEvent) -> list[int] | None:
    """An RGB swatch for pixel/LED events that carry ``color``/``rgb`` as three numbers."""
    value = e.data.get("color", e.data.get("rgb"))
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return [min(max(v, 0), 255) for v in value]
    return None


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=json_default, separators=(",", ":"))


def _script_json(value: Any) -> str:
    """JSON that cannot end its ``<script>`` element or open a comment inside it."""
    text = json.dumps(value, ensure_ascii=False, default=json_default, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
