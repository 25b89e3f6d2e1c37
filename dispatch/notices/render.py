"""Rendering a notice from its Jinja2 template, in French or English.

Each kind has ``templates/<lang>/<kind>.j2`` with three blocks: ``subject``,
``text`` (the e-mail's plain text, paragraphs separated by blank lines) and
``sms``. The e-mail's HTML is ``templates/layout.html.j2`` around the same
paragraphs, rendered with autoescape on, so customer data can never inject
markup. ``StrictUndefined``: a missing variable is an error, never a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from data.base import PARIS
from dispatch.notices.kinds import Kind

TEMPLATES = Path(__file__).with_name("templates")
BRAND = "Tournée"

_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ),
}
_MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def day_words(value: date | datetime, lang: str) -> str:
    """``mardi 24 novembre`` / ``Tuesday 24 November``."""
    d = value.astimezone(PARIS).date() if isinstance(value, datetime) else value
    return f"{_DAYS[lang][d.weekday()]} {d.day} {_MONTHS[lang][d.month - 1]}"


def clock(value: datetime, lang: str) -> str:
    """``14h30`` / ``14:30`` in Paris time."""
    t = value.astimezone(PARIS)
    return f"{t.hour}h{t.minute:02d}" if lang == "fr" else f"{t.hour}:{t.minute:02d}"


def money(value: Decimal | float, lang: str) -> str:
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    return (text.replace(".", ",") + " €") if lang == "fr" else f"€{text}"


def _env(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


@cache
def _text_env() -> Environment:
    return _env(False)


@cache
def _html_env() -> Environment:
    return _env(True)


@cache
def _template(kind: Kind, lang: str) -> Template:
    return _text_env().get_template(f"{lang}/{kind.template}.j2")


def _block(tmpl: Template, name: str, ctx: dict[str, Any]) -> str:
    return "".join(tmpl.blocks[name](tmpl.new_context(ctx))).strip()


def render(
    kind: Kind, lang: str, context: dict[str, Any], *, html: bool = True
) -> Rendered:
    """The notice's subject, text, HTML (unless ``html=False``: SMS) and SMS in ``lang``."""
    lang = lang if lang in _DAYS else "fr"
    ctx = {
        **context,
        "lang": lang,
        "brand": BRAND,
        "day": lambda v: day_words(v, lang),
        "clock": lambda v: clock(v, lang),
        "money": lambda v: money(v, lang),
    }
    ctx.setdefault("unsubscribe_url", None)
    tmpl = _template(kind, lang)
    subject = " ".join(_block(tmpl, "subject", ctx).split())
    text = _block(tmpl, "text", ctx)
    sms = " ".join(_block(tmpl, "sms", ctx).split())
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    page = (
        _html_env()
        .get_template("layout.html.j2")
        .render(
            subject=subject,
            paragraphs=paragraphs,
            lang=lang,
            brand=BRAND,
            unsubscribe_url=ctx["unsubscribe_url"],
        )
        if html
        else ""
    )
    if ctx["unsubscribe_url"]:
        footer = (
            "Pour ne plus recevoir ces rappels : "
            if lang == "fr"
            else "To stop these reminders: "
        )
        text = f"{text}\n\n{footer}{ctx['unsubscribe_url']}"
        sms = (
            f"{sms} STOP au numéro d'envoi"
            if lang == "fr"
            else f"{sms} Reply STOP to opt out"
        )
    return Rendered(subject=subject, text=text + "\n", html=page, sms=sms)
