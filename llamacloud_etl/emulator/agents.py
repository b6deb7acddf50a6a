"""The emulator's extraction agents: their JSON schemas, configurations and value generators.

Four agents cover the shapes a downstream flattener must handle (spec §6):

* ``Invoices`` (PER_DOC, PREMIUM, citations with bounding boxes, confidence): nested objects
  (``vendor.address.city``), ``$defs``/``$ref``, an array of objects (``line_items``) whose items hold
  another array of objects (``taxes``), an array of strings (``tags``), an enum (``currency``), nullable
  fields written both as ``"type": [..., "null"]`` and as ``anyOf`` with null, a field literally called
  ``date`` and one called ``run_id`` (to collide with the ETL's own columns), unicode, empty arrays and
  whole-number floats. Its schema changed partway through history: version 2 added ``po_number``.
* ``Quarterly report pages`` (PER_PAGE, BALANCED, confidence only): one object per page.
* ``Supplier price list rows`` (PER_TABLE_ROW, BALANCED, citations without bounding boxes): one object
  per table row, with a nested array of objects (``discount_tiers``).
* ``Contracts`` (PER_DOC, MULTIMODAL, citations, reasoning and confidence): an array of objects holding a
  nested object (``parties[].signatory``), a nested object holding an array of strings
  (``governing_law.venue_cities``), an integer ``term_months`` and booleans.

Generators take a seeded :class:`random.Random` and never look at the clock, so a data set is a pure
function of its seed. Every float value is a Python ``float`` (serialized with a decimal point, e.g.
``12000.0``) and every integer an ``int``: the JSON types are exactly what the schema says.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from llamacloud_etl.models import ExtractTarget

JSON = dict[str, Any]

# Fixed namespace: agent, project and organization ids are the same for every seed, so a demo or a
# Dagster config can name an agent id that exists in any emulator data set.
_NAMESPACE = uuid.UUID("5c0f3f5e-2d4a-4c1b-9a57-6f7e0d3c8b21")


def stable_id(name: str) -> str:
    """Return a UUID that depends only on ``name`` (UUID5 in the emulator's namespace)."""
    return str(uuid.uuid5(_NAMESPACE, name))


PROJECT_ID = stable_id("project")
ORGANIZATION_ID = stable_id("organization")

# The 16 ExtractConfig keys in the order the API serializes them, with server-side defaults (§3, §10.12).
CONFIG_DEFAULTS: JSON = {
    "priority": None,
    "extraction_target": "PER_DOC",
    "extraction_mode": "PREMIUM",
    "parse_model": None,
    "extract_model": None,
    "multimodal_fast_mode": False,
    "system_prompt": None,
    "use_reasoning": False,
    "cite_sources": False,
    "citation_bbox": False,
    "confidence_scores": False,
    "chunk_mode": "PAGE",
    "high_resolution_mode": False,
    "invalidate_cache": False,
    "num_pages_context": None,
    "page_range": None,
}


def make_config(**overrides: Any) -> JSON:
    """Return a full ExtractConfig dict: every key present, defaults filled in."""
    unknown = set(overrides) - set(CONFIG_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown ExtractConfig keys: {sorted(unknown)}")
    return {**CONFIG_DEFAULTS, **overrides}


# --------------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------------


def _s(type_: str | list[str], description: str, **extra: Any) -> JSON:
    return {"type": type_, "description": description, **extra}


def _nullable(inner: JSON, description: str) -> JSON:
    """A nullable field spelled with ``anyOf`` (what pydantic emits for ``X | None``)."""
    return {"anyOf": [inner, {"type": "null"}], "description": description}


CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CNY", "SEK", "BRL", "CAD", "CHF"]


def _invoice_schema(version: int) -> JSON:
    properties: JSON = {
        "invoice_number": _s("string", "Invoice number as printed, e.g. INV-2026-00412"),
        "date": _s("string", "Issue date of the invoice, ISO 8601 (YYYY-MM-DD)", format="date"),
        "due_date": _nullable({"type": "string", "format": "date"}, "Payment due date, if stated"),
        "currency": _s("string", "ISO 4217 currency of all amounts", enum=CURRENCIES),
        "vendor": {
            "type": "object",
            "description": "The party that issued the invoice",
            "properties": {
                "name": _s("string", "Legal name of the vendor"),
                "vat_id": _s(["string", "null"], "VAT or tax registration number"),
                "address": {"$ref": "#/$defs/Address"},
            },
            "required": ["name", "address"],
        },
        "bill_to": {
            "type": "object",
            "description": "The customer being billed",
            "properties": {
                "name": _s("string", "Customer name"),
                "address": {"$ref": "#/$defs/Address"},
            },
            "required": ["name"],
        },
        "line_items": {
            "type": "array",
            "description": "One entry per billed line",
            "items": {
                "type": "object",
                "properties": {
                    "description": _s("string", "What was billed"),
                    "sku": _s(["string", "null"], "Article number, if printed"),
                    "quantity": _s("integer", "Number of units"),
                    "unit_price": _s("number", "Price of one unit"),
                    "amount": _s("number", "Line total before tax"),
                    "taxes": {
                        "type": "array",
                        "description": "Taxes applied to this line",
                        "items": {"$ref": "#/$defs/Tax"},
                    },
                },
                "required": ["description", "quantity", "amount"],
            },
        },
        "tags": {
            "type": "array",
            "description": "Free-form labels stamped on the invoice",
            "items": {"type": "string"},
        },
        "subtotal": _s("number", "Sum of line amounts before tax"),
        "tax_total": _nullable({"type": "number"}, "Sum of all taxes"),
        "total": _s("number", "Total amount due"),
        "paid": _s("boolean", "Whether the invoice is marked as paid"),
        "notes": _s(["string", "null"], "Free text notes or payment instructions"),
        "run_id": _s(["string", "null"], "Print-run identifier in the footer (not the extraction run)"),
    }
    required = ["invoice_number", "date", "currency", "vendor", "line_items", "total"]
    if version >= 2:
        properties["po_number"] = _nullable({"type": "string"}, "Customer purchase order number")
    return {
        "type": "object",
        "title": "Invoice",
        "description": "A supplier invoice",
        "$defs": {
            "Address": {
                "type": "object",
                "description": "A postal address",
                "properties": {
                    "street": _s(["string", "null"], "Street and number"),
                    "city": _s("string", "City"),
                    "postal_code": _s(["string", "null"], "Postal or ZIP code"),
                    "country": _s("string", "ISO 3166-1 alpha-2 country code"),
                },
                "required": ["city", "country"],
            },
            "Tax": {
                "type": "object",
                "description": "One tax on a line",
                "properties": {
                    "name": _s("string", "Tax name, e.g. VAT"),
                    "rate": _s("number", "Rate as a fraction, e.g. 0.2"),
                    "amount": _s("number", "Tax amount"),
                },
                "required": ["name", "amount"],
            },
        },
        "properties": properties,
        "required": required,
    }


def _report_page_schema() -> JSON:
    return {
        "type": "object",
        "title": "ReportPage",
        "description": "Key figures of one page of a quarterly report",
        "properties": {
            "page_title": _s("string", "Heading of the page"),
            "section": _s(["string", "null"], "Report section the page belongs to"),
            "revenue_musd": _nullable(
                {"type": "number"}, "Revenue mentioned on the page, in millions of USD"
            ),
            "headcount": _s(["integer", "null"], "Employee headcount mentioned on the page"),
            "yoy_growth_pct": _nullable({"type": "number"}, "Year-over-year growth in percent"),
            "bullet_points": {
                "type": "array",
                "description": "Key statements on the page",
                "items": {"type": "string"},
            },
            "has_chart": _s("boolean", "Whether the page contains a chart"),
        },
        "required": ["page_title", "bullet_points"],
    }


def _price_row_schema() -> JSON:
    return {
        "type": "object",
        "title": "PriceListRow",
        "description": "One row of a supplier price list",
        "properties": {
            "sku": _s("string", "Supplier article number"),
            "description": _s("string", "Article description"),
            "unit_price": _s("number", "List price per unit"),
            "currency": _s("string", "Currency of the price", enum=CURRENCIES),
            "unit": _s("string", "Unit of sale", enum=["each", "box", "kg", "m", "l", "pack"]),
            "in_stock": _s("boolean", "Whether the article is in stock"),
            "min_order_qty": _s(["integer", "null"], "Minimum order quantity"),
            "discount_tiers": {
                "type": "array",
                "description": "Volume discounts",
                "items": {
                    "type": "object",
                    "properties": {
                        "min_qty": _s("integer", "Quantity from which the tier applies"),
                        "unit_price": _s("number", "Discounted price per unit"),
                    },
                    "required": ["min_qty", "unit_price"],
                },
            },
        },
        "required": ["sku", "description", "unit_price"],
    }


def _contract_schema() -> JSON:
    return {
        "type": "object",
        "title": "Contract",
        "description": "Key terms of a commercial contract",
        "properties": {
            "title": _s("string", "Title of the agreement"),
            "contract_type": _s(
                "string", "Kind of agreement", enum=["MSA", "NDA", "SOW", "Lease", "Employment"]
            ),
            "parties": {
                "type": "array",
                "description": "Parties to the agreement",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _s("string", "Legal name of the party"),
                        "role": _s(
                            "string",
                            "Role of the party",
                            enum=[
                                "client",
                                "provider",
                                "landlord",
                                "tenant",
                                "employer",
                                "employee",
                                "discloser",
                            ],
                        ),
                        "country": _s(["string", "null"], "Country of incorporation or residence"),
                        "signatory": {
                            "type": "object",
                            "description": "Who signed for the party",
                            "properties": {
                                "name": _s("string", "Name of the signatory"),
                                "title": _s(["string", "null"], "Job title of the signatory"),
                            },
                            "required": ["name"],
                        },
                    },
                    "required": ["name", "role"],
                },
            },
            "effective_date": _s("string", "Date the agreement takes effect (YYYY-MM-DD)", format="date"),
            "expiration_date": _nullable({"type": "string", "format": "date"}, "End date, if fixed"),
            "term_months": _s("integer", "Initial term in months"),
            "auto_renew": _s("boolean", "Whether the agreement renews automatically"),
            "total_value": _nullable({"type": "number"}, "Total contract value"),
            "governing_law": {
                "type": "object",
                "description": "Governing law and venue",
                "properties": {
                    "jurisdiction": _s("string", "Governing law, e.g. State of New York"),
                    "venue_cities": {
                        "type": "array",
                        "description": "Cities whose courts have jurisdiction",
                        "items": {"type": "string"},
                    },
                },
                "required": ["jurisdiction"],
            },
        },
        "required": ["title", "contract_type", "parties", "effective_date", "term_months"],
    }


