"""`flask reports pass-rates`."""

from __future__ import annotations

import click


@click.group("reports", help="Reports.")
def reports_cli() -> None:
    pass
