"""The RFM rules that live outside the ORM: quintile scores and the seeded map."""

import itertools

from conftest import ADDON, load_pure_module
from lxml import etree

rfm = load_pure_module("utils/rfm.py")


def test_distinct_values_spread_over_five_scores():
    assert rfm.quintile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert rfm.quintile_scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_ties_share_the_lowest_score_of_their_block_whatever_their_order():
    # Six of ten bought once: ranks 1-6 span scores 1-3, they all get 1.
    values = [1, 1, 1, 1, 1, 1, 2, 2, 3, 4]
    assert rfm.quintile_scores(values) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert rfm.quintile_scores(values[::-1]) == [5, 5, 4, 4, 1, 1, 1, 1, 1, 1]


def test_half_bought_once_score_one_and_the_others_spread_above():
    values = [1] * 50 + [2] * 20 + [3] * 10 + list(range(4, 24))
    scores = rfm.quintile_scores(values)
    assert set(scores[:50]) == {1}
    # The one-order block spans ranks 1-50, scores 1 to 3: the next value starts
    # at rank 51, so 2 is skipped, never given to a better customer.
    assert set(scores) == {1, 3, 4, 5}


def test_ties_at_the_top_take_the_lowest_score_of_their_block():
    # The best two of five tie: ranks 4-5 span scores 4-5, both get 4.
    assert rfm.quintile_scores([1, 2, 3, 9, 9]) == [1, 2, 3, 4, 4]


def test_all_equal_values_score_the_middle():
    # Nobody ranks above anybody: a single customer, or all bought once.
    assert rfm.quintile_scores([42]) == [3]
    assert rfm.quintile_scores([7, 7, 7]) == [3, 3, 3]
    assert rfm.quintile_scores([]) == []


def test_scores_never_decrease_with_the_value():
    values = [3, 9, 1, 4, 4, 8, 2, 7, 7, 7, 0, 5, 6]
    scores = dict(zip(values, rfm.quintile_scores(values), strict=True))
    ordered = [scores[value] for value in sorted(scores)]
    assert ordered == sorted(ordered)
    assert min(ordered) >= 1 and max(ordered) == 5


def test_seed_map_gives_every_cell_one_segment_and_reaches_all_eleven():
    cells = list(itertools.product(rfm.SCORES, repeat=3))
    assert len(cells) == 125
    segments = {rfm.seed_segment(*cell) for cell in cells}
    assert segments == set(rfm.SEGMENT_CODES)


def test_seed_map_places_the_textbook_cases():
    assert rfm.seed_segment(5, 5, 5) == "champions"
    assert rfm.seed_segment(5, 1, 1) == "new_customers"
    assert rfm.seed_segment(4, 1, 3) == "promising"
    assert rfm.seed_segment(1, 5, 5) == "cannot_lose_them"
    assert rfm.seed_segment(2, 4, 2) == "at_risk"
    assert rfm.seed_segment(1, 1, 1) == "lost"


def test_shipped_map_data_follows_the_seed_rule():
    tree = etree.parse(str(ADDON / "data/partner_rfm_segment_data.xml"))
    seen = set()
    for record in tree.iter("record"):
        if record.get("model") != "partner.rfm.cell":
            continue
        fields = {f.get("name"): f for f in record.iter("field")}
        cell = tuple(
            int(fields[name].text)
            for name in ("recency_score", "frequency_score", "monetary_score")
        )
        segment = fields["segment_id"].get("ref").removeprefix("rfm_segment_")
        assert segment == rfm.seed_segment(*cell), cell
        seen.add(cell)
    assert len(seen) == 125


def test_weighted_score_is_a_weighted_mean():
    assert rfm.weighted_score(5, 3, 1, (1, 1, 1)) == 3
    assert rfm.weighted_score(5, 3, 1, (0, 0, 2)) == 1
