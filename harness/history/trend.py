"""The trend page: per scenario, a strip of nights, and its pass rate and duration plotted.

One row per *line*: a scenario id with one scenario hash.  A scenario whose file (or a
program it deploys) changed is a different test, so it starts a new line rather than
continuing the old one's pass rate.  Each strip cell is one night (passed, failed, error,
skipped, flaky, or not run) and links to that night's report while the report is kept.

The plots are drawn by matplotlib (``Figure`` objects, no pyplot state, the Agg/SVG
backends) into SVG files beside the page, so the page loads nothing from the network and
works from a CI artefact or GitLab Pages.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .model import Night, ScenarioRecord

#: Nights the rolling pass rate looks back over.
WINDOW = 7
COLORS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "error": "#6a1b9a",
    "skipped": "#9e9e9e",
    "flaky": "#f9a825",
}


@dataclass
class Line:
    """A scenario id with one hash: its nights in order."""

    id: str
    sha256: str
    file: str
    points: list[tuple[int, ScenarioRecord]] = field(default_factory=list)  # night index

    @property
    def key(self) -> str:
        return f"{self.id}@{self.sha256[:12]}"


def lines_of(nights: Sequence[Night]) -> list[Line]:
    """Every line, grouped by scenario id in order of first appearance."""
    found: dict[tuple[str, str], Line] = {}
    for index, night in enumerate(nights):
        for record in night.scenarios:
            line = found.setdefault(
                (record.id, record.sha256), Line(record.id, record.sha256, record.file)
            )
            line.points.append((index, record))
    return sorted(found.values(), key=lambda ln: (ln.id, ln.points[0][0]))


def pass_rates(line: Line, window: int = WINDOW) -> list[float]:
    """Rolling share of nights passed at the first attempt (skipped nights left out)."""
    rates, seen = [], []
    for _, record in line.points:
        if record.verdict != "skipped":
            seen.append(1.0 if record.verdict == "passed" else 0.0)
        recent = seen[-window:]
        rates.append(sum(recent) / len(recent) if recent else float("nan"))
    return rates


def _plot(line: Line, nights: Sequence[Night], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 1.9), dpi=100)
    rate_ax, time_ax = fig.subplots(1, 2)
    xs = [i for i, _ in line.points]
    labels = [nights[i].id for i in xs]
    rate_ax.plot(xs, [r * 100 for r in pass_rates(line)], marker="o", color="#1565c0")
    rate_ax.set_ylim(-5, 105)
    rate_ax.set_title(f"pass rate, last {WINDOW} nights (%)", fontsize=8)
    durations = [r.duration for _, r in line.points]
    colors = [COLORS[r.verdict] for _, r in line.points]
    time_ax.plot(xs, durations, color="#555555", linewidth=1)
    time_ax.scatter(xs, durations, c=colors, zorder=3, s=18)
    time_ax.set_ylim(bottom=0)
    time_ax.set_title("duration (s)", fontsize=8)
    for ax in (rate_ax, time_ax):
        ax.set_xticks(xs, labels=labels if len(xs) <= 8 else [""] * len(xs), fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3)
        if len(xs) == 1:
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})


def _overview(nights: Sequence[Night], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 2.2), dpi=100)
    ax = fig.subplots()
    xs = list(range(len(nights)))
    bottom = [0] * len(nights)
    for verdict in ("passed", "flaky", "failed", "error", "skipped"):
        heights = [n.counts()[verdict] for n in nights]
        ax.bar(xs, heights, bottom=bottom, color=COLORS[verdict], label=verdict)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(xs, labels=[n.id for n in nights], fontsize=6)
    ax.set_title("scenarios per night by verdict", fontsize=8)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})


def _report_link(history: Path, night: Night, out: Path) -> str | None:
    if not night.report:
        return None
    page = history / night.report / "report.html"
    if not page.is_file():
        return None
    return os.path.relpath(page, out).replace(os.sep, "/")


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 2px 8px; vertical-align: middle; }
.strip { display: flex; gap: 2px; }
.strip a, .strip span { display: inline-block; width: 16px; height: 22px; border-radius: 2px; }
.v-passed { background: #2e7d32; } .v-failed { background: #c62828; }
.v-error { background: #6a1b9a; } .v-skipped { background: #9e9e9e; }
.v-flaky { background: #f9a825; } .v-none { background: #eeeeee; }
.line { border-top: 1px solid #ddd; padding: 8px 0; }
.line h3 { font-size: 14px; margin: 0 0 4px; font-family: monospace; }
.meta { color: #666; font-size: 12px; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 4px; color: #fff; }
.controls { margin: 8px 0; } .controls input[type=search] { width: 24em; }
"""

