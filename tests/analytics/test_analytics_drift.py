"""Data drift: Evidently's choice of test, what mlboard adds to scipy's statistics, bad input.

The statistics are scipy's; these tests check how mlboard feeds them (counts, bins, norms), the
cases scipy leaves open (new categories, constant and empty columns, rounding), the thresholds
and the verdicts.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlboard.analytics import drift
from mlboard.analytics.drift import ColumnDrift, ColumnSpec, DriftInputError, check_drift
from mlboard.analytics.drift_methods import (
    chi_squared_test,
    jensen_shannon_distance,
    population_stability_index,
    proportion_z_test,
)

from hypothesis_profiles import examples


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def one_column(ref, cur, **kwargs) -> ColumnDrift:
    result = check_drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), **kwargs)
    assert [column.name for column in result.columns] == ["x"]
    return result.columns[0]


def evidently_shares(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's binning written out independently: Sturges bins over both samples."""
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
    return np.histogram(ref, edges)[0] / ref.size, np.histogram(cur, edges)[0] / cur.size


def value_shares(ref, cur) -> tuple[np.ndarray, np.ndarray]:
    keys = sorted(set(ref) | set(cur))
    ref_counts = pd.Series(ref).value_counts()
    cur_counts = pd.Series(cur).value_counts()
    return (
        np.array([ref_counts.get(key, 0) for key in keys]) / len(ref),
        np.array([cur_counts.get(key, 0) for key in keys]) / len(cur),
    )


# ---------------------------------------------------------------------------------------------
# How each column is fed to scipy, and the cases scipy leaves open
# ---------------------------------------------------------------------------------------------


def test_ks_compares_the_values_left_after_dropping_missing_and_infinite():
    generator = rng(3)
    ref, cur = generator.normal(0, 1, 300), generator.normal(0.2, 1, 250)
    noisy = ref.copy()
    noisy[::9], noisy[::10] = np.nan, -np.inf
    column = one_column(noisy, cur)
    expected = stats.ks_2samp(noisy[np.isfinite(noisy)], cur)
    assert column.method == "ks"
    assert (column.statistic, column.p_value) == (expected.statistic, expected.pvalue)
    assert column.drifted == (expected.pvalue < 0.05)


def test_ks_on_equal_sizes_with_a_tiny_gap_says_no_drift_without_a_warning():
    # scipy's exact p-value rounds just above 1 here and it falls back to the asymptotic one,
    # with a RuntimeWarning that would land in the middle of a report
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        column = one_column([1.0, 2, 3, 4, 5], [1.0, 2, 3, 4, 6], overrides={"x": ColumnSpec("ks")})
    assert column.statistic == pytest.approx(0.2)
    assert 0.9999 < column.p_value <= 1.0 and not column.drifted


def test_chi2_counts_every_category_of_both_sides():
    generator = rng(5)
    ref = generator.choice(["red", "green", "blue", "grey"], 600, p=[0.4, 0.3, 0.2, 0.1])
    cur = generator.choice(["red", "green", "blue", "grey"], 450, p=[0.35, 0.3, 0.2, 0.15])
    column = one_column(ref, cur)
    keys = sorted(set(ref))
    ref_counts = np.array([(ref == key).sum() for key in keys], dtype=float)
    cur_counts = np.array([(cur == key).sum() for key in keys], dtype=float)
    expected = stats.chisquare(cur_counts, ref_counts * len(cur) / len(ref))
    assert column.method == "chi2"
    assert column.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert column.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert column.drifted == (expected.pvalue < 0.05)


def test_chi2_edge_cases_scipy_leaves_open():
    assert chi_squared_test(np.array([40.0]), np.array([10.0])) == (0.0, 1.0)  # one category
    assert chi_squared_test(np.array([5.0, 0.0]), np.array([4.0, 1.0])) == (math.inf, 0.0)
    statistic, p_value = chi_squared_test(np.array([5.0, 5.0]), np.array([10.0, 0.0]))
    assert math.isfinite(statistic) and 0.0 < p_value < 0.05  # a category gone is not infinite


def test_chi2_homogeneity_differs_from_evidently_goodness_of_fit():
    # documents the choice: Evidently's chisquare (reference as the expected law), not the
    # two-sample contingency test; both agree on the direction but not the number.
    ref, cur = np.array([300.0, 200, 100]), np.array([250.0, 220, 130])
    statistic, _ = chi_squared_test(ref, cur)
    contingency = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert statistic > contingency.statistic > 0


