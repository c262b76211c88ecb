"""§10.6 percent-only masking and §16 A20."""

from __future__ import annotations

from accord.deid.percent import mask_three_category


def test_ddg_intersex_example():
    t = mask_three_category({"male": 545, "female": 545, "intersex": 10})
    assert t.allowed
    assert t.shown == {"male": "50%", "female": "50%", "intersex": "<1%"}  # A20


def test_small_total_is_refused():
    t = mask_three_category({"male": 500, "female": 500, "intersex": 5})
    assert not t.allowed and t.findings[0].section == "10.6"


def test_counts_published_elsewhere_are_refused():
    t = mask_three_category({"m": 600, "f": 600, "x": 12}, counts_published_elsewhere=True)
    assert [f.rule for f in t.findings] == ["three-category-counts-elsewhere"]


def test_zero_stays_zero():
    assert mask_three_category({"m": 600, "f": 600, "x": 0}).shown["x"] == "0%"
