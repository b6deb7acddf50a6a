"""The emulator agents' record generators: the extracted ``data`` of one run, per agent.

Each generator takes a seeded :class:`random.Random` and a :class:`GenContext` and never looks at the
clock, so a data set is a pure function of its seed. Values include accented Latin, CJK and emoji text,
empty arrays and whole-number floats. Every float value is a Python ``float`` (serialized with a
decimal point, e.g. ``12000.0``) and every integer an ``int``: the JSON types are exactly what the
agent's schema says.

Examples:
    >>> import random
    >>> from datetime import UTC, datetime
    >>> ctx = GenContext(created=datetime(2026, 9, 1, tzinfo=UTC), pages=3, schema_version=2)
    >>> len(gen_report_pages(random.Random(0), ctx))
    3
    >>> isinstance(gen_invoice(random.Random(0), ctx)["total"], float)
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class GenContext:
    """What a generator may depend on besides its RNG."""

    created: datetime
    pages: int
    schema_version: int


# (vendor name, street, city, postal code, country, currency)
_VENDORS: list[tuple[str, str | None, str, str | None, str, str]] = [
    ("Northwind Office Supply LLC", "200 Civic Center Dr", "Columbus", "43215", "US", "USD"),
    ("Société Générale des Fournitures SARL", "12 rue de la République", "Lyon", "69002", "FR", "EUR"),
    ("Müller & Söhne GmbH", "Leopoldstraße 8", "München", "80802", "DE", "EUR"),
    ("株式会社山田商事", "北区梅田3-1-1", "大阪市", "530-0001", "JP", "JPY"),
    ("北京华信科技有限公司", "海淀区中关村大街27号", "北京", "100080", "CN", "CNY"),
    ("Café Olé Distribución S.L.", "Calle Sierpes 41", "Sevilla", "41004", "ES", "EUR"),
    ("Fjällräven Logistik AB", None, "Göteborg", "411 04", "SE", "SEK"),
    ('Acme "Quoted" Widgets, Inc.', "742 Evergreen Terrace", "Springfield", None, "US", "USD"),
    ("São Paulo Importação Ltda.", "Av. Paulista 1578", "São Paulo", "01310-200", "BR", "BRL"),
    ("Crème de la Crème Bakery 🥐", "4500 Rue Saint-Denis", "Montréal", "H2J 2L3", "CA", "CAD"),
    ("Oxford & Sons Stationers Ltd", "3 Broad St", "Oxford", "OX1 3AZ", "GB", "GBP"),
]

_CUSTOMERS: list[tuple[str, str, str]] = [
    ("Contoso Ltd", "Seattle", "US"),
    ("Globex Corporation", "Chicago", "US"),
    ("Zürich Re-Insurance AG", "Zürich", "CH"),
    ("Initech GmbH", "Berlin", "DE"),
    ("東京デジタル株式会社", "東京", "JP"),
]

_PRODUCTS: list[tuple[str, str | None, float]] = [
    ("A4 copier paper, 5-ream box", "PAP-A4-5R", 34.95),
    ("Toner cartridge TN-660", "TON-TN660", 69.95),
    ("Espresso beans — 1 kg bag", "COF-ESP-1K", 18.5),
    ("Ergonomic chair · mesh back", "CHR-ERG-02", 289.0),
    ("USB-C ドック", "DOC-USBC-7", 129.99),
    ("清洁服务 (月度)", None, 450.0),
    ("Naïve Bayes consulting, per hour", None, 175.0),
    ("Staples 26/6, 5000 pcs", "STP-26-6", 3.49),
    ("Whiteboard markers, assorted (4)", "MRK-WB-4", 7.25),
    ("Freight & handling", None, 12.0),
]

_TAGS = ["urgent", "recurring", "🚚 express", "✅ approved", "overdue", "déjà payé", "要確認", "Q3"]

_NOTES = [
    "Payment by wire transfer within 30 days.",
    'Ref: "Q3 restock"\nPlease quote the invoice number on payment.',
    "Merci pour votre confiance.",
    "お支払いは月末締め翌月末払いでお願いします。",
    "Late payments incur 1.5% interest per month; see C:\\terms\\late.txt",
]

_TAX_NAMES = {"US": "State sales tax", "CA": "GST", "JP": "消費税", "CN": "增值税", "BR": "ICMS"}
_TAX_RATES = {"US": 0.0725, "CA": 0.05, "JP": 0.1, "CN": 0.13, "BR": 0.18, "GB": 0.2, "SE": 0.25, "CH": 0.081}


def _money(value: float, currency: str) -> float:
    """Round to the currency's minor unit; JPY amounts stay whole but are still floats (``12000.0``)."""
    return float(round(value)) if currency == "JPY" else round(value, 2)