def test_proportion_z_test_matches_the_two_proportion_formula():
    ref, cur = np.array([70.0, 30.0]), np.array([50.0, 70.0])
    p1, p2 = 30 / 100, 70 / 120
    pooled = (30 + 70) / 220
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 120))
    statistic, p_value = proportion_z_test(ref, cur)
    assert statistic == pytest.approx(z, rel=1e-12)
    assert p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    column = one_column(["a"] * 70 + ["b"] * 30, ["a"] * 50 + ["b"] * 70)
    assert (column.method, column.statistic) == ("z", pytest.approx(z, rel=1e-12))
    assert column.drifted


def test_wasserstein_is_normed_by_the_reference_std():
    generator = rng(6)
    ref, cur = generator.normal(10, 3, 4000), generator.normal(10.6, 3, 3000)
    column = one_column(ref, cur)
    expected = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert column.method == "wasserstein"
    assert column.p_value is None
    assert column.statistic == pytest.approx(expected, rel=1e-12)
    assert column.drifted == (expected >= 0.1)


def test_jensen_shannon_uses_the_natural_log_and_never_gives_nan():
    assert jensen_shannon_distance([1, 0], [0, 1]) == pytest.approx(math.sqrt(math.log(2)))
    # nearly equal: scipy's divergence rounds below zero and its square root is NaN
    nearly = jensen_shannon_distance(np.array([1.0, 14.0]), np.array([np.nextafter(1.0, 2), 14.0]))
    assert 0.0 <= nearly < 1e-7
    generator = rng(7)
    for _ in range(200):
        p = generator.integers(1, 1000, int(generator.integers(2, 12))).astype(float)
        q = p.copy()
        q[0] *= 1 + 1e-12
        assert 0.0 <= jensen_shannon_distance(p / p.sum(), q / q.sum()) < 1e-5


def test_jensen_shannon_column_on_categories_and_on_binned_numbers():
    generator = rng(8)
    ref = generator.choice(list("abcdefg"), 3000)
    cur = generator.choice(list("abcdefgh"), 2000)  # 'h' is new
    column = one_column(ref, cur)
    assert column.method == "jensenshannon"
    assert column.statistic == pytest.approx(jensenshannon(*value_shares(ref, cur)), rel=1e-12)

    ref_num, cur_num = generator.normal(0, 1, 5000), generator.normal(0.3, 1.2, 4000)
    column = one_column(ref_num, cur_num, overrides={"x": ColumnSpec("jensenshannon")})
    expected = jensenshannon(*evidently_shares(ref_num, cur_num))
    assert column.statistic == pytest.approx(expected, rel=1e-10)


