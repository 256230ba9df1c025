import pytest

from rnncast.data.folds import make_folds
from rnncast.errors import ConfigError


def test_expanding_folds_end_with_the_data_and_never_overlap_their_tests():
    folds = make_folds(50, folds=4, test=5, step=5)
    assert folds[-1].end == 50 and all(f.start == 0 for f in folds)
    tests = [set(range(f.cut, f.end)) for f in folds]
    assert all(not (a & b) for i, a in enumerate(tests) for b in tests[i + 1 :])


def test_sliding_folds_keep_the_first_training_length():
    folds = make_folds(50, folds=3, test=4, step=6, window="sliding")
    assert {f.cut - f.start for f in folds} == {folds[0].cut}
    assert [f.cut for f in folds] == [34, 40, 46]


def test_a_step_shorter_than_the_test_part_overlaps_tests():
    folds = make_folds(30, folds=2, test=6, step=3)
    assert folds[1].cut < folds[0].end


@pytest.mark.parametrize(
    "args, message",
    [
        ((10, 3, 5, 5), "need more than the 10 rows"),
        ((10, 0, 2), "`folds` must be a whole number >= 1, got 0"),
        ((10, 2, 2, 0), "`step` must be a whole number >= 1, got 0"),
        ((10, 2, 2, 2, "rolling"), "`window` must be expanding or sliding"),
    ],
)
def test_impossible_folds_are_refused(args, message):
    with pytest.raises(ConfigError, match=message):
        make_folds(*args)
