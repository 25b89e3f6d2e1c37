"""Enrolling a customer in the club: one loyalty account, audited, never two.

The account's unique ``customer_id`` is the database's guarantee; a second
enrolment is refused with the date of the first.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import Role
from data.models import Customer, LoyaltyAccount
from dispatch.access.roles import Principal, check_role
from dispatch.loyalty import rules as loyalty
from dispatch.loyalty import service as loyalty_service

ENROLLERS = (Role.STORE_STAFF, Role.AGENT, Role.MANAGER, Role.DISPATCHER)


class EnrolError(ValueError):
    """Refused: unknown customer, or already a member."""


def enrol(
    session: Session,
    actor: Principal,
    customer_id: int,
    *,
    on: date,
    club_consent: bool = False,
) -> LoyaltyAccount:
    """Create the member's account (tier from their purchases) in the caller's transaction.

    ``club_consent`` is recorded by the caller through
    ``dispatch.notices.prefs.set_preferences`` (it owns contact preferences).
    """
    check_role(actor, *ENROLLERS)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise EnrolError(f"no customer with id {customer_id}")
    existing = session.scalar(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
    )
    if existing is not None:
        raise EnrolError(
            f"{customer.ref} is already a member (since {existing.enrolled_on.isoformat()})"
        )
    purchases = loyalty_service.purchases_by_customer(session, on, [customer_id])
    tier = loyalty.tier_for(purchases.get(customer_id, ()), on).tier
    account = LoyaltyAccount(
        customer_id=customer_id, enrolled_on=on, tier=tier.value, tier_computed_on=on
    )
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:
        raise EnrolError(f"{customer.ref} is already a member") from None
    record(
        session, actor.username, "customer", customer.ref, "enrol",
        on=on, tier=tier.value, club_consent=club_consent,
    )  # fmt: skip
    return account
