"""The emulator agents' data schemas: the JSON Schemas their runs' ``data`` conforms to.

Between them they hold the shapes a downstream flattener must handle: nested objects, ``$defs`` with
``$ref``, arrays of objects inside arrays of objects, arrays of strings, enums, nullable fields written
both as ``"type": [..., "null"]`` and as ``anyOf`` with null, and fields named ``date`` and ``run_id``
(which collide with the ETL's own columns).

Examples:
    >>> sorted(invoice_schema(2)["properties"].keys() - invoice_schema(1)["properties"].keys())
    ['po_number']
    >>> invoice_schema(1)["properties"]["vendor"]["properties"]["address"]
    {'$ref': '#/$defs/Address'}
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


def _s(type_: str | list[str], description: str, **extra: Any) -> JSON:
    return {"type": type_, "description": description, **extra}


def _nullable(inner: JSON, description: str) -> JSON:
    """A nullable field spelled with ``anyOf`` (what pydantic emits for ``X | None``)."""
    return {"anyOf": [inner, {"type": "null"}], "description": description}


CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CNY", "SEK", "BRL", "CAD", "CHF"]


def invoice_schema(version: int) -> JSON:
    """The Invoices agent's data schema; version 2 adds ``po_number``."""
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
        "line_items": _invoice_line_items(),
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
        "$defs": _invoice_defs(),
        "properties": properties,
        "required": required,
    }


def _invoice_defs() -> JSON:
    """The invoice's ``$defs``: the ``Address`` and ``Tax`` objects its properties ``$ref``."""
    return {
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
    }


def _invoice_line_items() -> JSON:
    """The invoice's ``line_items``: an array of objects whose items hold an array of ``$ref`` taxes."""
    return {
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
    }


def report_page_schema() -> JSON:
    """The Quarterly report pages agent's data schema: one object per page."""
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


def price_row_schema() -> JSON:
    """The Supplier price list rows agent's data schema: one object per table row."""
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


def contract_schema() -> JSON:
    """The Contracts agent's data schema."""
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
                "items": _contract_party(),
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


def _contract_party() -> JSON:
    """One party of a contract: an object holding a nested ``signatory`` object."""
    return {
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
    }