def test_psi_on_request_uses_evidently_bins_and_empty_bin_fill():
    generator = rng(9)
    ref, cur = generator.normal(0, 1, 3000), generator.normal(0.25, 1, 2000)
    result = check_drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), psi=True)
    column = result.columns[0]
    ref_shares, cur_shares = evidently_shares(ref, cur)

    def fill(shares):
        smallest = shares[shares > 0].min()
        return np.where(shares == 0, smallest / 1e6 if smallest <= 1e-4 else 1e-4, shares)

    ref_shares, cur_shares = fill(ref_shares), fill(cur_shares)
    expected = float(np.sum((ref_shares - cur_shares) * np.log(ref_shares / cur_shares)))
    assert (column.method, column.threshold, column.p_value) == ("psi", 0.1, None)
    assert column.statistic == pytest.approx(expected, rel=1e-10)
    assert column.drifted == (expected >= 0.1)
    assert population_stability_index([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0


# ---------------------------------------------------------------------------------------------
# Evidently's choice of test
# ---------------------------------------------------------------------------------------------


def cycle(values, size):
    return [values[i % len(values)] for i in range(size)]


@pytest.mark.parametrize(
    ("ref", "cur", "method"),
    [
        (cycle([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], 200), cycle([0.5, 1.5], 200), "ks"),  # 6 unique
        (cycle([0.5, 1.5, 2.5, 3.5, 4.5], 200), cycle([0.5], 200), "chi2"),  # 5 unique numbers
        (cycle([0.5, 1.5, 2.5, 3.5, 4.5], 200), [7.5] * 200, "ks"),  # 6 counted over both
        (cycle([0.5, 1.5, 2.5], 200), cycle([0.5], 200), "chi2"),
        (cycle([0.5, 1.5], 200), cycle([0.5], 200), "z"),  # binary numbers
        (cycle(list("abc"), 200), cycle(list("ab"), 200), "chi2"),
        (cycle(list("ab"), 200), cycle(list("a"), 200), "z"),
        (cycle([True, False], 200), cycle([True], 200), "z"),
        (cycle([1, 2, 3, 4, 5], 200), cycle([1, 2, 3, 4, 5, 6, 7, 8], 200), "chi2"),  # int rule
        (cycle([1, 2, 3, 4, 5, 6], 200), cycle([1, 2], 200), "ks"),  # 6 reference ints
        (list(np.linspace(0, 1, 1000)), list(np.linspace(0, 1, 50)), "ks"),  # 1000: small
        (list(np.linspace(0, 1, 1001)), list(np.linspace(0, 1, 50)), "wasserstein"),
        (list(np.linspace(0, 1, 1000)) + [np.nan] * 9, [0.1, 0.2], "ks"),  # NaN not counted
        (cycle([0.5, 1.5, 2.5, 3.5, 4.5], 1001), cycle([0.5], 50), "jensenshannon"),
        (cycle(list("abcdefgh"), 1001), cycle(list("ab"), 50), "jensenshannon"),
        (cycle(list("ab"), 1001), cycle(list("a"), 50), "jensenshannon"),  # no z when large
    ],
)
def test_method_follows_evidentlys_defaults(ref, cur, method):
    column = one_column(ref, cur)
    assert column.method == method
    assert column.threshold == drift.DEFAULT_THRESHOLDS[method]
    assert (column.p_value is not None) == (method in {"ks", "chi2", "z"})


def test_p_value_tests_drift_below_and_distances_at_or_above_the_threshold():
    generator = rng(10)
    small = one_column(generator.normal(0, 1, 300), generator.normal(0.1, 1, 300))
    assert small.drifted == (small.p_value < 0.05)
    tuned = one_column(
        generator.normal(0, 1, 300),
        generator.normal(0, 1, 300),
        overrides={"x": ColumnSpec(threshold=1.0)},
    )
    assert tuned.drifted  # every p-value is below 1
    ref = np.arange(2000.0)
    at_threshold = one_column(
        ref, ref, overrides={"x": ColumnSpec(method="wasserstein", threshold=0.0)}
    )
    assert (at_threshold.statistic, at_threshold.drifted) == (0.0, True)  # 0 >= 0


def test_overrides_choose_method_and_threshold_per_column():
    generator = rng(11)
    reference = pd.DataFrame({"a": generator.normal(0, 1, 500), "b": generator.normal(0, 1, 500)})
    current = pd.DataFrame({"a": generator.normal(0.3, 1, 500), "b": generator.normal(0, 1, 500)})
    result = check_drift(
        reference,
        current,
        overrides={
            "a": ColumnSpec(method="Wasserstein", threshold=0.5),
            "b": ColumnSpec(method="chisquare"),
        },
    )
    by_name = {column.name: column for column in result.columns}
    assert (by_name["a"].method, by_name["a"].threshold) == ("wasserstein", 0.5)
    assert not by_name["a"].drifted  # ~0.3 < 0.5
    assert by_name["b"].method == "chi2"
    plain = check_drift(reference, current, overrides={"a": ColumnSpec(threshold=0.2)})
    assert plain.columns[0].method == "ks"
    assert plain.columns[0].threshold == 0.2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ColumnSpec(method="t-test"), "unknown drift method 't-test'"),
        (ColumnSpec(method="ks"), "needs numbers"),
        (ColumnSpec(threshold=-0.1), "threshold must be"),
        (ColumnSpec(threshold=math.nan), "threshold must be"),
        (ColumnSpec(method="z", threshold=1.5), "within 0..1"),
    ],
)
def test_bad_overrides_are_refused(spec, message):
    reference = pd.DataFrame({"label": list("abcab")})
    with pytest.raises(DriftInputError, match=message):
        check_drift(reference, reference, overrides={"label": spec})


def test_override_for_a_column_in_neither_table_is_refused():
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(DriftInputError, match="'typo'"):
        check_drift(frame, frame, overrides={"typo": ColumnSpec("psi")})


