"""Counties, organisations, dates and amounts as a researcher filters and reads them."""

from __future__ import annotations

import pytest

from ingest.nlp import extract_text


@pytest.mark.parametrize(
    ("text", "counties"),
    [
        ("Lilla Edets kommuns socialtjänst har fått pris.", ("14",)),
        ("VGR och Göteborgs Stad samarbetar.", ("14",)),
        ("Landstinget i Jönköpings län och Regionförbundet Jönköpings län har avtal.", ("06",)),
        ("Region Gotland inför nytt stöd.", ("09",)),
        ("Upplands-Bro kommun och Malung-Sälens kommun deltar.", ("01", "20")),
        ("Sveriges Kommuner och Regioner, Hornsgatan 20, 118 82 Stockholm", ()),
    ],
)
def test_counties_from_regions_kommuner_and_former_names(text: str, counties: tuple[str, ...]) -> None:
    assert extract_text(text).counties == counties


def test_lanets_kommuner_takes_the_county_of_the_source() -> None:
    text = "Regionen och länets kommuner är överens om samverkan kring personer med missbruk."
    assert extract_text(text).counties == ()
    assert extract_text(text, county_hint="13").counties == ("13",)


def test_organisations_are_named_as_written() -> None:
    extraction = extract_text(
        "Sveriges Kommuner och Landsting (SKL) och VGR har tillsammans med regeringen och Länsstyrelsen "
        "i Skåne tagit fram stödet. Kommunstyrelsen i Lund beslutade. SKL följer upp."
    )
    assert {"Sveriges Kommuner och Landsting (SKL)", "VGR", "regeringen", "Länsstyrelsen i Skåne",
            "Kommunstyrelsen"} <= set(extraction.organisations)
    assert "SKL" not in extraction.organisations  # the same body as "… (SKL)"


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # Bare kommuner that act, coordinated.
        ("Bjurholm, Vindeln och Nordmaling har startat en gemensam familjecentral.",
         {"Bjurholm", "Vindeln", "Nordmaling"}, set()),
        ("Stugan ligger nära Vindeln i ett lugnt område.", set(), {"Vindeln"}),
        # Nämnder, förvaltningar, fullmäktige and named units.
        ("Omsorgsförvaltningen och Beroendeenheten har tagit fram rutinen. Landstingsfullmäktige godkände den.",
         {"Omsorgsförvaltningen", "Beroendeenheten", "Landstingsfullmäktige"}, set()),
        # NGOs and companies that act.
        ("Kvinnojouren i Tranås och Stiftelsen Solrosen erbjuder samtal. Norrskensbygg AB bygger huset.",
         {"Kvinnojouren i Tranås", "Stiftelsen Solrosen", "Norrskensbygg AB"}, set()),
        ("Stadsmissionen öppnar ett nytt härbärge i vinter.", {"Stadsmissionen"}, set()),
        # Parties written out act; a member's party after the name does not.
        ("Miljöpartiet och Liberalerna lägger fram ett förslag.", {"Miljöpartiet", "Liberalerna"}, set()),
        ("– Vi behöver mer stöd, säger Karin Wessel, Vänsterpartiet.", set(), {"Vänsterpartiet"}),
    ],
)
def test_organisations_that_act(text: str, expected: set[str], absent: set[str]) -> None:
    found = set(extract_text(text).organisations)
    assert expected <= found
    assert not absent & found


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Pressmeddelande 12 november 2019. Beslutet togs den 2 oktober.", ("2019-11-12", "2019-10-02")),
        ("[2019-11-12] Region Östergötland satsar.", ("2019-11-12",)),
        ("Pressmeddelande • Jan 28, 2010 09:52 CET", ("2010-01-28",)),
        ("Överenskommelsen gäller från och med 1 januari 2020.", ("2020-01-01",)),
        ("I länet finns en överenskommelse sedan 2017.", ("2017",)),
        ("Arbetet startade i maj 2008 inom SKL.", ("2008-05",)),
        ("I finansplanen för 2020 finns förslag. Föreningen har funnits sedan 2008.", ()),
        # Plan and agreement periods give both years; reference numbers are no dates.
        ("Nämnden antog en handlingsplan mot ensamhet 2022–2025.", ("2022", "2025")),
        ("Ärendet har Dnr 2021-2022 och gäller kulturhuset.", ()),
        ("Föreningen drev mellan åren 2004-2009 ett projekt om läxhjälp.", ()),
        # Dated events and ordinal days; a day without a year takes the dateline's year.
        ("Publicerad 3 mars 2027\n\nMässan hålls den 14 april i Umeå.", ("2027-03-03", "2027-04-14")),
        ("Från och med den första juli 2026 gäller nya regler.", ("2026-07-01",)),
        ("Bidraget betalas ut till sista juni 2031.", ("2031-06-30",)),
        ("Publicerad 2 maj 2025\n\nTemaveckan pågår den 5-9 maj i hela länet.",
         ("2025-05-02", "2025-05-05", "2025-05-09")),
        ("Pressmeddelande • Okt 3, 2029 10:00 CEST", ("2029-10-03",)),
        # Years of planned work count from the dateline's year on; a past year's statistic does not.
        ("2026-02-10\n\nUnder 2025 fick 40 personer stöd. Bygget startar under hösten 2026.", ("2026-02-10", "2026")),
    ],
)
def test_dates_in_swedish_formats(text: str, dates: tuple[str, ...]) -> None:
    assert extract_text(text).dates == dates


