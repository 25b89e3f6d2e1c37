"""One row model per kind: the columns of each import, as a contract.

A model's fields are the file's columns (header names, any case); their types parse
and check one cell each; each field's description, format, example and allowed
values are what ``tournee import KIND --columns`` and the README print. Checks that
need other cells or the database live in the kind's module (``customers``...).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from data.enums import DeliveryMode
from dispatch.intake import values as v
from repairs import triage
from repairs.states import Severity

_FAMILIES = {f: f for f in triage.FAMILIES}
_FAULTS = {f: f for f in triage.FAULTS}
_SEVERITIES = {s.value: s.value for s in Severity}
MODES = {
    "home": DeliveryMode.HOME.value,
    "domicile": DeliveryMode.HOME.value,
    "store": DeliveryMode.STORE_PICKUP.value,
    "pickup": DeliveryMode.STORE_PICKUP.value,
    "pick-up": DeliveryMode.STORE_PICKUP.value,
    "click and collect": DeliveryMode.STORE_PICKUP.value,
    "boutique": DeliveryMode.STORE_PICKUP.value,
    "relay": DeliveryMode.RELAY.value,
    "point relais": DeliveryMode.RELAY.value,
}


CHANNELS = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "courriel": "email",
    "sms": "sms",
    "texto": "sms",
}
LANGUAGES = {
    "fr": "fr",
    "en": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "english": "en",
    "anglais": "en",
}
YES_NO = {
    "yes": "yes",
    "no": "no",
    "oui": "yes",
    "non": "no",
    "y": "yes",
    "n": "no",
    "o": "yes",
    "1": "yes",
    "0": "no",
    "true": "yes",
    "false": "no",
}


def _fault_key(s: str) -> str:
    return s.lower().replace(" ", "_").replace("-", "_")


class ImportRow(BaseModel):
    """What every row model shares: strict columns, immutable values."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CustomerRow(ImportRow):
    """One customer, optionally with one machine (repeat the line for more machines)."""

    ref: v.Ref("C000123") = Field(description="the brand's customer number (the id)")  # type: ignore[valid-type]
    name: v.Text(120, "Élise Moreau") = Field(description="full name")  # type: ignore[valid-type]
    postcode: v.Postcode = Field(description="postcode of the address")
    town: v.Text(120, "Lyon", repeats=True) = Field(  # type: ignore[valid-type]
        description="town; must be a town at that postcode"
    )
    phone: v.Phone | None = Field(
        None, description="unique among customers; members are found by it"
    )
    email: v.Email | None = Field(
        None, description="unique among customers; members are found by it"
    )
    address: v.Text(200, "3 rue Mercière") | None = Field(  # type: ignore[valid-type]
        None, description="street address"
    )
    lat: v.Decimal | None = Field(
        None,
        description="latitude; give lat and lon together, within 30 km of the town",
    )
    lon: v.Decimal | None = Field(None, description="longitude; with lat")
    machine_model: v.Text(80, "Barista Pro", repeats=True) | None = Field(  # type: ignore[valid-type]
        None, description="the machine's model name (defaults to its family)"
    )
    machine_family: v.Choice(_FAMILIES, "bean_to_cup") | None = Field(  # type: ignore[valid-type]
        None, description="required with a machine"
    )
    machine_serial: v.Ref("SN-2024-0042") | None = Field(  # type: ignore[valid-type]
        None, description="unique serial number; gives the customer a machine"
    )
    machine_purchased_on: v.Day | None = Field(
        None, description="purchase date, required with a machine (2-year warranty)"
    )
    # Contact preferences (``dispatch.notices.prefs``): an empty cell keeps what is stored.
    mobile: v.Phone | None = Field(
        None,
        description="mobile for SMS notices (a French 06/07 or a foreign number; "
        "default: phone when it is a mobile)",
    )
    preferred_channel: v.Choice(CHANNELS, "email") | None = Field(  # type: ignore[valid-type]
        None,
        description="how notices reach the customer first; email needs email, "
        "sms a mobile on the line",
    )
    language: v.Choice(LANGUAGES, "fr") | None = Field(  # type: ignore[valid-type]
        None, description="language of the notices (default fr)"
    )
    club_consent: v.Choice(YES_NO, "yes") | None = Field(  # type: ignore[valid-type]
        None,
        description="consent to club reminders (capsules, descaling, points, perks); "
        "default no; no cancels pending ones",
    )
    quiet_from: v.ClockTime | None = Field(
        None, description="no SMS from this time (default 21:00); with quiet_until"
    )
    quiet_until: v.ClockTime | None = Field(
        None, description="... until this time (default 07:00), not the same"
    )


class TicketRow(ImportRow):
    """One repair ticket: triaged, given its SLA and its loaner need on import."""

    ref: v.Ref("T-2026-0001") = Field(description="the ticket reference (the id)")  # type: ignore[valid-type]
    customer_ref: v.Ref("C000123") = Field(description="a customer already imported")  # type: ignore[valid-type]
    fault: v.Choice(_FAULTS, "leak", fold=_fault_key) = Field(  # type: ignore[valid-type]
        description="what is wrong"
    )
    severity: v.Choice(_SEVERITIES, "high") = Field(  # type: ignore[valid-type]
        description="how bad it is"
    )
    opened_at: v.Moment | None = Field(
        None, description="when the customer called (defaults to now)"
    )
    description: v.Text(2000, "leaks under the tank") | None = Field(  # type: ignore[valid-type]
        None, description="free text"
    )
    machine_serial: v.Ref("SN-2024-0042") | None = Field(  # type: ignore[valid-type]
        None, description="serial of one of this customer's machines"
    )
    machine_family: v.Choice(_FAMILIES, "capsule") | None = Field(  # type: ignore[valid-type]
        None,
        description="needed when the customer has no machine on record",
    )
    visit_on: v.Day | None = Field(None, description="day the visit is wanted")
    window_start: v.Moment | None = Field(
        None, description="start of the customer's preferred window"
    )
    window_end: v.Moment | None = Field(
        None, description="end of that window, after its start"
    )


class OrderRow(ImportRow):
    """One delivery order to a home, a store or a relay point."""

    ref: v.Ref("O-2026-0001") = Field(description="the order number (the id)")  # type: ignore[valid-type]
    customer_ref: v.Ref("C000123") = Field(description="a customer already imported")  # type: ignore[valid-type]
    mode: v.Choice(MODES, "home") = Field(description="how it is delivered")  # type: ignore[valid-type]
    promised_on: v.Day = Field(description="the day promised to the customer")
    parcels: v.Count | None = Field(None, description="number of parcels (default 1)")
    items: v.Text(500, "Barista Pro; 2 kg beans") | None = Field(  # type: ignore[valid-type]
        None, description="what is in it"
    )
    destination: v.Ref("STO-001") | None = Field(  # type: ignore[valid-type]
        None,
        description="site code: a store for store pick-up, a relay for relay point; "
        "empty for home",
    )
    window_start: v.ClockTime | None = Field(
        None, description="delivery window start on the promised day"
    )
    window_end: v.ClockTime | None = Field(
        None, description="delivery window end, after its start"
    )