# --------------------------------------------------------------------------------------------------
# Value generators
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Agent specifications
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenContext:
    """What a generator may depend on besides its RNG."""

    created: datetime
    pages: int
    schema_version: int


@dataclass(frozen=True)
class AgentSpec:
    """One emulated extraction agent.

    Attributes:
        key: short stable name; the agent id is derived from it.
        name: the agent's display name.
        config: the agent's full ExtractConfig.
        schemas: data schema versions, oldest first; the agent shows the last one.
        schema_changed_at: fraction of the history (0-1) at which the last schema version took effect.
        generate: the data generator.
        weight: share of runs that belong to this agent.
        pages: (min, max) page count of its documents.
        file_types: document types it sees, with repeats as weights.
    """

    key: str
    name: str
    config: JSON
    schemas: tuple[JSON, ...]
    generate: Callable[[random.Random, GenContext], JSON | list[JSON]]
    weight: float
    pages: tuple[int, int]
    file_types: Sequence[str]
    schema_changed_at: float = 0.0
    file_prefix: str = "doc"

    @property
    def id(self) -> str:
        """The agent's UUID (stable across seeds)."""
        return stable_id(f"agent:{self.key}")

    @property
    def target(self) -> str:
        """The agent's extraction target."""
        return str(self.config["extraction_target"])