def _pick_date(rng: random.Random, around: date, spread_days: int) -> date:
    return around - timedelta(days=rng.randint(0, spread_days))


def gen_invoice(rng: random.Random, ctx: GenContext) -> JSON:
    """Generate one invoice (PER_DOC ``data``)."""
    name, street, city, postal, country, currency = rng.choice(_VENDORS)
    issued = _pick_date(rng, ctx.created.date(), 20)
    lines, subtotal, tax_total = _invoice_lines(rng, country, currency)
    customer, c_city, c_country = rng.choice(_CUSTOMERS)
    data: JSON = {
        "invoice_number": f"INV-{issued.year}-{rng.randint(1, 99999):05d}",
        "date": issued.isoformat(),
        "due_date": None
        if rng.random() < 0.25
        else (issued + timedelta(days=rng.choice([14, 30, 45]))).isoformat(),
        "currency": currency,
        "vendor": {
            "name": name,
            "vat_id": None if country in ("US", "CA") else f"{country}{rng.randint(10**8, 10**9 - 1)}",
            "address": {"street": street, "city": city, "postal_code": postal, "country": country},
        },
        "bill_to": {
            "name": customer,
            "address": {"street": None, "city": c_city, "postal_code": None, "country": c_country},
        },
        "line_items": lines,
        "tags": rng.sample(_TAGS, k=rng.choice([0, 0, 1, 2, 3])),
        "subtotal": _money(subtotal, currency),
        "tax_total": _money(tax_total, currency) if tax_total else None,
        "total": _money(subtotal + tax_total, currency),
        "paid": rng.random() < 0.3,
        "notes": rng.choice(_NOTES) if rng.random() < 0.5 else None,
        "run_id": f"PR-{issued.year}-{rng.randint(1, 999):03d}" if rng.random() < 0.3 else None,
    }
    if ctx.schema_version >= 2:
        data["po_number"] = f"PO-{rng.randint(100000, 999999)}" if rng.random() < 0.6 else None
    return data


def _invoice_lines(rng: random.Random, country: str, currency: str) -> tuple[list[JSON], float, float]:
    """An invoice's line items (sometimes none), with their subtotal and tax total."""
    fx = {"JPY": 150.0, "CNY": 7.2, "SEK": 10.5, "BRL": 5.1}.get(currency, 1.0)
    n_lines = 0 if rng.random() < 0.04 else rng.randint(1, 6)
    lines: list[JSON] = []
    subtotal = 0.0
    tax_total = 0.0
    for _ in range(n_lines):
        desc, sku, base = rng.choice(_PRODUCTS)
        quantity = rng.randint(1, 40)
        unit_price = _money(base * fx * rng.uniform(0.9, 1.1), currency)
        amount = _money(quantity * unit_price, currency)
        taxes = _line_taxes(rng, country, currency, amount)
        subtotal += amount
        tax_total += sum(t["amount"] for t in taxes)
        lines.append(
            {
                "description": desc,
                "sku": sku,
                "quantity": quantity,
                "unit_price": unit_price,
                "amount": amount,
                "taxes": taxes,
            }
        )
    return lines, subtotal, tax_total


