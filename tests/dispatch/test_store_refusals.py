"""Refusals store staff read: where a loaner can be found instead, and nothing of another store."""

from __future__ import annotations

import pytest

from data.db import sessions
from dispatch.views import loaners as loaner_view
from loaner_pool import NoLoanerAvailable
from tests.builders import (
    Actor,
    make_loan_customer,
    make_loaner,
    make_site,
    make_ticket,
)


def test_a_refused_loan_lists_the_nearest_sites_with_stock(db_url: str) -> None:
    with sessions(db_url, writer=True).begin() as s:
        mine = make_site(s, "STO-A", 45.76, 4.85, kind="store")
        near = make_site(s, "DEP-N", 45.78, 4.90)
        far = make_site(s, "DEP-F", 48.85, 2.35)
        other = make_site(s, "STO-B", 45.70, 4.80, kind="store")
        make_loaner(s, near)
        make_loaner(s, far)
        make_loaner(s, other, family="capsule")  # not compatible: not listed
        c = make_loan_customer(s)
        t = make_ticket(s, c)
        staff = Actor("store staff", mine.id)
        with pytest.raises(NoLoanerAvailable) as err:
            loaner_view.lend(s, staff, t.ref)
    reason = err.value.reason
    assert "STO-A" in reason and "Bean-to-cup" in reason and "bean_to_cup" not in reason
    assert reason.index("DEP-N") < reason.index("DEP-F")
    assert "STO-B" not in reason and "LN-" not in reason


def test_a_loaner_lent_elsewhere_is_not_named_to_store_staff(db_url: str) -> None:
    with sessions(db_url, writer=True).begin() as s:
        mine = make_site(s, "STO-A", 45.76, 4.85, kind="store")
        other = make_site(s, "STO-B", 45.70, 4.80, kind="store")
        lent = make_loaner(s, other)
        c = make_loan_customer(s)
        t = make_ticket(s, c)
        loaner_view.lend(s, Actor("store staff", other.id), t.ref)
        with pytest.raises(NoLoanerAvailable) as err:
            loaner_view.lend(s, Actor("store staff", mine.id), t.ref)
        assert lent.code not in str(err.value) and "STO-B" not in str(err.value)
        assert "already has a loaner" in err.value.reason
        with pytest.raises(NoLoanerAvailable) as own:
            loaner_view.lend(s, Actor("store staff", other.id), t.ref)
        assert lent.code in own.value.reason