# ---------------------------------------------------------------------------------------------
# Dataset drift, PSI on request, clear cases
# ---------------------------------------------------------------------------------------------


def frames_with_drifted(drifted: int, total: int, rows: int = 400):
    """`total` columns of which the first `drifted` move by 3 sd; the others are unchanged."""
    generator = rng(drifted * 10 + total)
    reference = pd.DataFrame({f"c{i}": generator.normal(0, 1, rows) for i in range(total)})
    current = reference.copy()
    for i in range(drifted):
        current[f"c{i}"] = generator.normal(3.0, 1, rows)
    return reference, current


@pytest.mark.parametrize(
    ("drifted", "total", "dataset_drift"), [(2, 4, True), (1, 4, False), (3, 5, True)]
)
def test_dataset_drift_at_the_half_share_boundary(drifted, total, dataset_drift):
    result = check_drift(*frames_with_drifted(drifted, total))
    assert [column.drifted for column in result.columns] == [i < drifted for i in range(total)]
    assert result.drift_share == drifted / total
    assert result.dataset_drift is dataset_drift
    assert result.share_threshold == 0.5


def test_share_threshold_is_configurable_and_checked():
    reference, current = frames_with_drifted(1, 4)
    assert check_drift(reference, current, share_threshold=0.25).dataset_drift
    assert not check_drift(reference, current, share_threshold=0.26).dataset_drift
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(DriftInputError, match="share threshold"):
            check_drift(reference, current, share_threshold=bad)


def test_psi_on_request_applies_to_every_column_unless_overridden():
    reference, current = frames_with_drifted(1, 3, rows=2000)
    result = check_drift(reference, current, psi=True, overrides={"c2": ColumnSpec("ks")})
    assert [column.method for column in result.columns] == ["psi", "psi", "ks"]
    assert [column.drifted for column in result.columns] == [True, False, False]


@pytest.mark.parametrize("rows", [500, 5000])
def test_shifted_normal_drifts_and_same_distribution_does_not(rows):
    generator = rng(12)
    reference = pd.DataFrame({"x": generator.normal(0, 1, rows)})
    shifted = pd.DataFrame({"x": generator.normal(1.0, 1, rows)})
    same = pd.DataFrame({"x": generator.normal(0, 1, rows)})
    drifted = check_drift(reference, shifted)
    steady = check_drift(reference, same)
    assert drifted.columns[0].drifted and drifted.dataset_drift
    assert not steady.columns[0].drifted and not steady.dataset_drift
    if rows <= 1000:
        assert drifted.columns[0].p_value < 1e-20
        assert steady.columns[0].p_value > 0.05


@pytest.mark.parametrize("method", ["ks", "wasserstein", "jensenshannon", "psi"])
@pytest.mark.parametrize("size", [50, 3000])
def test_a_table_against_itself_has_zero_statistic(method, size):
    generator = rng(size)
    frame = pd.DataFrame(
        {"x": generator.normal(0, 1, size), "y": generator.integers(0, 50, size).astype(float)}
    )
    result = check_drift(frame, frame, overrides={"x": ColumnSpec(method), "y": ColumnSpec(method)})
    for column in result.columns:
        assert column.statistic == 0.0
        assert not column.drifted
        if method == "ks":
            assert column.p_value == 1.0
    labels = pd.DataFrame({"s": generator.choice(list("abcd"), size)})
    for categorical in ("jensenshannon", "psi", "chi2"):
        column = check_drift(labels, labels, overrides={"s": ColumnSpec(categorical)}).columns[0]
        assert column.statistic == 0.0 and not column.drifted


# ---------------------------------------------------------------------------------------------
# Awkward input
# ---------------------------------------------------------------------------------------------


def test_empty_or_missing_tables_are_refused():
    frame = pd.DataFrame({"a": [1.0]})
    with pytest.raises(DriftInputError, match="reference has no rows"):
        check_drift(pd.DataFrame(), frame)
    with pytest.raises(DriftInputError, match="current has no rows"):
        check_drift(frame, pd.DataFrame({"a": []}))
    with pytest.raises(DriftInputError, match="reference has no columns"):
        check_drift(pd.DataFrame(index=range(3)), frame)
    with pytest.raises(DriftInputError, match="must be a table"):
        check_drift(frame["a"], frame)  # type: ignore[arg-type]


