"""Hypothesis strategies shared by the fuzz tests: JSON values, and text that looks like the inputs."""

from __future__ import annotations

from hypothesis import strategies as st

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)

json_values = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)


def objects_with(
    keys: list[str], values: st.SearchStrategy[object] = json_values
) -> st.SearchStrategy[dict[str, object]]:
    """JSON objects whose keys are mostly the ones a parser looks for, with values of any type."""
    key = st.sampled_from(keys) | st.text(max_size=8)
    return st.dictionaries(key, values, max_size=len(keys) + 2)
