"""RFM scoring and segment rules that live outside the ORM.

Nothing here imports Odoo, so the offline suite tests it directly. The database
engine (models/partner_classification.py) computes the same scores in SQL; the
Odoo suite checks that both agree.
"""

SCORES = (1, 2, 3, 4, 5)

# The eleven usual RFM segments, in the order they are listed to users.
SEGMENT_CODES = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose_them",
    "hibernating",
    "lost",
)


# The score of everyone when all values are equal (see quintile_scores).
EVEN_SCORE = 3


def quintile_scores(values, scores=5):
    """Score each value 1 to ``scores`` (5) by its rank among ``values``.

    A value scores ``ceil(scores * r / n)``, where ``n`` is the number of values
    and ``r`` its rank: 1 + the number of values strictly lower. Higher values
    score higher (for recency, pass the last order dates: the most recent
    scores 5, when it is one customer's). Equal values score the same: the
    lowest score of the block of ranks they span, so that where half the
    customers bought once they all score 1. When all values are equal (one
    customer, or everyone bought once) nobody ranks above anybody: all score
    EVEN_SCORE, the middle. The rule does not depend on any order among ties.
    """
    n = len(values)
    if n and min(values) == max(values):
        return [min(EVEN_SCORE, scores)] * n
    ordered = sorted(values)
    return [
        (scores * (_count_below(ordered, value) + 1) + n - 1) // n for value in values
    ]


def _count_below(ordered, value):
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def seed_segment(recency, frequency, monetary):
    """The segment the shipped map gives an R-F-M cell.

    The published range tables overlap; applied first-match they leave New
    Customers, Promising and Cannot Lose Them unreachable. This rule gives every
    one of the 125 cells exactly one segment and reaches all eleven. Companies
    edit the resulting map, not this function.
    """
    if recency >= 4 and frequency >= 4 and monetary >= 4:
        return "champions"
    if recency <= 2 and frequency >= 4 and monetary >= 4:
        return "cannot_lose_them"
    if recency >= 3 and frequency >= 4:
        return "loyal"
    if recency <= 2 and frequency >= 3:
        return "at_risk"
    if recency == 5 and frequency == 1:
        return "new_customers"
    if recency == 4 and frequency == 1:
        return "promising"
    if recency >= 4:
        return "potential_loyalist"
    if recency == 3 and frequency == 3:
        return "need_attention"
    if recency == 3:
        return "about_to_sleep"
    if recency == 2:
        return "hibernating"
    return "lost"


def weighted_score(recency, frequency, monetary, weights):
    """The weighted mean of the three scores, between 1 and 5."""
    weight_r, weight_f, weight_m = weights
    total = weight_r + weight_f + weight_m
    return (weight_r * recency + weight_f * frequency + weight_m * monetary) / total
