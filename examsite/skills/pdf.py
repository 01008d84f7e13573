"""The skills profile as a printable PDF (portrait A4, fpdf2, the fonts the certificates use)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF

from examsite.certificates.pdf import _clean, _font_files, format_date
from examsite.skills.presenters import DomainRow, RoleRow

_FONT = "DejaVu"
_INK, _MUTED, _BAR, _TRACK = (33, 37, 41), (90, 98, 107), (11, 83, 148), (222, 226, 230)


def render_skills_pdf(
    holder: str, when: datetime, domains: Sequence[DomainRow], roles: Sequence[RoleRow]
) -> bytes:
    regular, bold = _font_files()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(when)
    pdf.set_title("Skills profile")
    pdf.add_font(_FONT, "", str(regular))
    pdf.add_font(_FONT, "B", str(bold))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, "B", 18)
    pdf.cell(0, 10, "Skills profile", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 11)
    pdf.cell(0, 7, f"{_clean(holder)}, {format_date(when)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(_FONT, "B", 13)
    pdf.cell(0, 8, "Proficiency by domain", new_x="LMARGIN", new_y="NEXT")
    if not domains:
        pdf.set_font(_FONT, "", 10)
        pdf.cell(0, 6, "No finished exam yet.", new_x="LMARGIN", new_y="NEXT")
    for row in domains:
        pdf.set_font(_FONT, "", 9)
        pdf.set_text_color(*_INK)
        y = pdf.get_y()
        pdf.multi_cell(85, 5, row.name, new_x="RIGHT", new_y="TOP")
        height = max(6.0, pdf.get_y() - y)
        pdf.set_fill_color(*_TRACK)
        pdf.rect(100, y + 1, 40, 4, style="F")
        pdf.set_fill_color(*_BAR)
        pdf.rect(100, y + 1, 40 * row.bar / 300, 4, style="F")
        pdf.set_xy(143, y)
        pdf.cell(25, 5, row.level_label)
        pdf.set_text_color(*_MUTED)
        pdf.cell(0, 5, f"{row.items} items, {row.last_tested}")
        pdf.set_xy(pdf.l_margin, y + max(height, 6.0))
    pdf.ln(4)
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, "B", 13)
    pdf.cell(0, 8, "Readiness per role", new_x="LMARGIN", new_y="NEXT")
    for row in roles:
        pdf.set_font(_FONT, "B" if row.is_next else "", 9)
        pdf.set_text_color(*_INK)
        label = f"{row.name}{' (next step)' if row.is_next else ''}: {row.percent}%"
        pdf.multi_cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        if row.to_study:
            pdf.set_font(_FONT, "", 8)
            pdf.set_text_color(*_MUTED)
            pdf.multi_cell(
                0, 4.5, "Still to study: " + ", ".join(row.to_study), new_x="LMARGIN", new_y="NEXT"
            )
        pdf.ln(1)
    return bytes(pdf.output())
