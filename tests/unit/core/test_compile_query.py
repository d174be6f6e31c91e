"""db.compile_query compiles as Piccolo does, whatever the nesting, the values and the
engine: the cached text with this query's values, never another query's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from piccolo.querystring import QueryString

from groundswell.db import compile_query
from groundswell.listening.feed import FeedFilters, _all_of, _feed_conditions
from groundswell.vouching.queries import Audience

values = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.booleans())


@st.composite
def querystrings(draw: st.DrawFn, depth: int = 0) -> QueryString:
    pieces = draw(st.lists(st.sampled_from(["a", " AND ", "(", ")", "{{x}}", "'{{'"]), max_size=3))
    holes = draw(st.integers(min_value=0, max_value=3))
    template = "{}".join([*pieces[:holes], *[""] * max(0, holes + 1 - len(pieces))])
    template += "".join(pieces[holes:])
    count = draw(st.integers(min_value=0, max_value=holes + 1))  # sometimes one too many
    args = [
        draw(querystrings(depth + 1)) if depth < 2 and draw(st.booleans()) else draw(values)
        for _ in range(count)
    ]
    return QueryString(template, *args)


@given(querystrings(), st.sampled_from(["postgres", "sqlite"]))
def test_compiles_as_piccolo_does(query: QueryString, engine_type: str) -> None:
    assert compile_query(query, engine_type) == query.compile_string(engine_type=engine_type)


def test_the_same_shape_with_other_values_gets_its_own_values() -> None:
    first = QueryString("a = {} AND ({})", 1, QueryString("b IN ({}, {})", "x", "y"))
    second = QueryString("a = {} AND ({})", 2, QueryString("b IN ({}, {})", "p", "q"))
    assert compile_query(first, "postgres") == ("a = $1 AND (b IN ($2, $3))", [1, "x", "y"])
    assert compile_query(second, "postgres") == ("a = $1 AND (b IN ($2, $3))", [2, "p", "q"])


@pytest.mark.parametrize(
    "filters",
    [
        FeedFilters(audience=Audience.FUNDERS),
        FeedFilters(locality_in=(1, 2, 3), theme="value", audience=Audience.PUBLIC),
        FeedFilters(host_id=4, organiser_id=9, audience=Audience.FUNDERS),
    ],
)
def test_the_feed_queries_compile_as_before(filters: FeedFilters) -> None:
    conditions = _feed_conditions(filters)
    assert conditions is not None
    voice, organiser = conditions
    query = QueryString(
        "SELECT {} FROM x WHERE {} LIMIT {}", _all_of(voice), _all_of(organiser), 21
    )
    assert compile_query(query, "postgres") == query.compile_string(engine_type="postgres")