def test_columns_on_one_side_are_skipped_and_the_rest_compared():
    reference = pd.DataFrame({"a": [1.0, 2.0, 3.0], "only_ref": [1, 2, 3]})
    current = pd.DataFrame({"only_cur": ["x"] * 3, "a": [1.0, 2.0, 3.0]})
    result = check_drift(reference, current)
    assert [column.name for column in result.columns] == ["a"]
    assert result.skipped == [("only_ref", "only in reference"), ("only_cur", "only in current")]
    with pytest.raises(DriftInputError, match="no column in common"):
        check_drift(reference[["only_ref"]], current[["only_cur"]])


def test_columns_argument_selects_and_checks_names():
    reference, current = frames_with_drifted(1, 3)
    result = check_drift(reference, current, columns=["c2", "c0"])
    assert [column.name for column in result.columns] == ["c2", "c0"]
    with pytest.raises(DriftInputError, match="'nope' is not in reference"):
        check_drift(reference, current, columns=["c0", "nope"])
    with pytest.raises(DriftInputError, match="no columns"):
        check_drift(reference, current, columns=[])


def test_all_missing_column_is_skipped_and_nan_inf_are_dropped():
    generator = rng(13)
    values = generator.normal(0, 1, 300)
    noisy = values.copy()
    noisy[::7] = np.nan
    noisy[::11] = np.inf
    noisy[::13] = -np.inf
    kept = noisy[np.isfinite(noisy)]
    reference = pd.DataFrame({"x": noisy, "empty": np.nan})
    current = pd.DataFrame({"x": values, "empty": [1.0] * 300})
    result = check_drift(reference, current)
    assert result.skipped == [("empty", "no values in reference (all missing or infinite)")]
    clean = check_drift(pd.DataFrame({"x": kept}), pd.DataFrame({"x": values}))
    assert result.columns == clean.columns
    with pytest.raises(DriftInputError, match="no column could be compared"):
        check_drift(reference[["empty"]], current[["empty"]])


def test_mixed_types_are_compared_as_text_categories():
    reference = pd.DataFrame({"m": [1, "one", 2.0, None, "two", 1] * 20})
    current = pd.DataFrame({"m": ["1", "one", 2, "two", "two", "1"] * 20})
    column = check_drift(reference, current).columns[0]
    assert column.method == "chi2"  # 4 labels: "1" (1 and "1"), "2" (2.0 and 2), one, two
    assert math.isfinite(column.statistic) and column.statistic > 0  # no label is new
    same = check_drift(reference, reference).columns[0]
    assert same.statistic == 0.0 and not same.drifted


def test_booleans_are_binary_categories_and_datetimes_are_skipped():
    reference = pd.DataFrame(
        {"flag": [True, False] * 50, "when": pd.date_range("2026-01-01", periods=100)}
    )
    current = pd.DataFrame(
        {"flag": [True] * 90 + [False] * 10, "when": pd.date_range("2026-06-01", periods=100)}
    )
    result = check_drift(reference, current)
    assert [(column.name, column.method, column.drifted) for column in result.columns] == [
        ("flag", "z", True)
    ]
    assert result.skipped[0][0] == "when" and "datetime" in result.skipped[0][1]


def test_constant_columns():
    same = one_column([4.0] * 40, [4.0] * 40, overrides={"x": ColumnSpec("wasserstein")})
    assert (same.statistic, same.drifted) == (0.0, False)
    same_ks = one_column([4.0] * 40, [4.0] * 40, overrides={"x": ColumnSpec("ks")})
    assert (same_ks.statistic, same_ks.p_value, same_ks.drifted) == (0.0, 1.0, False)
    moved = one_column([4.0] * 40, [4.5] * 40, overrides={"x": ColumnSpec("wasserstein")})
    assert moved.statistic == pytest.approx(0.5 / 0.001) and moved.drifted  # std floor 0.001
    default = one_column([4.0] * 40, [4.0] * 40)
    assert (default.method, default.p_value, default.drifted) == ("z", 1.0, False)


def test_new_category_makes_chi2_infinite_and_json_shows_null():
    column = one_column(list("abcabc") * 10, list("abcabd") * 10)
    assert column.method == "chi2"
    assert column.statistic == math.inf and column.p_value == 0.0 and column.drifted
    assert column.as_json()["statistic"] is None


