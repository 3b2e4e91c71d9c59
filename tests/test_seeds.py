"""The one seed scheme (core/seeds.py): stream(seed) is the seed's own stream, stream(seed, *path) its independent
child streams; bad seeds and paths are refused in one line; and no other way of deriving a stream from a seed is
left in the library."""

import pathlib
import re
import tokenize

import numpy as np
import pytest

from nncourse.core.seeds import stream

LIB = pathlib.Path(__file__).resolve().parents[1] / "lib" / "nncourse"


def _draws(rng, n=8):
    return rng.random(n)


def test_a_seeds_own_stream_is_default_rng():
    """Data drawn from stream(seed) are the data np.random.default_rng(seed) drew before the scheme."""
    for seed in (0, 1, 2, 12345, 2**40):
        assert np.array_equal(_draws(stream(seed)), _draws(np.random.default_rng(seed)))


def test_child_streams_are_numpys_spawned_streams():
    for seed in (0, 3):
        spawned = np.random.default_rng(seed).spawn(3)
        for k in range(3):
            assert np.array_equal(_draws(stream(seed, k)), _draws(spawned[k]))
        # deeper paths are spawned streams of spawned streams
        assert np.array_equal(_draws(stream(seed, 1, 2)), _draws(spawned[1].spawn(3)[2]))


def test_child_streams_differ_from_the_parent_and_from_each_other():
    """Every path its own numbers, including the trailing zeros that made default_rng([seed, 0]) equal to
    default_rng(seed) and default_rng([seed, 1, 0]) equal to default_rng([seed, 1])."""
    assert np.array_equal(_draws(np.random.default_rng([5, 0])), _draws(np.random.default_rng(5))), "the old defect"
    paths = [(), (0,), (1,), (2,), (0, 0), (1, 0), (1, 0, 0), (0, 1), (1, 1), (10,), (20, 5), (20, 5, 0), (20, 5, 1)]
    for seed in (0, 1, 2):
        draws = {path: tuple(_draws(stream(seed, *path))) for path in paths}
        assert len(set(draws.values())) == len(paths), f"two paths of seed {seed} share a stream"
    # the old `seed + 1` for the weights: seed 0's weight stream is not seed 1's data stream
    assert not np.array_equal(_draws(stream(0, 0)), _draws(stream(1)))
    assert not np.array_equal(_draws(stream(0, 1)), _draws(stream(1)))


def test_the_same_seed_and_path_give_bit_identical_numbers():
    assert np.array_equal(_draws(stream(7, 2, 3), 100), _draws(stream(7, 2, 3), 100))
    assert np.array_equal(_draws(stream(np.int64(7), np.int32(2))), _draws(stream(7, 2)))


@pytest.mark.parametrize(
    ("seed", "path", "says"),
    [
        (-1, (), "seed"),
        (1.5, (), "seed"),
        ("0", (), "seed"),
        (None, (), "seed"),
        (True, (), "seed"),
        ([0, 1], (), "seed"),
        (0, (-1,), "path"),
        (0, (1.5,), "path"),
        (0, ("a",), "path"),
        (0, (True,), "path"),
        (0, (1, None), "path"),
    ],
)
def test_a_bad_seed_or_path_is_refused_in_one_line(seed, path, says):
    with pytest.raises(ValueError, match=says) as err:
        stream(seed, *path)
    assert "\n" not in str(err.value)
    assert len(err.value._render_traceback_()) == 1, "shown in a notebook as one line"


# the calls the scheme replaces, as they read with the spaces between tokens taken out; core/seeds.py is the
# scheme, core/_validate.py its check
OLD_WAYS = re.compile(r"default_rng\(|\.spawn\(|generator\(\[|\bseed\+1\b")
SCHEME = {"core/seeds.py", "core/_validate.py"}
# code that still derives a stream another way, each with the reason it may
ALLOWED = {
    # the exercise checker's case streams, default_rng([SEED, lesson, hash of the name]): not part of the seed
    # change (converting it changes every exercise's cases, and the checks every lesson's notebook prints)
    "exercises/__init__.py": "the exercise cases' own streams, left for the lead",
}


def _code_matches(path):
    """Lines of `path` whose code (not its strings or comments: a docstring or an error message may advise the
    learner to call np.random.default_rng(seed)) derives a stream the old way."""
    skip = {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    lines = {}
    with open(path, encoding="utf-8") as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type not in skip:
                lines.setdefault(tok.start[0], []).append(tok.string)
    return [row for row, parts in lines.items() if OLD_WAYS.search("".join(parts))]


def test_no_other_way_to_derive_a_stream_is_left():
    """Every Generator made from a seed comes from core.seeds.stream: the guard names each file that derives one
    another way (default_rng, spawn, a seed list, seed + 1) in its code."""
    found = {}
    for path in sorted(LIB.rglob("*.py")):
        rel = path.relative_to(LIB).as_posix()
        if rel in SCHEME or rel in ALLOWED:
            continue
        rows = _code_matches(path)
        if rows:
            found[rel] = rows
    assert not found, "derive streams with nncourse.core.seeds.stream, not: " + ", ".join(
        f"{rel} (lines {', '.join(map(str, rows))})" for rel, rows in found.items()
    )


def test_the_guard_sees_code_and_not_advice(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        'import numpy as np\n\n\ndef f(seed):\n    """Use np.random.default_rng(seed)."""\n'
        '    msg = "pass rng=np.random.default_rng(seed)"\n    a = np.random.default_rng(seed + 1)\n'
        "    b = np.random.default_rng([seed, 0])\n    return a.spawn(2), b, msg\n",
        encoding="utf-8",
    )
    assert _code_matches(bad) == [7, 8, 9]
    for rel in ALLOWED:  # an allowance that is no longer needed is dropped
        assert _code_matches(LIB / rel), f"{rel} no longer needs its allowance"
