"""Word lists for fake but plausible Czech personal and company data."""

from __future__ import annotations

import unicodedata

MALE_FIRST = (
    "Jan", "Jiří", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav",
    "Zdeněk", "Václav", "Michal", "František", "Jakub", "Milan", "Karel", "Lukáš", "David",
    "Vladimír", "Ondřej", "Ladislav", "Roman", "Marek", "Stanislav", "Daniel", "Radek",
    "Antonín", "Vojtěch", "Filip", "Adam", "Matěj", "Libor", "Aleš", "Dominik", "Patrik", "Vít",
    "Štěpán", "Oldřich", "Kamil", "Robert",
)  # fmt: skip
FEMALE_FIRST = (
    "Marie", "Jana", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena",
    "Petra", "Veronika", "Jaroslava", "Tereza", "Martina", "Michaela", "Jitka", "Helena",
    "Ludmila", "Zdeňka", "Ivana", "Monika", "Eliška", "Zuzana", "Markéta", "Barbora",
    "Jarmila", "Kristýna", "Klára", "Adéla", "Natálie", "Karolína", "Dagmar", "Vlasta",
    "Simona", "Andrea", "Pavla", "Renata", "Marcela", "Blanka",
)  # fmt: skip
# (male form, female form); index order is also frequency order.
SURNAMES = (
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová"),
    ("Marek", "Marková"), ("Pospíšil", "Pospíšilová"), ("Pokorný", "Pokorná"),
    ("Hájek", "Hájková"), ("Král", "Králová"), ("Jelínek", "Jelínková"),
    ("Růžička", "Růžičková"), ("Beneš", "Benešová"), ("Fiala", "Fialová"),
    ("Sedláček", "Sedláčková"), ("Doležal", "Doležalová"), ("Zeman", "Zemanová"),
    ("Kolář", "Kolářová"), ("Navrátil", "Navrátilová"), ("Čermák", "Čermáková"),
    ("Vaněk", "Vaňková"), ("Urban", "Urbanová"), ("Blažek", "Blažková"), ("Kříž", "Křížová"),
    ("Kovář", "Kovářová"), ("Kratochvíl", "Kratochvílová"), ("Bartoš", "Bartošová"),
    ("Vlček", "Vlčková"), ("Polák", "Poláková"), ("Musil", "Musilová"),
    ("Kopecký", "Kopecká"), ("Šimek", "Šimková"), ("Konečný", "Konečná"), ("Malý", "Malá"),
    ("Holub", "Holubová"), ("Štěpánek", "Štěpánková"), ("Čech", "Čechová"),
    ("Staněk", "Staňková"), ("Kadlec", "Kadlecová"), ("Dostál", "Dostálová"),
    ("Soukup", "Soukupová"), ("Šťastný", "Šťastná"), ("Mareš", "Marešová"),
    ("Moravec", "Moravcová"), ("Sýkora", "Sýkorová"), ("Tichý", "Tichá"),
    ("Valenta", "Valentová"), ("Vávra", "Vávrová"), ("Matoušek", "Matoušková"),
    ("Bláha", "Bláhová"), ("Říha", "Říhová"), ("Ševčík", "Ševčíková"), ("Bureš", "Burešová"),
    ("Hruška", "Hrušková"), ("Mašek", "Mašková"),
)  # fmt: skip
STREETS = (
    "Husova", "Masarykova", "Nádražní", "Školní", "Komenského", "Palackého", "Jiráskova",
    "Sokolská", "Nerudova", "Smetanova", "Havlíčkova", "Tyršova", "Žižkova", "Zahradní",
    "Lipová", "Polní", "Krátká", "Dlouhá", "Riegrova", "Svatopluka Čecha", "Na Výsluní",
    "Luční", "Revoluční", "Pražská", "Brněnská", "Vrchlického", "Mánesova", "Sadová",
    "Májová", "U Potoka", "Kollárova", "Bezručova", "Wolkerova", "Dukelská", "Hlavní",
    "Jungmannova", "Tovární", "Lesní", "Slunečná", "Okružní",
)  # fmt: skip
OCCUPATIONS = (
    "shop assistant",
    "warehouse worker",
    "driver",
    "cook",
    "cleaner",
    "machine operator",
    "nurse",
    "teacher",
    "electrician",
    "mechanic",
    "clerk",
    "police officer",
    "sales representative",
    "accountant",
    "civil servant",
    "technician",
    "engineer",
    "software developer",
    "project manager",
    "physician",
    "lawyer",
    "entrepreneur",
    "architect",
    "consultant",
    "executive",
)  # fmt: skip (ordered roughly by typical income)
INDUSTRIES = (
    "Agriculture, forestry and fishing",
    "Mining and quarrying",
    "Manufacturing",
    "Electricity, gas, steam and air conditioning supply",
    "Water supply; sewerage, waste management and remediation activities",
    "Construction",
    "Wholesale and retail trade; repair of motor vehicles and motorcycles",
    "Transportation and storage",
    "Accommodation and food service activities",
    "Information and communication",
    "Financial and insurance activities",
    "Real estate activities",
    "Professional, scientific and technical activities",
    "Administrative and support service activities",
    "Education",
    "Human health and social work activities",
    "Arts, entertainment and recreation",
    "Other service activities",
)
INDUSTRY_WEIGHTS = (
    0.04, 0.005, 0.16, 0.015, 0.015, 0.12, 0.18, 0.06, 0.06, 0.07, 0.02, 0.05, 0.09, 0.04,
    0.01, 0.025, 0.015, 0.025,
)  # fmt: skip
# Per industry: a word that often appears in such company names.
INDUSTRY_WORDS = (
    "Agro", "Těžba", "Strojírny", "Energo", "Eko", "Stavby", "Obchod", "Trans", "Gastro",
    "Soft", "Finance", "Reality", "Projekt", "Servis", "Akademie", "Medical", "Art", "Služby",
)  # fmt: skip
COMPANY_WORDS = (
    "Alfa", "Beta", "Delta", "Omega", "Nova", "Moravia", "Bohemia", "Tech", "Metal", "Kovo",
    "Plast", "Vltava", "Labe", "Morava", "Sever", "Jih", "Praga", "Centrum", "Atlas", "Orion",
    "Sirius", "Vega", "Merkur", "Titan", "Global", "Euro", "Union", "Prima", "Optimal",
    "Standard", "Horizont", "Zenit", "Aurora", "Fénix", "Krystal", "Granit", "Jantar", "Mlýn",
    "Dub", "Lípa",
)  # fmt: skip
COMPANY_TAILS = ("", " CZ", " Group", " Plus", " Trade", " Holding", " Invest", " & Co.")
LEGAL_FORMS_SME = ("s.r.o.", "s.r.o.", "s.r.o.", "s.r.o.", "v.o.s.", "k.s.")
LEGAL_FORMS_LARGE = ("a.s.", "a.s.", "a.s.", "s.r.o.")
EMAIL_DOMAINS = (  # reserved .example domains: fake data must never reach a real mailbox
    "seznam.example", "email.example", "centrum.example", "gmail.example", "post.example",
)  # fmt: skip


def ascii_fold(text: str) -> str:
    """'Šťastná' -> 'Stastna', for e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())
