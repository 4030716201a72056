"""Continual metrics on small vectors worked out by hand from the definitions."""

from __future__ import annotations

import numpy as np
import pytest

from embodied_bench.metrics import continual as C

# Three phases of four evaluations each: the score on each phase's layouts over the run.
P = np.array(
    [
        [0, 0.4, 0.8, 1, 0.6, 0.4, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1],
        [0, 0, 0.1, 0.1, 0.2, 0.6, 0.8, 0.9, 0.7, 0.6, 0.5, 0.5],
        [0, 0, 0, 0, 0, 0, 0.1, 0.1, 0.3, 0.7, 0.9, 1],
    ]
)
PHASE = np.repeat([0, 1, 2], 4)
REF = np.array([[0, 0.2, 0.5, 0.8], [0, 0.3, 0.6, 0.8], [0, 0.2, 0.4, 0.6]])
STEPS = np.arange(1, 13) * 100.0
STARTS = np.array([0.0, 400.0, 800.0])


def test_average_performance_is_the_mean_of_the_final_scores():
    assert C.average_performance(P, PHASE) == pytest.approx((0.1 + 0.5 + 1) / 3)  # 0.5333


def test_forgetting_as_continual_world_defines_it_and_its_clipped_variant():
    assert C.forgetting_per_phase(P, PHASE) == pytest.approx([1 - 0.1, 0.9 - 0.5, 0.0])
    assert C.forgetting(P, PHASE) == pytest.approx(1.3 / 3)  # 0.4333
    assert C.forgetting(P, PHASE, clip=True, include_last=False) == pytest.approx(0.65)
    better_later = np.array([[0.2, 0.4, 0.9, 0.9], [0, 0, 0.5, 0.5]])
    assert C.forgetting(better_later, [0, 0, 1, 1]) == pytest.approx(-0.25)  # (0.4 - 0.9 + 0) / 2
    assert C.forgetting(better_later, [0, 0, 1, 1], clip=True) == 0.0


def test_forward_transfer_against_single_phase_references():
    ft = C.forward_transfer_per_phase(P, PHASE, REF)
    assert ft == pytest.approx([(0.55 - 0.375) / 0.625, (0.625 - 0.425) / 0.575, (0.725 - 0.3) / 0.7])
    assert C.forward_transfer(P, PHASE, REF) == pytest.approx(0.4117, abs=5e-5)
    perfect = REF.copy()
    perfect[1] = 1.0
    assert np.isnan(C.forward_transfer_per_phase(P, PHASE, perfect)[1])
    with pytest.raises(ValueError, match="reference curve 2 must have the 4 evaluations"):
        C.forward_transfer(P, PHASE, [REF[0], REF[1], REF[2][:3]])


def test_steps_to_recover_after_each_change_are_censored_at_the_phase_end():
    got = C.steps_to_recover(P, PHASE, STEPS, STARTS, threshold=0.8)
    assert got.first.tolist() == [300.0, 300.0] and got.reached.tolist() == [True, True]
    high = C.steps_to_recover(P, PHASE, STEPS, STARTS, threshold=0.95)
    assert high.first.tolist() == [400.0, 400.0] and high.reached.tolist() == [False, True]


def test_a_world_at_threshold_when_it_arrives_needs_no_steps_to_recover():
    got = C.steps_to_recover(P, PHASE, STEPS, STARTS, threshold=0.8, at_change=[0.85, np.nan])
    assert got.first.tolist() == [0.0, 300.0] and got.reached.tolist() == [True, True]
    with pytest.raises(ValueError, match="at_change must be"):
        C.steps_to_recover(P, PHASE, STEPS, STARTS, threshold=0.8, at_change=[0.85])


def test_the_cost_of_the_first_steps_of_each_phase():
    cum = np.array([0, 1, 1, 2, 5, 6, 6, 6, 6, 9, 9, 9], dtype=float)
    assert C.early_cost(cum, STEPS, STARTS, window=200).tolist() == [1.0, 4.0, 3.0]
    with pytest.raises(ValueError, match="no evaluation at step 150"):
        C.early_cost(cum, STEPS, STARTS, window=150)


@pytest.mark.parametrize("phase_of", [[0, 0, 2, 2], [1, 1, 1, 1], [0, 1, 0, 1], [0, 0, 0]])
def test_a_phase_list_that_skips_goes_back_or_does_not_fit_is_refused(phase_of):
    with pytest.raises(ValueError, match="phase"):
        C.average_performance(np.zeros((2, 4)), phase_of)