def _line_taxes(rng: random.Random, country: str, currency: str, amount: float) -> list[JSON]:
    """The taxes on one invoice line of ``amount``: the vendor country's, sometimes none."""
    taxes: list[JSON] = []
    if country in _TAX_RATES and rng.random() < 0.8:
        rate = _TAX_RATES[country]
        taxes.append(
            {
                "name": _TAX_NAMES.get(country, "VAT"),
                "rate": rate,
                "amount": _money(amount * rate, currency),
            }
        )
        if country == "CA" and rng.random() < 0.5:
            taxes.append({"name": "QST", "rate": 0.09975, "amount": _money(amount * 0.09975, currency)})
    elif country in ("FR", "DE", "ES") and rng.random() < 0.85:
        rate = {"FR": 0.2, "DE": 0.19, "ES": 0.21}[country]
        taxes.append({"name": "VAT", "rate": rate, "amount": _money(amount * rate, currency)})
    return taxes


_PAGE_TITLES = [
    "Quarterly Highlights",
    "Segment Results",
    "Outlook",
    "Balance Sheet",
    "Cash Flow",
    "Risk Factors",
    "Management Discussion",
    "Résumé exécutif",
    "業績ハイライト",
    "Appendix: Glossary",
]
_SECTIONS = ["Overview", "Financials", "Operations", "Governance", None]
_BULLETS = [
    "Revenue grew on strong demand in EMEA.",
    "Gross margin expanded by 120 bps.",
    "Headcount flat quarter over quarter.",
    "Guidance raised for the full year 🚀",
    "Free cash flow of $1.2bn, up 8%.",
    "Restructuring charges of €45m booked in Q3.",
    "新製品の売上が好調に推移。",
    "Capex below plan due to supplier delays.",
]


def gen_report_pages(rng: random.Random, ctx: GenContext) -> list[JSON]:
    """Generate one object per page (PER_PAGE ``data``)."""
    pages: list[JSON] = []
    for _ in range(ctx.pages):
        has_revenue = rng.random() < 0.55
        pages.append(
            {
                "page_title": rng.choice(_PAGE_TITLES),
                "section": rng.choice(_SECTIONS),
                "revenue_musd": round(rng.uniform(50, 950), 1) if has_revenue else None,
                "headcount": rng.randint(200, 25000) if rng.random() < 0.35 else None,
                "yoy_growth_pct": round(rng.uniform(-12, 30), 2)
                if has_revenue and rng.random() < 0.7
                else None,
                "bullet_points": rng.sample(_BULLETS, k=rng.choice([0, 1, 2, 3, 4])),
                "has_chart": rng.random() < 0.4,
            }
        )
    return pages


_ARTICLES = [
    ("PAP", "A4 copier paper, 5-ream box", 34.95, "box"),
    ("TON", "Toner cartridge TN-660", 69.95, "each"),
    ("STP", "Staples 26/6, 5000 pcs", 3.49, "pack"),
    ("CAB", "Cat6 patch cable", 1.8, "m"),
    ("CLN", "Nettoyant multi-surfaces, bidon", 14.0, "l"),
    ("CHR", "Stuhl „Ergo“ mit Armlehnen", 249.0, "each"),
    ("SUG", "Zucker, Würfel — 1 kg", 2.15, "kg"),
    ("TEA", "緑茶ティーバッグ 100袋", 12.5, "box"),
]