#: Filters for a long list of scenarios; without JavaScript every line is shown.
SCRIPT = """
(function () {
  var text = document.getElementById('filter');
  var bad = document.getElementById('only-bad');
  function apply() {
    var words = text.value.toLowerCase();
    var shown = 0;
    document.querySelectorAll('.line').forEach(function (line) {
      var ok = line.dataset.scenario.toLowerCase().indexOf(words) >= 0 &&
               (!bad.checked || line.dataset.bad === '1');
      line.style.display = ok ? '' : 'none';
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown;
  }
  text.addEventListener('input', apply);
  bad.addEventListener('change', apply);
  apply();
})();
"""


def write_trend(nights: Sequence[Night], history: Path, out: Path) -> Path:
    """Write ``out/index.html`` and its plots; returns the page."""
    out.mkdir(parents=True, exist_ok=True)
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    for old in plots.glob("*.svg"):
        old.unlink()
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>steelhil nightly trend</title><style>" + STYLE + "</style></head><body>",
        f"<h1>Nightly trend: {len(nights)} night(s)</h1>",
    ]
    if not nights:
        parts.append("<p>No nights in the history yet.</p></body></html>")
        page = out / "index.html"
        page.write_text("".join(parts), encoding="utf-8")
        return page
    links = [_report_link(history, n, out) for n in nights]
    _overview(nights, plots / "overview.svg")
    parts.append("<p class='legend'>")
    for verdict, color in COLORS.items():
        parts.append(f"<span style='background:{color}'>{verdict}</span>")
    parts.append("<span style='background:#eeeeee;color:#444'>not run</span></p>")
    parts.append("<img id='overview' src='plots/overview.svg' alt='verdicts per night'>")
    parts.append("<h2>Nights</h2><table id='nights'><tr><th>night</th><th>started</th>")
    parts.append("<th>firmware</th><th>passed</th><th>flaky</th><th>failed</th><th>error</th>")
    parts.append("<th>skipped</th><th>report</th></tr>")
    for night, link in zip(nights, links, strict=True):
        c = night.counts()
        report = f"<a href='{esc(link)}'>report</a>" if link else "not kept"
        parts.append(
            f"<tr><td>{esc(night.id)}</td><td>{esc(night.started_at)}</td>"
            f"<td>{esc(night.firmware_version)} {esc(night.firmware_sha256[:12])}</td>"
            f"<td>{c['passed']}</td><td>{c['flaky']}</td><td>{c['failed']}</td>"
            f"<td>{c['error']}</td><td>{c['skipped']}</td><td>{report}</td></tr>"
        )
    parts.append("</table><h2>Scenarios</h2>")
    parts.append(
        "<div class='controls'><input type='search' id='filter' placeholder='filter by id'> "
        "<label><input type='checkbox' id='only-bad'> only scenarios that failed or were "
        f"flaky</label> <span class='meta'>(<span id='shown'>{len(lines_of(nights))}</span> "
        "shown)</span></div>"
    )
    previous_id = None
    for number, line in enumerate(lines_of(nights)):
        plot = f"plots/line-{number}.svg"
        _plot(line, nights, out / plot)
        by_night = dict(line.points)
        first = nights[line.points[0][0]].id
        note = ""
        if line.id == previous_id:
            note = f" &mdash; the scenario changed: a new line since night {esc(first)}"
        previous_id = line.id
        bad = any(r.verdict in ("failed", "error", "flaky") for _, r in line.points)
        parts.append(
            f"<div class='line' data-scenario='{esc(line.id)}' data-sha='{esc(line.sha256)}' "
            f"data-bad='{1 if bad else 0}'>"
        )
        parts.append(f"<h3>{esc(line.id)}</h3>")
        parts.append(
            f"<div class='meta'>{esc(line.file)} &middot; scenario sha256 "
            f"{esc(line.sha256[:12])}{note}</div><div class='strip'>"
        )
        for index, night in enumerate(nights):
            record = by_night.get(index)
            if record is None:
                parts.append(f"<span class='v-none' title='{esc(night.id)}: not run'></span>")
                continue
            title = f"{night.id}: {record.verdict} in {record.duration:.1f}s"
            if len(record.attempts) > 1:
                title += f" ({len(record.attempts)} attempts on {', '.join(record.boards)})"
            if record.message:
                title += f" - {record.message[:200]}"
            attrs = f"class='v-{record.verdict}' title='{esc(title)}'"
            link = links[index]
            if link:
                parts.append(f"<a {attrs} href='{esc(link)}'></a>")
            else:
                parts.append(f"<span {attrs}></span>")
        parts.append(f"</div><img class='plot' src='{plot}' alt='pass rate and duration'>")
        parts.append("</div>")
    parts.append("<script>" + SCRIPT + "</script></body></html>")
    page = out / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page
