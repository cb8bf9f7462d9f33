"""Hypothesis profiles: `default` for every run (CI's too), `thorough` with twice the examples.

`HYPOTHESIS_PROFILE=thorough` chooses the longer one, for a run by hand after changing a parser.
Tests that need fewer or more examples than the profile's base say so with `examples(n)`, which
the `thorough` profile multiplies too.
"""

from __future__ import annotations

import os

from hypothesis import settings

BASE_EXAMPLES = 100
settings.register_profile("default", max_examples=BASE_EXAMPLES, deadline=None)
settings.register_profile(
    "thorough", max_examples=2 * BASE_EXAMPLES, deadline=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "default")


def examples(count: int) -> int:
    """`count` examples under the default profile, as many times more as the profile runs."""
    default = settings.default
    assert default is not None
    return count * default.max_examples // BASE_EXAMPLES
