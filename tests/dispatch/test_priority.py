"""Priority score, drop-penalty weight, explanation and tie-break order."""

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch.priority.score import (
    CONFIG_PATH,
    DEFAULT_WEIGHTS,
    MAX_WEIGHT,
    PARIS,
    PriorityInput,
    load_weights,
    score,
    sort_key,
    with_weights,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)  # Tuesday 09:00
H = timedelta(hours=1)


def repair(tier="Gold", severity="normal", due_in=None, waited=timedelta(0), now=NOW):
    return PriorityInput(
        kind="repair",
        tier=tier,
        severity=severity,
        sla_due_at=None if due_in is None else now + due_in,
        waiting_since=now - waited,
        now=now,
    )


def delivery(tier="Member", promised_on=None, waited=timedelta(0)):
    return PriorityInput(
        kind="delivery",
        tier=tier,
        promised_on=promised_on,
        waiting_since=NOW - waited,
        now=NOW,
    )


def test_brief_example_explanation_and_score():
    """Gold, critical, due in 5 h today, waiting 3 days: 1 + 20 + 20 + 40 + 6 = 87, weight 87² = 7569."""
    p = score(repair("Gold", "critical", due_in=5 * H, waited=timedelta(days=3)))
    assert (
        p.explanation
        == "Gold member · SLA due in 5 h · machine unusable · waiting 3 days"
    )
    assert (p.score, p.weight) == (87, 7569)
    assert p.parts == (
        ("base", 1),
        ("Gold member", 20),
        ("SLA due in 5 h", 20),
        ("machine unusable", 40),
        ("waiting 3 days", 6),
    )
    assert sum(points for _, points in p.parts) == p.score


def test_overdue_platinum_with_capped_wait():
    """Platinum, high, 2 h overdue, waiting 12 days (capped at 10):
    1 + 30 + 50 + 25 + 2 x 10 = 126."""
    p = score(
        repair("platinum", "high", due_in=-2 * H, waited=timedelta(days=12, hours=3))
    )
    assert p.score == 126
    assert p.explanation == (
        "Platinum member · SLA overdue by 2 h · degraded service · waiting 12 days (counted 10)"
    )


@pytest.mark.parametrize(
    ("due_in", "points", "label"),
    [
        (-timedelta(minutes=1), 50, "SLA overdue by 1 min"),
        (4 * H, 35, "SLA due in 4 h"),  # the 4 h edge is still "due soon"
        (4 * H + timedelta(minutes=1), 20, "SLA due in 4 h"),  # 13:01 today
        (26 * H, 10, "SLA due in 26 h"),  # Wednesday 11:00 = tomorrow
        (3 * 24 * H, 0, "SLA due in 3 days"),
        (None, 0, "no SLA due time"),
    ],
)
def test_sla_slack_buckets(due_in, points, label):
    """overdue 50 > due within 4 h 35 > today 20 > tomorrow 10 > later 0."""
    part = score(repair(due_in=due_in)).parts[2]
    assert part == (label, points)


def test_today_and_tomorrow_are_paris_calendar_days():
    """At 23:30 UTC (00:30 Paris, Wednesday), a 17:00 Paris due time is 'today'."""
    now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    due = datetime(2026, 11, 25, 17, 0, tzinfo=PARIS)
    p = score(
        PriorityInput(
            kind="repair",
            tier="Member",
            severity="low",
            sla_due_at=due,
            waiting_since=now,
            now=now,
        )
    )
    assert p.parts[2][1] == 20


@pytest.mark.parametrize(
    ("promised_on", "points", "label"),
    [
        (date(2026, 11, 20), 50, "delivery overdue (promised 2026-11-20)"),
        (date(2026, 11, 24), 20, "delivery promised today"),
        (date(2026, 11, 25), 10, "delivery promised tomorrow"),
        (date(2026, 11, 30), 0, "delivery promised 2026-11-30"),
        (None, 0, "no promised day"),
    ],
)
def test_delivery_slack_by_promised_day(promised_on, points, label):
    """Deliveries use the promised day; they have no severity part."""
    p = score(delivery(promised_on=promised_on))
    assert p.parts[2] == (label, points)
    assert len(p.parts) == 4  # base, tier, slack, waiting


def test_member_delivery_tomorrow():
    """Member, promised tomorrow, no wait: 1 + 0 + 10 + 0 = 11, weight 121; no 'waiting 0'."""
    p = score(delivery(promised_on=date(2026, 11, 25)))
    assert (p.score, p.weight) == (11, 121)
    assert p.explanation == "Member · delivery promised tomorrow"


def test_one_day_wait_is_singular():
    """'waiting 1 day', 2 points."""
    assert score(delivery(waited=timedelta(days=1, hours=5))).parts[-1] == (
        "waiting 1 day",
        2,
    )