AGENT_SPECS: tuple[AgentSpec, ...] = (
    AgentSpec(
        key="invoices",
        name="Invoices",
        config=make_config(
            extraction_target=ExtractTarget.PER_DOC.value,
            extraction_mode="PREMIUM",
            cite_sources=True,
            citation_bbox=True,
            confidence_scores=True,
            system_prompt="Amounts are in the invoice currency; dates as YYYY-MM-DD.",
        ),
        schemas=(_invoice_schema(1), _invoice_schema(2)),
        schema_changed_at=0.5,
        generate=gen_invoice,
        weight=0.4,
        pages=(1, 3),
        file_types=("pdf", "pdf", "pdf", "png", "docx"),
        file_prefix="INV",
    ),
    AgentSpec(
        key="report-pages",
        name="Quarterly report pages",
        config=make_config(
            extraction_target=ExtractTarget.PER_PAGE.value,
            extraction_mode="BALANCED",
            confidence_scores=True,
            parse_model="gemini-2.5-flash",
            chunk_mode="SECTION",
        ),
        schemas=(_report_page_schema(),),
        generate=gen_report_pages,
        weight=0.2,
        pages=(2, 12),
        file_types=("pdf", "pdf", "docx"),
        file_prefix="quarterly-report",
    ),
    AgentSpec(
        key="price-list-rows",
        name="Supplier price list rows",
        config=make_config(
            extraction_target=ExtractTarget.PER_TABLE_ROW.value,
            extraction_mode="BALANCED",
            cite_sources=True,
            extract_model="openai-gpt-4-1-mini",
        ),
        schemas=(_price_row_schema(),),
        generate=gen_price_rows,
        weight=0.2,
        pages=(1, 6),
        file_types=("pdf", "png", "docx"),
        file_prefix="price-list",
    ),
    AgentSpec(
        key="contracts",
        name="Contracts",
        config=make_config(
            extraction_target=ExtractTarget.PER_DOC.value,
            extraction_mode="MULTIMODAL",
            cite_sources=True,
            use_reasoning=True,
            confidence_scores=True,
            extract_model="openai-gpt-5",
            parse_model="anthropic-sonnet-4.0",
            num_pages_context=4,
        ),
        schemas=(_contract_schema(),),
        generate=gen_contract,
        weight=0.2,
        pages=(3, 30),
        file_types=("pdf", "pdf", "docx"),
        file_prefix="contract",
    ),
)

# The default agent behind the stateless ``POST /run`` endpoint; listed only with include_default=true.
DEFAULT_AGENT_SPEC = AgentSpec(
    key="default",
    name="default-extraction-agent",
    config=make_config(),
    schemas=({"type": "object", "properties": {}, "required": []},),
    generate=lambda rng, ctx: {},
    weight=0.0,
    pages=(1, 1),
    file_types=("pdf",),
)


def spec_for(agent_id: str) -> AgentSpec | None:
    """Return the spec of the agent with this id, or None."""
    for spec in (*AGENT_SPECS, DEFAULT_AGENT_SPEC):
        if spec.id == agent_id:
            return spec
    return None