def test_duplicate_column_names_are_skipped():
    reference = pd.DataFrame([[1.0, 2.0, 3.0, 4.0]] * 5, columns=["a", "a", "b", "c"])
    current = pd.DataFrame([[1.0, 2.0, 3.0, 4.0]] * 5, columns=["a", "b", "b", "c"])
    result = check_drift(reference, current)
    assert [column.name for column in result.columns] == ["c"]
    assert ("a", "duplicate column name in reference") in result.skipped
    assert ("b", "duplicate column name in current") in result.skipped


def test_huge_and_tiny_numbers_stay_finite():
    big = one_column(
        [1e308, -1e308, 0.0, 1.0, 2.0, 3.0, 4.0],
        [1e308, -1e308, 5.0, 6.0, 7.0, 8.0, 9.0],
        overrides={"x": ColumnSpec("wasserstein")},
    )
    assert math.isfinite(big.statistic)
    tiny = one_column(
        np.arange(1, 40) * 5e-324, np.arange(3, 42) * 5e-324, overrides={"x": ColumnSpec("psi")}
    )
    assert math.isfinite(tiny.statistic)


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------


def test_json_shapes():
    reference, current = frames_with_drifted(1, 2)
    reference["extra"] = 1
    payload = check_drift(reference, current).as_json()
    assert set(payload) == {
        "columns",
        "drift_share",
        "dataset_drift",
        "reference_rows",
        "current_rows",
        "skipped",
    }
    assert [set(column) for column in payload["columns"]] == [
        {"name", "method", "statistic", "p_value", "threshold", "drifted"}
    ] * 2
    assert payload["skipped"] == [{"name": "extra", "reason": "only in reference"}]
    assert payload["drift_share"] == 0.5 and payload["dataset_drift"] is True
    json.dumps(payload, allow_nan=False)


# ---------------------------------------------------------------------------------------------
# Any small table: a result or DriftInputError, nothing else
# ---------------------------------------------------------------------------------------------

CELLS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.booleans(),
    st.none(),
)
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5))


@st.composite
def small_frames(draw):
    rows = draw(st.integers(0, 12))
    names = draw(st.lists(st.sampled_from(list("abcd")), max_size=4))  # repeats on purpose
    series = []
    for name in names:
        kind = draw(st.sampled_from(["int", "float", "text", "bool", "mixed"]))
        cells = {
            "int": st.integers(-3, 3),
            "float": NUMBERS,
            "text": st.sampled_from(["x", "y", "z", ""]),
            "bool": st.booleans(),
            "mixed": CELLS,
        }[kind]
        values = draw(st.lists(cells, min_size=rows, max_size=rows))
        dtype = object if kind == "mixed" else None
        series.append(pd.Series(values, name=name, dtype=dtype))
    if not series:
        return pd.DataFrame(index=range(rows))
    return pd.concat(series, axis=1)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_frames(), small_frames(), st.booleans())
def test_any_small_tables_give_a_result_or_drift_input_error(reference, current, psi):
    try:
        result = check_drift(reference, current, psi=psi)
    except DriftInputError as error:
        assert str(error)
        return
    assert result.columns
    drifted = sum(column.drifted for column in result.columns)
    assert result.drift_share == drifted / len(result.columns)
    assert result.dataset_drift == (result.drift_share >= 0.5)
    assert not any("could not be compared" in reason for _, reason in result.skipped)
    for column in result.columns:
        assert column.method in drift.METHODS
        assert not math.isnan(column.statistic)
        if column.p_value is not None:
            assert 0.0 <= column.p_value <= 1.0
    json.dumps(result.as_json(), allow_nan=False)


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40),
)
def test_numeric_statistics_are_bounded(reference, current):
    ks = one_column(reference, current, overrides={"x": ColumnSpec("ks")})
    assert 0.0 <= ks.statistic <= 1.0 and 0.0 <= ks.p_value <= 1.0
    same = one_column(reference, reference, overrides={"x": ColumnSpec("wasserstein")})
    assert same.statistic == 0.0


def test_scipy_is_loaded_by_comparing_columns_not_by_importing_check_drift():
    script = (
        "import sys; import pandas as pd; from mlboard.analytics.drift import check_drift; "
        "before = 'scipy' in sys.modules; "
        "check_drift(pd.DataFrame({'x': range(10)}), pd.DataFrame({'x': range(5, 15)})); "
        "print(before, 'scipy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]