def _random_inputs(n):
    rng = random.Random(42)
    tiers = ["Member", "Silver", "Gold", "Platinum"]
    out = []
    for _ in range(n):
        waited = timedelta(hours=rng.randrange(0, 24 * 20))
        if rng.random() < 0.5:
            due = rng.choice([None, timedelta(hours=rng.randrange(-48, 96))])
            out.append(
                repair(
                    rng.choice(tiers),
                    rng.choice(["low", "normal", "high", "critical"]),
                    due_in=due,
                    waited=waited,
                )
            )
        else:
            day = rng.choice([None, NOW.date() + timedelta(days=rng.randrange(-3, 6))])
            out.append(delivery(rng.choice(tiers), day, waited))
    return out


def test_weight_is_at_least_one_and_strictly_monotone_in_score():
    """Over 500 random jobs: score >= 1, weight >= 1, higher score => strictly higher weight."""
    ps = [score(i) for i in _random_inputs(500)]
    assert all(p.score >= 1 and p.weight >= 1 for p in ps)
    by_score = {p.score: p.weight for p in ps}
    ordered = [by_score[s] for s in sorted(by_score)]
    assert all(a < b for a, b in itertools.pairwise(ordered))
    assert max(p.weight for p in ps) <= MAX_WEIGHT


def test_weight_scale_lets_one_high_job_outweigh_two_much_lower_ones():
    """Convex weights: a score-100 job (10000) beats two score-70 jobs (2 x 4900 = 9800)."""
    assert (
        100**DEFAULT_WEIGHTS.weight_exponent > 2 * 70**DEFAULT_WEIGHTS.weight_exponent
    )
    assert MAX_WEIGHT == 141**2  # 1 + 30 + 40 + 50 + 20 = 141


def test_tie_broken_on_least_slack():
    """Two Gold normal repairs due today in 6 h and 8 h both score 51; the 6 h one goes first."""
    later = repair(due_in=8 * H)
    sooner = repair(due_in=6 * H)
    p_later, p_sooner = score(later), score(sooner)
    assert p_later.score == p_sooner.score == 51  # 1 + 20 + 20 + 10
    jobs = sorted([(later, p_later), (sooner, p_sooner)], key=lambda jp: sort_key(*jp))
    assert jobs[0][0] is sooner


def test_sort_key_puts_higher_score_first_and_no_deadline_last_among_equals():
    """Higher score first; with equal scores a job without deadline comes after one with."""
    high = repair("Platinum", "critical", due_in=H)
    undated = delivery(promised_on=None)  # 1
    far = delivery(promised_on=date(2026, 12, 10))  # 1
    ordered = sorted([undated, far, high], key=lambda i: sort_key(i, score(i)))
    assert ordered == [high, far, undated]


def test_what_if_weights():
    """Raising Gold to 25 points adds 5 to a Gold job's score."""
    inp = repair(due_in=5 * H)
    w = with_weights(DEFAULT_WEIGHTS, tier={**DEFAULT_WEIGHTS.tier, "Gold": 25})
    assert score(inp, w).score == score(inp).score + 5


def test_load_weights_from_another_file(tmp_path):
    """A TOML variant is read with the same schema."""
    p = tmp_path / "p.toml"
    p.write_text(CONFIG_PATH.read_text().replace("per_day = 2", "per_day = 5"))
    w = load_weights(p)
    assert w.waiting_per_day == 5
    assert score(delivery(waited=timedelta(days=3)), w).parts[-1] == (
        "waiting 3 days",
        15,
    )


def test_weights_reject_slack_that_rewards_more_slack():
    """'later' worth more than 'tomorrow' is refused, as is a base below 1."""
    with pytest.raises(ValueError, match="must not increase"):
        with_weights(DEFAULT_WEIGHTS, later=15)
    with pytest.raises(ValueError, match="base"):
        with_weights(DEFAULT_WEIGHTS, base=0)


def test_input_validation():
    """Unknown kind, naive datetimes and delivery severities are refused."""
    with pytest.raises(ValueError, match="'pickup'"):
        PriorityInput(kind="pickup", tier="Gold", waiting_since=NOW, now=NOW)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        PriorityInput(
            kind="repair", tier="Gold", waiting_since=NOW, now=datetime(2026, 1, 1)
        )
    with pytest.raises(ValueError, match="delivery has no severity"):
        PriorityInput(
            kind="delivery", tier="Gold", severity="high", waiting_since=NOW, now=NOW
        )
    with pytest.raises(ValueError, match="'Diamond'"):
        PriorityInput(kind="repair", tier="Diamond", waiting_since=NOW, now=NOW)


def test_repair_without_severity_counts_as_normal():
    """severity=None reads as 'normal' (10 points)."""
    p = score(PriorityInput(kind="repair", tier="Member", waiting_since=NOW, now=NOW))
    assert ("normal severity", 10) in p.parts
