from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from hashnet_mm.engine.hooks import ContinuationHook
from hashnet_mm.models.heads import HashHead


@pytest.mark.parametrize('iteration,t', [(0, 0), (199, 0), (200, 200),
                                         (399, 200), (10000, 10000),
                                         (10199, 10000)])
def test_power_schedule_from_zero_based_iterations(iteration, t):
    # counter_offset=0: t is runner.iter rounded down (the default is the
    # released code's counter).
    hook = ContinuationHook(counter_offset=0)
    assert hook.beta_at(iteration) == pytest.approx((1 + 0.005 * t)**0.5)


def released_beta(iteration, step=200, gamma=0.005, power=0.5):
    """The released network.py: ``iter_num += 1`` in forward, then, when
    ``iter_num % step == 0``, scale = (1 + gamma * iter_num) ** power; the
    scale is kept between updates. Simulated iteration by iteration."""
    scale, iter_num = 1.0, 0
    for _ in range(iteration + 1):
        iter_num += 1
        if iter_num % step == 0:
            scale = (1 + gamma * iter_num)**power
    return scale


@pytest.mark.parametrize('iteration,beta', [(0, 1.0), (198, 1.0),
                                            (199, 1.4142), (200, 1.4142),
                                            (398, 1.4142), (399, 1.7321),
                                            (9998, 7.0711), (9999, 7.1414)])
def test_default_matches_the_released_counter_exactly(iteration, beta):
    hook = ContinuationHook()
    assert hook.beta_at(iteration) == released_beta(iteration)
    assert hook.beta_at(iteration) == pytest.approx(beta, abs=1e-4)


def test_released_counter_with_other_steps():
    hook = ContinuationHook(gamma=0.02, step=100)
    for iteration in range(0, 2001, 7):
        assert hook.beta_at(iteration) == pytest.approx(
            released_beta(iteration, step=100, gamma=0.02), rel=1e-15)


def test_power_schedule_arguments():
    hook = ContinuationHook(beta0=2., gamma=0.1, power=1., step=10)
    assert hook.beta_at(25) == pytest.approx(2. * (1 + 0.1 * 20))


def test_stage_schedule_of_algorithm_1():
    hook = ContinuationHook(
        schedule='stages', stages=[(0, 1.), (100, 2.), (250, 5.)])
    assert [hook.beta_at(i) for i in (0, 99, 100, 249, 250, 10**6)] == \
        [1., 1., 2., 2., 5., 5.]


@pytest.mark.parametrize('kwargs', [
    dict(schedule='linear'),
    dict(schedule='stages'),
    dict(schedule='stages', stages=[(10, 1.)]),
    dict(schedule='stages', stages=[(0, 1.), (0, 2.)]),
    dict(schedule='stages', stages=[(0, 1.), (5, 0.)]),
    dict(stages=[(0, 1.)]),
    dict(step=0),
    dict(beta0=0),
    dict(counter_offset=-1),
])
def test_bad_schedules(kwargs):
    with pytest.raises(ValueError):
        ContinuationHook(**kwargs)


def test_sets_head_beta_and_logs_it():
    model = torch.nn.Module()
    model.head = HashHead(num_bits=8, in_channels=4)
    hub = MessageHub.get_instance('test_continuation_hook')
    runner = SimpleNamespace(model=model, iter=400, message_hub=hub)
    ContinuationHook().before_train_iter(runner, batch_idx=0)
    assert model.head.beta == pytest.approx(3**0.5)
    assert hub.get_scalar('train/beta').current() == pytest.approx(3**0.5)


def test_budget_schedule_is_the_released_one_at_10000_iterations():
    released = ContinuationHook()
    budget = ContinuationHook(
        schedule='budget', final_beta=51**0.5, num_steps=50)
    for iteration in list(range(0, 10000, 13)) + [198, 199, 9998, 9999]:
        assert budget.beta_at(
            iteration, max_iters=10000) == pytest.approx(
                released.beta_at(iteration), rel=1e-12)


def slow_budget_beta(iteration,
                     max_iters,
                     final_beta,
                     num_steps,
                     beta0=1.,
                     power=.5,
                     counter_offset=1):
    """Independent reference: beta rises at the iterations where the
    fraction (iteration + counter_offset) / max_iters crosses a multiple of
    1 / num_steps, on the curve beta0 (1 + g x) ** power, x in [0, 1]."""
    from fractions import Fraction
    progress = Fraction(iteration + counter_offset, max_iters)
    steps = 0
    while steps < num_steps and Fraction(steps + 1, num_steps) <= progress:
        steps += 1
    growth = (final_beta / beta0)**(1 / power) - 1
    return beta0 * (1 + growth * steps / num_steps)**power


@pytest.mark.parametrize('max_iters,num_steps', [(1000, 50), (1280, 50),
                                                 (37, 50), (2000, 7), (1, 1)])
@pytest.mark.parametrize('final_beta', [3., 10.])
def test_budget_schedule_ends_at_final_beta(max_iters, num_steps, final_beta):
    hook = ContinuationHook(
        schedule='budget', final_beta=final_beta, num_steps=num_steps)
    betas = [hook.beta_at(i, max_iters) for i in range(max_iters)]
    assert betas[0] == pytest.approx(
        slow_budget_beta(0, max_iters, final_beta, num_steps))
    assert betas[-1] == pytest.approx(final_beta, rel=1e-12)
    assert all(a <= b for a, b in zip(betas, betas[1:]))
    for i in range(0, max_iters, max(1, max_iters // 97)):
        assert betas[i] == pytest.approx(
            slow_budget_beta(i, max_iters, final_beta, num_steps), rel=1e-12)
    assert len(set(betas)) <= num_steps + 1


def test_budget_schedule_follows_the_runs_max_iters():
    model = torch.nn.Module()
    model.head = HashHead(num_bits=8, in_channels=4)
    hub = MessageHub.get_instance('test_budget_schedule')
    hook = ContinuationHook(schedule='budget', final_beta=8., num_steps=10)
    with pytest.raises(RuntimeError, match='max_iters'):
        hook.beta_at(3)
    for max_iters in (100, 3000):
        runner = SimpleNamespace(
            model=model,
            iter=max_iters - 1,
            message_hub=hub,
            max_iters=max_iters)
        hook.before_train(runner)
        hook.before_train_iter(runner, batch_idx=0)
        assert model.head.beta == pytest.approx(8.)
        runner.iter = max_iters // 2 - 1  # half way: 5 of the 10 steps
        hook.before_train_iter(runner, batch_idx=0)
        assert model.head.beta == pytest.approx((1 + 63 * 0.5)**0.5)


@pytest.mark.parametrize('kwargs', [
    dict(schedule='budget'),
    dict(schedule='budget', final_beta=1.),
    dict(schedule='budget', final_beta=5., gamma=0.01),
    dict(schedule='budget', final_beta=5., step=10),
    dict(schedule='budget', final_beta=5., num_steps=0),
    dict(schedule='budget', final_beta=5., power=0),
    dict(final_beta=5.),
    dict(schedule='stages', stages=[(0, 1.)], gamma=0.1),
])
def test_bad_budget_schedules(kwargs):
    with pytest.raises(ValueError):
        ContinuationHook(**kwargs)
