"""Builds the demo site's agreement PDF (run once by a developer; the PDF ships as package data).

Kept as a script so the PDF can be rebuilt when its text changes:
``.venv/bin/python -m crawler.demosite.make_pdf``. fpdf2 is a dev dependency only; the
served site never needs it at run time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

PDF_NAME = "overenskommelse-psykisk-funktionsnedsattning-2024-2027.pdf"

SECTIONS: list[tuple[str, str]] = [
    (
        "1. Inledning",
        "Region Kalmar län och kommunerna i Kalmar län (Borgholm, Emmaboda, Hultsfred, Högsby, "
        "Kalmar, Mönsterås, Mörbylånga, Nybro, Oskarshamn, Torsås, Vimmerby och Västervik) ska enligt "
        "5 kap. 8 a § socialtjänstlagen och 16 kap. 3 § hälso- och sjukvårdslagen ingå en "
        "överenskommelse om samarbete i fråga om personer med psykisk funktionsnedsättning.",
    ),
    (
        "2. Målgrupp",
        "Överenskommelsen omfattar personer i alla åldrar med psykisk funktionsnedsättning som har "
        "behov av insatser från både kommunen och regionen. Personer med samtidigt missbruk eller "
        "spelberoende (samsjuklighet) ingår i målgruppen.",
    ),
    (
        "3. Ansvarsfördelning",
        "Regionen ansvarar för psykiatrisk utredning, diagnostik och behandling. Kommunen ansvarar "
        "för boende, sysselsättning, boendestöd och personligt ombud. Huvudmännen upprättar "
        "tillsammans en samordnad individuell plan (SIP) när den enskilde samtycker.",
    ),
    (
        "4. Gemensamma mål",
        "Ingen ska hamna mellan stolarna. Väntetiden till en första SIP ska vara högst 14 dagar. "
        "Andelen brukare som upplever delaktighet ska öka. Huvudmännen avsätter gemensamt "
        "2,5 miljoner kronor per år för kompetensutveckling.",
    ),
    (
        "5. Giltighet och uppföljning",
        "Överenskommelsen gäller 2024-01-01 till 2027-12-31 och följs upp årligen av "
        "Samverkansgruppen för psykisk hälsa. Undertecknad av Angelica Katsanidou (S), "
        "regionstyrelsens ordförande, och länets kommunstyrelseordförande.",
    ),
]


def build_pdf(path: Path) -> Path:
    """Write the agreement PDF to ``path`` (core Helvetica covers Swedish letters in Latin-1)."""
    from fpdf import FPDF

    pdf = FPDF()
    # A fixed date: the same text gives the same bytes (and hash) on every rebuild.
    pdf.set_creation_date(datetime(2024, 1, 15, tzinfo=UTC))
    pdf.set_title("Överenskommelse psykisk funktionsnedsättning 2024-2027")
    pdf.set_author("Region Kalmar län")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, "Överenskommelse om samarbete kring personer med psykisk funktionsnedsättning 2024-2027", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for heading, body in SECTIONS:
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


if __name__ == "__main__":
    print(build_pdf(Path(__file__).resolve().parent / "files" / PDF_NAME))
