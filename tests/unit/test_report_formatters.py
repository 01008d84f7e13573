"""Report formatters and figures that need no database: CSV, XLSX, JSON, spreadsheet safety, SD."""

from __future__ import annotations

import csv
import io
import json
import statistics
import tracemalloc
import types
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from examsite.reports.formatters import csv_lines, csv_stream, json_text, neutralise, xlsx_bytes
from examsite.reports.queries import ReportError, make_filters, parse_filters, sample_sd

COLUMNS = (("group", "Group"), ("attempts", "Attempts"), ("pass_rate", "Pass rate (%)"))
ROWS = [
    {"group": "Trainer", "attempts": 4, "pass_rate": 50.0},
    {"group": '=HYPERLINK("http://x","y")', "attempts": 1, "pass_rate": None},
    {"group": 'Line, with comma and "quotes"', "attempts": 0, "pass_rate": 12.5},
]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_formula_like_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Trainer", "", " =1", "a=b", 5, -3, 2.5, None])
def test_other_values_are_left_alone(value):
    assert neutralise(value) == value


def test_csv_is_a_generator_of_chunks():
    chunks = csv_stream(["group", "attempts"], ((f"g{n}", n) for n in range(5)), rows_per_chunk=2)
    assert isinstance(chunks, types.GeneratorType)
    assert next(chunks) == "group,attempts\r\n"  # the header goes out before any row is read
    assert list(chunks) == ["g0,0\r\ng1,1\r\n", "g2,2\r\ng3,3\r\n", "g4,4\r\n"]
    assert "".join(csv_lines(COLUMNS, ROWS)).startswith("group,attempts,pass_rate\r\nTrainer,4,50.0\r\n")


def test_csv_reads_back():
    body = "".join(csv_lines(COLUMNS, ROWS))
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows == [
        {"group": "Trainer", "attempts": "4", "pass_rate": "50.0"},
        {"group": '\'=HYPERLINK("http://x","y")', "attempts": "1", "pass_rate": ""},
        {"group": 'Line, with comma and "quotes"', "attempts": "0", "pass_rate": "12.5"},
    ]


def test_csv_streams_in_flat_memory():
    def many():
        for n in range(200_000):
            yield {"group": f"cohort {n}", "attempts": n, "pass_rate": 50.0}

    tracemalloc.start()
    try:
        size = sum(len(line) for line in csv_lines(COLUMNS, many()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 4_000_000
    assert peak < 1_000_000  # the whole file would be several megabytes


def test_xlsx_reads_back_with_types_and_neutralised_text():
    body = xlsx_bytes(COLUMNS, ROWS, sheet_title="Pass rates", about=[("Report", "=not a formula")])
    workbook = load_workbook(io.BytesIO(body))
    sheet = workbook["Pass rates"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Group", "Attempts", "Pass rate (%)"],
        ["Trainer", 4, 50.0],
        ['\'=HYPERLINK("http://x","y")', 1, None],
        ['Line, with comma and "quotes"', 0, 12.5],
    ]
    assert sheet["A3"].data_type == "s"
    assert sheet.freeze_panes == "A2"
    assert list(workbook["About"].iter_rows(values_only=True)) == [("Report", "'=not a formula")]


def test_xlsx_drops_characters_a_workbook_cannot_hold():
    body = xlsx_bytes(COLUMNS, [{"group": "bell\x07 here", "attempts": 1, "pass_rate": 1.0}])
    assert load_workbook(io.BytesIO(body)).active["A2"].value == "bell here"


def test_json_keeps_text_as_is():
    assert json.loads(json_text({"rows": ROWS}))["rows"][1]["group"] == '=HYPERLINK("http://x","y")'


def test_sample_sd_matches_statistics():
    scores = [Decimal("60.5"), Decimal("80"), Decimal("90.25"), Decimal("50")]
    total, squares = sum(scores), sum(s * s for s in scores)
    assert sample_sd(4, total, squares) == pytest.approx(float(statistics.stdev(scores)))
    assert sample_sd(1, Decimal(70), Decimal(4900)) is None
    assert sample_sd(3, 210.0, 14700.0 - 1e-9) == 0.0  # rounding never gives a negative variance
    # Exact decimals: a large identical sample has SD 0, not float noise.
    n = 150_000
    assert sample_sd(n, Decimal("62.35") * n, Decimal("62.35") ** 2 * n) == 0.0


def test_filters_from_text():
    filters = parse_filters(
        {"by": "cohort", "from": "2026-01-01", "to": "2026-02-01T12:00:00+02:00", "attempts": "first"}
    )
    assert filters.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert filters.end == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert parse_filters({}) == make_filters()
    assert parse_filters({"from": "2026-01-01T00:00:00"}).start == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_filters({"to": "2026-01-01T00:00:00Z"}).end == datetime(2026, 1, 1, tzinfo=UTC)


def test_filters_report_every_problem():
    with pytest.raises(ReportError) as caught:
        parse_filters({"by": "planet", "from": "soon", "attempts": "some"})
    assert set(caught.value.errors) == {"by", "from", "attempts"}
    with pytest.raises(ReportError) as caught:
        parse_filters({"from": "2026-02-01", "to": "2026-01-31"})
    assert set(caught.value.errors) == {"to"}
