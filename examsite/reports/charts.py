"""Report charts drawn on the server as SVG with matplotlib (Agg, no pyplot state).

The SVG goes into the page as a data: image (the page's content security policy forbids inline
styles, which matplotlib's SVG relies on; an image keeps its own). Each chart comes with a text
alternative; the page also shows the numbers in a table. Nothing runs or loads in the browser.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from examsite.reports.queries import Distribution, PassRateRow  # noqa: E402

INK, BRAND, PASSING = "#1b1f24", "#0b5394", "#a4161a"
MAX_BARS = 40
_STYLE = {
    "font.size": 10,
    "font.family": "DejaVu Sans",
    "svg.fonttype": "path",
    "svg.hashsalt": "examsite",
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    # names come from users: "$…$" must print as dollars, not as matplotlib mathtext (which
    # fails on most such text and used to turn the report page into a server error)
    "text.parse_math": False,
}


@dataclass(frozen=True)
class Chart:
    src: str
    alt: str
    note: str = ""


def _render(figure: Figure) -> str:
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def pass_rate_chart(rows: Sequence[PassRateRow], grouping_label: str) -> Chart | None:
    """Horizontal bars: pass rate per group with attempts, labelled with the rate and the count."""
    shown = [r for r in rows if r.attempts][:MAX_BARS]
    if not shown:
        return None
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(8, 1.2 + 0.38 * len(shown)))
        axes = figure.add_subplot()
        labels = [_short(r.group) for r in shown][::-1]
        rates = [r.pass_rate for r in shown][::-1]
        bars = axes.barh(labels, rates, color=BRAND)
        for bar, row in zip(bars, shown[::-1], strict=True):
            # Labels sit right of the bar, in the margin past 100%, so they never cover a bar.
            axes.text(
                bar.get_width() + 1,
                bar.get_y() + bar.get_height() / 2,
                f"{row.pass_rate:g}% of {row.attempts}",
                va="center",
            )
        axes.set_xlim(0, 122)
        axes.set_xticks(range(0, 101, 20))
        axes.set_xlabel("Pass rate (% of attempts passed)")
        axes.set_title(f"Pass rate by {grouping_label.lower()}")
        axes.spines[["top", "right"]].set_visible(False)
        src = _render(figure)
    best = max(shown, key=lambda r: r.pass_rate)
    worst = min(shown, key=lambda r: r.pass_rate)
    alt = (
        f"Bar chart of the pass rate by {grouping_label.lower()} for {len(shown)} groups with attempts: "
        f"highest {best.group} at {best.pass_rate:g}%, lowest {worst.group} at {worst.pass_rate:g}%."
    )
    note = ""
    if len([r for r in rows if r.attempts]) > MAX_BARS:
        note = f"The chart shows the first {MAX_BARS} groups; the table lists them all."
    return Chart(src, alt, note)


def score_histogram(distribution: Distribution) -> Chart | None:
    """Score distribution in 5-point bins, with a dashed, labelled line at each passing standard."""
    if not distribution.total:
        return None
    bins = distribution.bins
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(8, 3.6))
        axes = figure.add_subplot()
        axes.bar(
            [b.low for b in bins],
            [b.count for b in bins],
            width=[b.high - b.low for b in bins],
            align="edge",
            color=BRAND,
            edgecolor="white",
        )
        top = max(b.count for b in bins)
        axes.set_ylim(0, top * 1.3 + 1)  # head room for the passing-standard labels
        for n, percent in enumerate(distribution.passing_percents):
            axes.axvline(percent, color=PASSING, linestyle="--", linewidth=2)
            axes.text(
                percent - 0.8,
                top * (1.25 - 0.12 * n) + 1,
                f"passing standard {percent:g}%",
                color=PASSING,
                va="top",
                ha="right",
                backgroundcolor="white",
            )
        axes.set_xlim(0, 100)
        axes.set_xlabel("Score (%)")
        axes.set_ylabel("Attempts")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.set_title("Score distribution")
        axes.spines[["top", "right"]].set_visible(False)
        src = _render(figure)
    peak = max(bins, key=lambda b: b.count)
    standards = " and ".join(f"{p:g}%" for p in distribution.passing_percents)
    alt = (
        f"Histogram of {distribution.total} scores in 5-point bins; the most common range is "
        f"{peak.low}% to {peak.high}% ({peak.count} attempts); a dashed line marks the passing "
        f"standard at {standards}."
    )
    return Chart(src, alt)