def gen_price_rows(rng: random.Random, ctx: GenContext) -> list[JSON]:
    """Generate one object per table row (PER_TABLE_ROW ``data``); sometimes no table at all."""
    n_rows = 0 if rng.random() < 0.05 else rng.randint(1, min(40, 8 * ctx.pages))
    currency = rng.choice(["USD", "EUR", "EUR", "GBP", "CHF"])
    rows: list[JSON] = []
    for _ in range(n_rows):
        prefix, desc, base, unit = rng.choice(_ARTICLES)
        price = round(base * rng.uniform(0.85, 1.2), 2)
        tiers: list[JSON] = []
        for min_qty in sorted(rng.sample([10, 25, 50, 100, 250], k=rng.choice([0, 0, 1, 2, 3]))):
            tiers.append({"min_qty": min_qty, "unit_price": round(price * (1 - min_qty / 1000), 2)})
        rows.append(
            {
                "sku": f"{prefix}-{rng.randint(0, 9999):04d}",
                "description": desc,
                # Whole prices (12.0) happen in real lists and must stay JSON floats.
                "unit_price": float(round(price)) if rng.random() < 0.15 else price,
                "currency": currency,
                "unit": unit,
                "in_stock": rng.random() < 0.8,
                "min_order_qty": rng.choice([None, 1, 5, 10, 12]),
                "discount_tiers": tiers,
            }
        )
    return rows


_COMPANIES = [
    ("Contoso Ltd", "US"),
    ("Globex Corporation", "US"),
    ("Umbrella Holdings plc", "GB"),
    ("Société Anonyme Lumière", "FR"),
    ("株式会社サンプル", "JP"),
    ("Zürich Re-Insurance AG", "CH"),
    ("Ørsted Wind Services A/S", "DK"),
    ("Initech GmbH", "DE"),
]
_PEOPLE = [
    "Jane Doe",
    "José Álvarez",
    "Zoë Müller",
    "山田 太郎",
    "Åsa Lindqvist",
    "Chidi Okafor",
    "Priya Raman",
]
_TITLES = ["CEO", "General Counsel", "Head of Procurement", "Directeur général", None]
_JURISDICTIONS = [
    ("State of New York", ["New York"]),
    ("State of Delaware", ["Wilmington"]),
    ("England and Wales", ["London"]),
    ("Swiss law", ["Zürich", "Genève"]),
    ("日本法", ["東京"]),
    ("French law", []),
]
_CONTRACT_ROLES = {
    "MSA": ("client", "provider"),
    "SOW": ("client", "provider"),
    "NDA": ("discloser", "discloser"),
    "Lease": ("landlord", "tenant"),
    "Employment": ("employer", "employee"),
}


def gen_contract(rng: random.Random, ctx: GenContext) -> JSON:
    """Generate one contract (PER_DOC ``data``)."""
    kind = rng.choice(list(_CONTRACT_ROLES))
    roles = _CONTRACT_ROLES[kind]
    n_parties = 2 if kind != "NDA" or rng.random() < 0.7 else 3
    parties: list[JSON] = []
    for i, (company, country) in enumerate(rng.sample(_COMPANIES, k=n_parties)):
        parties.append(
            {
                "name": rng.choice(_PEOPLE) if kind == "Employment" and i == 1 else company,
                "role": roles[min(i, 1)],
                "country": country if rng.random() < 0.85 else None,
                "signatory": {"name": rng.choice(_PEOPLE), "title": rng.choice(_TITLES)},
            }
        )
    effective = _pick_date(rng, ctx.created.date(), 90)
    term = rng.choice([6, 12, 12, 24, 36, 60])
    fixed_end = rng.random() < 0.6
    jurisdiction, venues = rng.choice(_JURISDICTIONS)
    return {
        "title": {
            "MSA": "Master Services Agreement",
            "SOW": f"Statement of Work No. {rng.randint(1, 40)}",
            "NDA": "Mutual Non-Disclosure Agreement",
            "Lease": f"Commercial Lease — Unit {rng.randint(1, 300)}",
            "Employment": "Contrat de travail / Employment Agreement",
        }[kind],
        "contract_type": kind,
        "parties": parties,
        "effective_date": effective.isoformat(),
        "expiration_date": (effective + timedelta(days=30 * term)).isoformat() if fixed_end else None,
        "term_months": term,
        "auto_renew": not fixed_end and rng.random() < 0.8,
        "total_value": round(rng.uniform(5_000, 2_500_000), 2) if kind in ("MSA", "SOW", "Lease") else None,
        "governing_law": {"jurisdiction": jurisdiction, "venue_cities": list(venues)},
    }
