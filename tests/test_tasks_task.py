import pytest

from agentarch.errors import ConfigError
from agentarch.tasks import Example, Task, limit


def make(n=100):
    return Task(name="t", description="d", origin="test",
                examples=[Example(id=f"e{i}", input=f"q{i}", target=str(i)) for i in range(n)],
                metric="numeric")


def ids(xs):
    return [x.id for x in xs]


def test_metric_by_name_is_resolved():
    assert make().metric.name == "numeric"


def test_default_split_sizes_disjoint_and_complete():
    s = make(100).split()
    assert (len(s.train), len(s.val), len(s.test)) == (20, 30, 50)
    all_ids = ids(s.train) + ids(s.val) + ids(s.test)
    assert len(set(all_ids)) == 100


def test_split_deterministic_and_seed_dependent():
    t = make()
    assert t.split(seed=3) == t.split(seed=3)
    assert ids(t.split(seed=3).test) != ids(t.split(seed=4).test)


def test_split_independent_of_file_order():
    t, r = make(), make()
    r.examples.reverse()
    assert ids(t.split(seed=1).val) == ids(r.split(seed=1).val)


def test_split_counts_and_rounding():
    s = make(100).split(train=5, val=10, test=20)
    assert (len(s.train), len(s.val), len(s.test)) == (5, 10, 20)
    s = make(7).split()
    assert len(s.train) + len(s.val) + len(s.test) == 7


def test_split_errors():
    with pytest.raises(ConfigError, match="add up to 1.2"):
        make().split(train=0.5, val=0.5, test=0.2)
    with pytest.raises(ConfigError, match="but the task has 100"):
        make().split(train=50, val=50, test=1)
    with pytest.raises(ConfigError):
        make().split(train=-1)


def test_limit_and_get():
    t = make()
    test = t.split().test
    assert ids(limit(test, 5)) == ids(test[:5])
    assert limit(test, None) == test
    assert t.get("e7").target == "7"
    with pytest.raises(ConfigError):
        limit(test, -1)