def test_amounts_in_sek() -> None:
    extraction = extract_text(
        "Jönköpings län får 1,4 miljoner kronor. Nämnden satsar 30 miljoner på primärvården och "
        "700 000 kronor årligen på partnerskapet, 12 mnkr till psykiatrin. Länet har 30 miljoner invånare."
    )
    assert [a.sek for a in extraction.amounts] == [1_400_000, 30_000_000, 700_000, 12_000_000]


@pytest.mark.parametrize(
    ("text", "title", "kind"),
    [
        ("PRESSMEDDELANDE\n\nRegionen satsar på vården.", None, "press_release"),
        # Quoted speech is no label: a region's news item that quotes a politician is a web page.
        ("Regionen satsar. – Det är bra, säger regionrådet Anna Berg (S).", None, "web_page"),
        ("Nyhet\n\nKommunen öppnar en ny träffpunkt. – Vi är glada, säger Eva Lind.", "Ny träffpunkt", "web_page"),
        ("Gå direkt till innehåll\n\nNyhet - \n\nStaden inrättar fler platser.", "Fler platser", "press_release"),
        ("Pressmeddelande från Finansdepartementet\n\nRegeringen ger besked.", None, "press_release"),
        ("Ärende 4. Förslag till beslut: nämnden godkänner avtalet.", "Tjänsteskrivelse om boendestöd",
         "decision"),
        ("KALLELSE\n\nSocialnämnden sammanträder i stadshuset.", None, "decision"),
        ("Regionstyrelsen beslutade att bygga en ny vårdcentral.", "Nyheter från regionstyrelsens möte 3 maj",
         "decision"),
        ("• § 5 Val av justerare\n• § 6 Godkännande av dagordningen\nUpprop förrättades.", None, "decision"),
        ("En särskild utredare ska se över tillsynen.", "Bättre tillsyn av boenden, Dir. 2031:7", "decision"),
        ("Granskningen visar brister i styrningen.", "Revisionsrapport om styrning av hemtjänsten", "report"),
        ("Forskarna har följt tre kommuner.", "Ny rapport visar att stödet brister", "web_page"),
        ("Gäller för: kommunerna i länet. Godkänd av: förbundet.", "Länsöverenskommelse om missbruksvård",
         "agreement"),
        ("Denna överenskommelse gäller från och med 2020.", "Överenskommelse om samverkan", "agreement"),
        ("§ 12 Regionstyrelsen beslutar att anta planen.", "Protokoll regionstyrelsen", "decision"),
        ("Öppettider och adress till vårdcentralen.", "Vårdcentralen Centrum", "web_page"),
    ],
)
def test_kind_of_document(text: str, title: str | None, kind: str) -> None:
    assert extract_text(text, title=title).kind == kind


def test_bodies_of_a_named_region_and_coalitions_as_written() -> None:
    found = set(extract_text(
        "Region Hallands kulturnämnd och Barn- och ungdomspsykiatrin har beslutat om stödet. "
        "Koalition för Halland står bakom förslaget. Omsorgsnämndens ordförande välkomnar det."
    ).organisations)
    assert {"Region Hallands kulturnämnd", "Barn- och ungdomspsykiatrin", "Koalition för Halland",
            "Omsorgsnämnden"} <= found
