"""Gespreksverslag and actieplan: the real CLI against a real SQLite file, the counting behind the feedback,
every dev dialogue, and the HTML pages in headless Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import DEV_DIALOGUES, run_cli
from PIL import Image, ImageStat

from gesprekopname import jijvorm, pipeline, reports, store, transcripts
from gesprekopname.types import Evidence, PhaseSpan, Segment, Session, Transcript

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import conditions  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
STEP = "Een dag meelopen bij de opleiding dierenartsassistent"
TOLD_AT_LENGTH = "Ik vertelde heel uitgebreid over alles wat er die dag gebeurde, van begin tot eind."  # 15 words
SECTIONS = ("Gesprek", "Terugkijken", "Reflecteren", "Vooruitkijken", "Activeren", "Loopbaancompetenties",
            "Fasen in het gesprek", "Feedback voor de begeleider", "Meldingen")
PLAN_SECTIONS = ("Mijn ervaring", "Waar ik goed in was", "Wat ik belangrijk vind", "Mijn volgende stap",
                 "Als het lastig wordt, dan ...", "Volgende gesprek")
QUESTION_LISTS = reports.wording()["vragen"]


def _segment(start: float, end: float, speaker: str, phase: str, text: str) -> Segment:
    return Segment(start, end, text, speaker=speaker, phase=phase)


def known_session(session_id: str = "abcd1234", **changes) -> Session:
    """A short conversation with a known summary: rol, verwachtingen and inzicht were not discussed."""
    segments = [
        _segment(0, 4, "begeleider", "terugkijken", "Hoi Noor, welke ervaring wil je met me delen?"),
        _segment(4, 14, "leerling", "terugkijken", "Ik liep stage bij de dierenarts. Ik hielp bij een operatie."),
        _segment(14, 17, "begeleider", "reflecteren", "Vond je <i>dat</i> leuk?"),
        _segment(17, 27, "leerling", "reflecteren", "Ja, heel leuk. Ik bleef rustig toen de hond <bloedde> & zo."),
        _segment(27, 30, "begeleider", "reflecteren", "Wat deed jij daar heel goed?"),
        _segment(30, 40, "leerling", "reflecteren", "Rustig blijven. En ik wil dieren helpen."),
        _segment(40, 44, "begeleider", "vooruitkijken", "Wat wil je nu uitproberen?"),
        _segment(44, 56, "leerling", "vooruitkijken", "Een dag meelopen bij de opleiding, voor de meivakantie."),
        _segment(56, 60, "begeleider", "activeren", "Wie kan je daarbij helpen?"),
        _segment(60, 70, "leerling", "activeren", "Mevrouw Jansen van de stage. Maar ik heb geen vervoer."),
    ]
    summary = {
        "ervaring": "Noor hielp bij de dierenarts bij een operatie aan een hond.",
        "rol": None, "verwachtingen": None, "inzicht": None,
        "kwaliteiten": ["rustig blijven"], "motieven": ["dieren helpen"],
        "vervolgstap": f"{STEP}.", "wanneer": "voor de meivakantie", "contact": "mevrouw Jansen",
        "belemmeringen": ["geen vervoer"], "oplossingen": ["fietsen met mijn zus"],
        "competenties": ["Kwaliteitenreflectie", "Loopbaansturing"],
    }
    evidence = {
        "kwaliteiten": [Evidence(17, 27, "Ik bleef rustig toen de hond <bloedde> & zo.")],
        "vervolgstap": [Evidence(44, 56, "Een dag meelopen bij de opleiding, voor de meivakantie.")],
    }
    phases = [PhaseSpan("terugkijken", 0, 14), PhaseSpan("reflecteren", 14, 40),
              PhaseSpan("vooruitkijken", 40, 56), PhaseSpan("activeren", 56, 70)]
    session = Session(session_id, "Noor", "2025-03-12T10:15:00+01:00", 70.0, "bestand", segments, phases,
                      summary, evidence, warnings=["Vooruitkijken duurde maar 16 seconden."])
    for key, value in changes.items():
        setattr(session, key, value)
    return session


def save(home: Path, session: Session) -> str:
    with store.open_db(home / "gesprekken.db") as db:
        store.save_session(db, session)
    return session.id


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2
    assert result.stderr.startswith("Fout: ") and "Traceback" not in result.stderr
    assert all(fragment in result.stderr for fragment in fragments), result.stderr
    assert result.stdout == ""


def section(markdown: str, title: str) -> str:
    """The text under a '## title' heading, up to the next one."""
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def assert_never_blank(markdown: str) -> None:
    """Every heading has content and every label a value (or sub-items right below it)."""
    lines = markdown.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#"):
            assert any(text.strip() for text in lines[index + 1: index + 3]), line
        if re.fullmatch(r"(> )?- \*\*[^*]+:\*\*", line):
            assert lines[index + 1].removeprefix("> ").startswith("  - "), line


# ---------------------------------------------------------------- the verslag through the CLI


def test_verslag_markdown_has_every_section_and_the_known_fields(home):
    markdown = ok(run_cli("verslag", save(home, known_session()), home=home))
    for title in SECTIONS:
        assert f"\n## {title}\n" in markdown
    assert "**Leerling:** Noor" in markdown and "**Datum:** 12-03-2025 10:15" in markdown
    assert "**Begeleider:** _niet vastgelegd_" in markdown and "**Toestemming:** _niet vastgelegd_" in markdown
    assert "**Ervaring:** Noor hielp bij de dierenarts" in section(markdown, "Terugkijken")
    assert "**Kwaliteiten:** rustig blijven\n  - „Ik bleef rustig toen de hond <bloedde> & zo.” (0:17)" in markdown
    assert "| Geen vervoer | Fietsen met mijn zus |" in section(markdown, "Activeren")
    assert "Aan bod gekomen:**\n  - Kwaliteitenreflectie\n  - Loopbaansturing" in markdown
    assert "Vooruitkijken duurde maar 16 seconden." in section(markdown, "Meldingen")
    assert_never_blank(markdown)


def test_verslag_shows_niet_besproken_for_every_empty_field(home):
    markdown = ok(run_cli("verslag", save(home, known_session()), home=home))
    for label in ("Rol van de leerling", "Wat er verwacht werd", "Inzicht (door de leerling benoemd)"):
        assert f"- **{label}:** _niet besproken_" in markdown
    empty = known_session("leeg0001", summary={}, evidence={}, phases=[])
    markdown = ok(run_cli("verslag", save(home, empty), home=home))
    assert markdown.count("niet besproken") >= 12  # every field, the table's two cells and the competences
    assert "Overgeslagen: Terugkijken, Reflecteren, Vooruitkijken en Activeren." in markdown
    assert_never_blank(markdown)


def test_verslag_sets_the_vervolgstap_apart_with_wanneer_and_met_wie(home):
    step = section(ok(run_cli("verslag", save(home, known_session()), home=home)), "Vooruitkijken")
    assert step.lstrip().startswith("> **Vervolgstap**")
    assert f"> - **Wat:** {STEP}." in step
    assert "> - **Wanneer:** voor de meivakantie" in step
    assert "> - **Met wie:** mevrouw Jansen" in step


def test_verslag_feedback_gives_talk_share_and_question_counts(home):
    feedback = section(ok(run_cli("verslag", save(home, known_session()), home=home)), "Feedback voor de begeleider")
    # begeleider 4+3+3+4+4 = 18 s, leerling 5 x 10 + 2 = 52 s
    assert "**Spreektijd:** begeleider 26% (0:18), leerling 74% (0:52)" in feedback
    assert "**Open vragen:** 4" in feedback and "**Gesloten vragen:** 1" in feedback
    assert "- Vond je <i>dat</i> leuk?" in feedback


def test_verslag_phase_coverage_and_timeline(home):
    coverage = section(ok(run_cli("verslag", save(home, known_session()), home=home)), "Fasen in het gesprek")
    assert "| Reflecteren | 0:26 | 37% |" in coverage and "Geen fase overgeslagen." in coverage
    bar = re.search(r"0:00 ([TRVA·]+) 1:10", coverage)[1]
    assert bar.startswith("TTTT") and bar.endswith("AAAA") and set(bar) == set("TRVA")


def test_verslag_header_shows_begeleider_and_consent_when_recorded():
    session = known_session(toestemming={"door": "ouder", "versie": "1", "tijdstip": "2025-03-12T10:14:00+01:00",
                                         "tekst": "Een ouder of voogd geeft toestemming ..."})
    text = reports.verslag(session)
    assert "**Toestemming:** gegeven door een ouder of voogd op 12-03-2025 10:14 (toestemmingstekst versie 1)" in text
    data = reports.build_verslag({**transcripts.session_to_json(session), "begeleider": "mentor De Vries"},
                                 reports.wording())
    assert "**Begeleider:** mentor De Vries" in reports.render_markdown(data)


def test_verslag_html_is_self_contained_and_escapes_transcript_text(home):
    page = ok(run_cli("verslag", save(home, known_session()), "--html", home=home))
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page and "<svg" in page
    assert not re.search(r"<script|<link|\bsrc=|\bhref=|@import|url\(", page)
    assert "&lt;bloedde&gt; &amp; zo" in page and "Vond je &lt;i&gt;dat&lt;/i&gt; leuk?" in page
    assert "<bloedde>" not in page and "<i>dat" not in page


def own_wording(home: Path, tmp_path: Path, text: str) -> Path:
    """A school's wording file holding `text`, named in the data directory's config.toml."""
    own = tmp_path / "eigen-verslag.yaml"
    own.write_text(text, encoding="utf-8")
    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[verslag]\ntekst = "{own}"\n')
    return own


def test_a_school_can_change_the_wording_in_its_own_file(home, tmp_path):
    own_wording(home, tmp_path, "verslag:\n  titel: Verslag LOB-gesprek Het Baken\n"
                                "niet_besproken: nog niet besproken\n")
    markdown = ok(run_cli("verslag", save(home, known_session()), home=home))
    assert markdown.startswith("# Verslag LOB-gesprek Het Baken\n")
    assert "**Rol van de leerling:** _nog niet besproken_" in markdown and "## Terugkijken" in markdown


@pytest.mark.parametrize(("content", "says"), [
    ("actieplan: 3\n", ", regel 1: onder 'actieplan' horen sleutels met een waarde."),
    ("verslag:\n  titel: [Verslag, Het Baken]\n", ", regel 2: 'titel' is één tekst"),
    ("verslagen:\n  titel: Verslag\n", ", regel 1: onbekende sleutel 'verslagen' (bekend: niet_besproken,"),
    ('actieplan:\n  intro: "Besproken op {datum} met {begeleider}."\n',
     ", regel 2: in 'intro' vult het programma alleen {datum} in (tussen accolades, zoals ze er staan)."),
])
def test_a_schools_wording_file_with_a_mistake_is_refused_with_its_line(home, tmp_path, content, says):
    own = own_wording(home, tmp_path, content)
    result = run_cli("verslag", save(home, known_session()), home=home)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Fout: {own}{says}")


def test_a_schools_wording_file_may_show_more_fields_in_a_phase(home, tmp_path):
    own_wording(home, tmp_path, "verslag:\n  velden:\n    vooruitkijken:\n      verwachtingen: Wat er verwacht werd\n")
    markdown = ok(run_cli("verslag", save(home, known_session()), home=home))
    assert "Wat er verwacht werd" in section(markdown, "Vooruitkijken")


# ---------------------------------------------------------------- the actieplan through the CLI


def test_actieplan_is_short_plain_and_in_jij_form(home):
    markdown = ok(run_cli("actieplan", save(home, known_session()), home=home))
    assert reports.word_count(markdown) <= reports.ACTIEPLAN_MAX_WORDS
    for title in PLAN_SECTIONS:
        assert f"\n## {title}\n" in markdown
    assert "Je was goed in: rustig blijven." in markdown
    assert f"- Dit ga je doen: {STEP}." in markdown
    assert "- Wanneer: voor de meivakantie." in markdown and "- Wie je helpt: mevrouw Jansen." in markdown
    assert "Lastig: geen vervoer. Wat je dan doet: fietsen met je zus." in markdown
    assert not re.search(r"\b(de leerling|hij|zij|haar|zijn)\b", markdown, re.IGNORECASE)
    assert_never_blank(markdown)


def test_actieplan_puts_the_students_words_in_the_jij_form_or_quotes_them():
    summary = {"kwaliteiten": ["Ik bleef rustig", "Ik ook", "Volgens mij werk jij netjes"],
               "contact": "Linda, mijn praktijkbegeleider",
               "vervolgstap": "Mijn moeder brengt me naar de open dag.", "belemmeringen": ["Mijn rooster"]}
    markdown = reports.actieplan(known_session(summary=summary))
    assert "- Je bleef rustig\n- „Ik ook”\n- Volgens mij werk jij netjes\n" in markdown
    assert "Wie je helpt: Linda, je praktijkbegeleider." in markdown
    assert "Dit ga je doen: Je moeder brengt je naar de open dag." in markdown and "Lastig: Je rooster." in markdown


@pytest.mark.parametrize(("said", "to_you"), [
    ("Ik zet het in mijn telefoon", "Je zet het in je telefoon"),
    ("Ik werk bij de Jumbo", "Je werkt bij de Jumbo"),
    ("Ik wil een dag met Hanneke meelopen", "Je wilt een dag met Hanneke meelopen"),
    ("Ik bleef wel beleefd", "Je bleef wel beleefd"),
    ("Dan vraag ik of het in de rustige week kan", "Dan vraag je of het in de rustige week kan"),
    ("Dat ik mensen en dieren wil helpen", "Dat je mensen en dieren wilt helpen"),
    ("Ik ben bang dat ik het vergeet", "Je bent bang dat je het vergeet"),
    ("dat ik het heb gedaan", "dat je het hebt gedaan"),
    ("Ik probeer het om 7.30 uur", "Je probeert het om 7.30 uur"),
    ("Ik bel bij hem aan en vraag of het mag", "Je belt bij hem aan en vraagt of het mag"),
    ("Ik was boos", "Je was boos"),  # not "Je wast": "was" is also the stem of "wassen"
    ("Ik stond op de koude kant", "Je stond op de koude kant"),
    ("Ik deed de kassa en de lijst", "Je deed de kassa en de lijst"),  # "de" only looks like the stem of "deden"
    ("Ik zat dus bij die slotenmaker", "Je zat dus bij die slotenmaker"),
    ("Ik heb het uitgelegd en hem de weg gewezen", "Je hebt het uitgelegd en hem de weg gewezen"),  # not "hemt"
    ("Ik blijf maar heen en weer gaan", "Je blijft maar heen en weer gaan"),  # not "weert"
    ("Zij deed de ene kant, ik de andere", None),  # no verb, not "je det andere": stays as said
    ("Ik rij met Frank mee", "Je rijdt met Frank mee"),
    ("Ik vroeg hoe ze heette", "Je vroeg hoe ze heette"),  # "vroeg" is also "early": was quoted as said
    ("Ik ook", None),  # no verb: stays as said
    ("Als ik het niet vraag, gebeurt er niks", None),  # "vraag" is also a noun: not sure enough in a clause
    # The clause of the second "ik" ends where the next one opens: was quoted as said (two verbs in it).
    ("Ik denk dat ik aanvoelde dat het niet oké was", "Je denkt dat je aanvoelde dat het niet oké was"),
    ("Ik denk dat ik goed zie wat er gebeurt", "Je denkt dat je goed ziet wat er gebeurt"),
    # But after "en" a verb of the same "ik" may come last: not sure, stays as said (not "aanvoelt ... doe").
    ("Dat ik eerst aanvoel hoe iemand zich voelt en dan pas iets doe", None),
])
def test_the_students_words_turn_to_the_jij_form_only_where_the_verb_is_sure(said, to_you):
    assert jijvorm.to_you(said) == to_you


@pytest.mark.parametrize(("said", "about", "back"), [
    ("Ik voelde me heel klein", "Noa voelde zich heel klein", None),
    ("Dan vraag ik het aan Ingrid", "Dan vraagt Noa het aan Ingrid", None),
    ("Ik ben bang dat ik het vergeet", "Noa is bang dat Noa het vergeet", None),
    ("Toen dacht ik aan mijn oma", "Toen dacht Noa aan Noa's oma", None),
    ("Ik zat achteraan en ik dacht na", "Noa zat achteraan en dacht na", "Ik zat achteraan en dacht na"),
    ("Voor ik het wist, stond hij er", "Voor Noa het wist, stond hij er", None),  # not "Voort Noa"
    ("Hij riep sneller dan ik", None, None),  # no verb with "ik": not "dant Noa"
    ("Ik bel aan en vraag of het mag", "Noa belt aan en vraagt of het mag", None),
    # "me" that is not the subject's own: "Dat lijkt Noa leuk" could not be told back ("Dat lijk ik leuk"?).
    ("Dat lijkt me leuk", None, None),
    ("Dus jij deed het", None, None),  # said to the student: its "ik" would be the begeleider
    # After a colon someone speaks: their "ik" is their own.
    ("Zij zei: dat doet de software, ik zit aan tafel", "Zij zei: dat doet de software, ik zit aan tafel", None),
    ("Ik dacht: hoe weten ze dat", "Noa dacht: hoe weten ze dat", None),
])
def test_the_students_words_are_told_about_them_by_name_and_back(said, about, back):
    assert jijvorm.about(said, "Noa") == about
    if about:
        assert jijvorm.back(about, "Noa") == (back or said)


@pytest.mark.parametrize(("said", "about"), [
    ("Dus jij stond achter de kassa", "Dus Noa stond achter de kassa"),
    ("Dus je loopt volgende week een dienst mee", "Dus Noa loopt volgende week een dienst mee"),
    ("Toen ging je gewoon door", "Toen ging Noa gewoon door"),  # the past: this "je" is the student
    ("Kun jij dat laten zien", "Kan Noa dat laten zien"),  # back to the student: "Kan je dat laten zien"
    ("Dus jij bent iemand die doorzet", "Dus Noa is iemand die doorzet"),
    ("Dan heb jij het met jouw ouders besproken", "Dan heeft Noa het met Noa's ouders besproken"),
    ("En Dennis liet jou zoeken", "En Dennis liet Noa zoeken"),
    ("Op het mbo leer je ook e-bikes maken", None),  # "je" is anyone here: not "leert Noa"
    ("Jesse, je stageweek zit erop", None),  # a possessive "je": "stageweek" is no verb
    ("Ik bel je morgen", None),  # "je" is no subject here: not "Ik belt Noa morgen"
    ("Jij vraagt je mentor of het mag", None),  # a possessive "je" (or one pointing back): not sure which
    ("Dus, als ik het goed begrijp, jij wilt meelopen", None),  # the begeleider's own "ik" would be turned back
    ("Morgen mevrouw Kok, zondag je oom", None),  # "zondag" is no verb, though "zondagen" looks like one
])
def test_the_begeleiders_words_to_the_student_are_told_about_them_and_back(said, about):
    assert jijvorm.addressed_about(said, "Noa") == about
    if about:
        # The actieplan says it to the student again, in the plain "je".
        plain = re.sub(r"\b(jij|jouw|jou)\b", "je", said).replace("Kun je", "Kan je")
        assert jijvorm.to_you(jijvorm.back(about, "Noa")) == plain


@pytest.mark.parametrize(("said", "planned"), [
    ("Een dienst meedraaien met Marloes, dinsdag", "Noa draait een dienst mee met Marloes, dinsdag"),
    ("Volgende week een ochtend meekijken bij Ruud", "Noa kijkt volgende week een ochtend mee bij Ruud"),
    ("Naar de open dag gaan", "Noa gaat naar de open dag"),
    ("Twee dagen meelopen om te zien hoe het werkt", "Noa loopt twee dagen mee om te zien hoe het werkt"),
    ("Een dag meekijken bij een bedrijf dat dat doet", "Noa kijkt een dag mee bij een bedrijf dat dat doet"),
    ("Meelopen zegt meer dan een interview", None),  # the infinitive is the subject here
    ("Ik wil een dag meelopen", None),  # a subject and a verb already: told about by the other rules
    ("Een dag meelopen?", None),  # a question proposes; it agrees nothing
    ("Met Bakker praten en de proefles volgen", None),  # two steps in one: not sure how to join them
    ("Een dag met haar mee", "Noa gaat een dag met haar mee"),  # "mee" without a verb is "meegaan"
    ("Een keer mee met Gijs als hij de slagbomen komt nakijken",  # a verb in a subclause is no second step
     "Noa gaat een keer mee met Gijs als hij de slagbomen komt nakijken"),
    ("Een dag meelopen of een interview doen", None),  # two steps, or a choice between them
    ("Een kast de trap af krijgen, ja, daar zit een techniek achter", None),  # a remark on a task, no step
    ("Een dag meelopen, dan weet ik het", None),  # "ik" stays with the rules that turn it
    ("Drie middagen meehelpen, en zaterdag ga je langs", "Noa helpt drie middagen mee, en zaterdag ga je langs"),
])
def test_a_step_said_as_an_infinitive_is_told_as_what_the_student_will_do(said, planned):
    assert jijvorm.planned(said, "Noa") == planned
    if planned:  # and the actieplan says it to the student
        assert jijvorm.to_you(jijvorm.back(planned, "Noa")).startswith("Je ")


def test_actieplan_falls_back_kindly_and_invents_nothing(home):
    markdown = ok(run_cli("actieplan", save(home, known_session(summary={}, evidence={})), home=home))
    for title in PLAN_SECTIONS[:5]:
        assert section(markdown, title).strip() == "Dit bespreken we de volgende keer."
    assert_never_blank(markdown)


def test_actieplan_stays_within_150_words_and_keeps_the_step_whole():
    long = " ".join([TOLD_AT_LENGTH] * 8)
    summary = {key: long for key in ("ervaring", "wanneer", "contact")} | {
        key: [long] * 6 for key in ("kwaliteiten", "motieven", "belemmeringen", "oplossingen")
    } | {"vervolgstap": f"{STEP}."}
    markdown = reports.actieplan(known_session(summary=summary))
    assert reports.word_count(markdown) <= reports.ACTIEPLAN_MAX_WORDS
    assert f"Dit ga je doen: {STEP}." in markdown and "…" in markdown


def test_actieplan_cuts_a_long_story_where_it_still_says_something():
    long = " ".join([TOLD_AT_LENGTH] * 4)
    story = "Ik dacht, ik ga daar gewoon een week koffie zetten bij de balie op de afdeling van het ziekenhuis."
    summary = {"ervaring": story, "kwaliteiten": [long] * 3, "motieven": [long] * 3, "vervolgstap": f"{STEP}."}
    told = section(reports.actieplan(known_session(summary=summary)), "Mijn ervaring").strip()
    assert told.startswith("Je vertelde over: Je dacht, je gaat daar gewoon") and told.endswith("…")  # not "Je dacht…"
    assert told.split()[-1].rstrip("…") not in reports.wording()["actieplan"]["geen_eindwoord"]


def test_list_items_start_with_a_capital_in_both_documents():
    summary = {"kwaliteiten": ["jij kijkt goed naar mensen", "Ik word niet snel boos"],
               "belemmeringen": ["stel, ze heeft geen tijd"], "oplossingen": ["dan vraag ik Marja"]}
    session = known_session(summary=summary, evidence={})
    assert "- Jij kijkt goed naar mensen\n- Je wordt niet snel boos\n" in reports.actieplan(session)
    verslag = reports.verslag(session)
    assert "  - Jij kijkt goed naar mensen\n" in verslag
    assert "| Stel, ze heeft geen tijd | Dan vraag ik Marja |" in verslag


def test_actieplan_keeps_what_to_do_when_it_gets_hard_whole_where_the_story_is_cut():
    long = " ".join([TOLD_AT_LENGTH] * 4)
    summary = {"ervaring": long, "kwaliteiten": [long] * 3, "motieven": [long] * 3, "vervolgstap": f"{STEP}.",
               "belemmeringen": ["Op de warme kant is het altijd te druk"],
               "oplossingen": ["Ik vraag het op een rustige dinsdag"]}
    markdown = reports.actieplan(known_session(summary=summary))
    assert reports.word_count(markdown) <= reports.ACTIEPLAN_MAX_WORDS
    assert ("Lastig: Op de warme kant is het altijd te druk. Wat je dan doet: Je vraagt het op een rustige dinsdag."
            in markdown)
    assert "…" in section(markdown, "Mijn ervaring")


def test_actieplan_names_the_agreed_sentence_of_a_found_step_and_an_edited_step_whole():
    found = f"{STEP}. Die opleiding is op het ROC in de stad. Daar heb ik het met mijn mentor over gehad."
    markdown = reports.actieplan(known_session(summary={"vervolgstap": found}))
    assert f"- Dit ga je doen: {STEP}.\n" in markdown
    written = f"{STEP}. Eerst vraag je het rooster op."
    markdown = reports.actieplan(known_session(summary={"vervolgstap": written}, edits={"vervolgstap": written}))
    assert f"- Dit ga je doen: {written}\n" in markdown


def test_actieplan_html_page(home):
    page = ok(run_cli("actieplan", save(home, known_session()), "--html", home=home))
    assert page.startswith("<!DOCTYPE html>") and '<body class="actieplan">' in page
    assert "<h2>Mijn volgende stap</h2>" in page and STEP in page


# ---------------------------------------------------------------- -o and bad input


@pytest.mark.parametrize("command", ["verslag", "actieplan"])
def test_output_option_writes_the_file_and_nothing_else(home, tmp_path, command):
    session_id = save(home, known_session())
    target = tmp_path / "uit" / f"{command}.html"
    target.parent.mkdir()
    result = run_cli(command, session_id, "--html", "-o", str(target), home=home)
    assert ok(result) == "" and str(target) in result.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind
    markdown_target = target.with_suffix(".md")
    ok(run_cli(command, session_id, "--output", str(markdown_target), home=home))
    assert markdown_target.read_text(encoding="utf-8") == ok(run_cli(command, session_id, home=home))


@pytest.mark.parametrize("command", ["verslag", "actieplan"])
def test_output_into_a_missing_directory_is_refused(home, tmp_path, command):
    target = tmp_path / "bestaat-niet" / "verslag.html"
    result = run_cli(command, save(home, known_session()), "--html", "-o", str(target), home=home)
    assert_refused(result, "bestaat niet", str(target.parent))
    assert not target.parent.exists()


@pytest.mark.parametrize("command", ["verslag", "actieplan"])
def test_unknown_session_id_is_refused(home, command):
    save(home, known_session())
    assert_refused(run_cli(command, "ffffffff", home=home), "Geen gesprek gevonden met id 'ffffffff'")


# ---------------------------------------------------------------- the counting behind the feedback


@pytest.mark.parametrize(("question", "kind"), [
    ("Wat deed jij hierin heel goed?", "open"),
    ("En hoe voelde dat?", "open"),
    ("Oké, waarom koos je daarvoor?", "open"),
    ("Welke ervaring wil je met me delen?", "open"),
    ("Waardoor ging het mis?", "open"),
    ("Yara, wie kan je daarbij helpen?", "open"),
    ("Vond je het leuk?", "closed"),
    ("Heb je dat eerder meegemaakt?", "closed"),
    ("Dus is dat gelukt?", "closed"),
    ("Snap je?", "closed"),
    ("En toen?", "other"),
    ("Dus je bent betrouwbaar?", "other"),
    # A clause that says when or if first: the question is what follows ("als je" is no verb and subject).
    ("Als je het in een paar woorden zegt, wat neem je hieruit mee?", "open"),
    ("Als het niet lukt, ga je dan zelf bellen?", "closed"),
    ("En als je het zelf mag kiezen?", "other"),
    ("Op het containerveld?", "other"),  # a check, not a closed question: "het" after "op" is no subject
    ("Die je zelf had voorbereid?", "other"),
    ("Of ga je liever zelf?", "closed"),
])
def test_question_kind(question, kind):
    assert reports.question_kind(question, QUESTION_LISTS) == kind


def test_count_questions_counts_only_the_begeleiders_questions():
    segments = [
        {"speaker": "begeleider", "start": 0, "end": 5, "text": "Vertel eens. Hoe ging het? Vond je het leuk?"},
        {"speaker": "leerling", "start": 5, "end": 9, "text": "Wat bedoelt u? Ja, leuk."},
        {"speaker": None, "start": 9, "end": 10, "text": "Waarom?"},
        {"speaker": "begeleider", "start": 10, "end": 14, "text": "Wat wil je leren? Ga je dat doen? Echt?"},
    ]
    found = reports.count_questions(segments, QUESTION_LISTS)
    assert found.open == ["Hoe ging het?", "Wat wil je leren?"]
    assert found.closed == ["Vond je het leuk?", "Ga je dat doen?"]
    assert found.other == ["Echt?"]


def test_speaking_time_counts_seconds_per_role():
    segments = [
        {"speaker": "begeleider", "start": 0.0, "end": 6.5},
        {"speaker": "leerling", "start": 6.5, "end": 20.0},
        {"speaker": None, "start": 20.0, "end": 30.0},
        {"speaker": "begeleider", "start": 30.0, "end": 31.5},
    ]
    assert reports.speaking_time(segments) == {"begeleider": 8.0, "leerling": 13.5}
    assert reports.speaking_time([]) == {"begeleider": 0.0, "leerling": 0.0}


def test_without_known_speakers_the_talk_share_says_so():
    session = known_session(segments=[Segment(0, 5, "Hallo, hoe gaat het?")])
    assert "**Spreektijd:** _onbekend (geen sprekers herkend)_" in reports.verslag(session)


# ---------------------------------------------------------------- every dev dialogue


@pytest.mark.parametrize("path", DEV_DIALOGUES, ids=lambda p: p.stem)
def test_every_dev_dialogue_renders(path):
    """Both documents, both formats, with what the pipeline finds (T2: no speakers given) and with gold fields."""
    dialog = conditions.load_dialog(path)
    session = pipeline.new_session(Transcript(conditions.segments_for(dialog, "T2")), dialog.name, "bestand", None)
    with_gold = known_session(segments=session.segments, phases=session.phases, duur=session.duur,
                              summary=dict(dialog.gold), evidence={}, warnings=session.warnings)
    for each in (session, with_gold):
        markdown = reports.verslag(each)
        assert all(f"\n## {title}\n" in markdown for title in SECTIONS)
        assert_never_blank(markdown)
        plan = reports.actieplan(each)
        assert reports.word_count(plan) <= reports.ACTIEPLAN_MAX_WORDS
        assert_never_blank(plan)
        assert reports.verslag(each, html=True).endswith("</html>\n")
        assert reports.actieplan(each, html=True).endswith("</html>\n")
    gold_step = dialog.gold.get("vervolgstap")
    if gold_step:
        assert gold_step.rstrip(".") in section(reports.verslag(with_gold), "Vooruitkijken")


def test_a_processed_dev_dialogue_through_the_cli(home, tmp_path):
    dialog = conditions.load_dialog(DEV_DIALOGUES[0])
    vtt = tmp_path / "gesprek.vtt"
    vtt.write_text(conditions.to_vtt(conditions.segments_for(dialog, "T1")), encoding="utf-8")
    session_id = ok(run_cli("verwerken", str(vtt), "--leerling", "Jesse", home=home)).strip()
    markdown = ok(run_cli("verslag", session_id, home=home))
    assert "**Leerling:** Jesse" in markdown and "Geen fase overgeslagen." in markdown
    assert reports.word_count(ok(run_cli("actieplan", session_id, home=home))) <= reports.ACTIEPLAN_MAX_WORDS


# ---------------------------------------------------------------- in a real browser


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)  # a fresh, empty profile per run
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}"]
    result = subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def assert_not_blank(png: Path) -> None:
    image = Image.open(png).convert("L")
    assert image.size == (1000, 1400)
    dark = sum(image.histogram()[:96])  # text is near black
    assert dark > 2000 and ImageStat.Stat(image).stddev[0] > 15


@pytest.mark.parametrize(("command", "titles", "step_text"), [
    ("verslag", SECTIONS, f"{STEP}."), ("actieplan", PLAN_SECTIONS, f"Dit ga je doen: {STEP}."),
])
def test_html_in_headless_chromium(home, tmp_path, command, titles, step_text):
    page = tmp_path / f"{command}.html"
    ok(run_cli(command, save(home, known_session()), "--html", "-o", str(page), home=home))
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    for title in titles:
        assert f"<h2>{title}</h2>" in dom
    assert step_text in dom
    if command == "verslag":
        box = re.search(r'<div class="vervolgstap">(.*?)</div>', dom, re.DOTALL)[1]
        assert STEP in box and "voor de meivakantie" in box and "mevrouw Jansen" in box
        assert dom.count("<rect") >= 4 + 1 + 5  # background, a bar per phase span, legend
    screenshot = tmp_path / f"{command}.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1000,1400", page.as_uri())
    assert_not_blank(screenshot)
