"""Status rows as MongoDB documents (``status_results.documents``): missing values null whatever
the column's dtype, ``info`` a sub-document or left out, ``tags`` a list, each distinct text parsed
once and shared."""

import numpy as np
import pandas as pd
import pytest

from platform_assets.argo.status_results import documents

pytestmark = pytest.mark.fast


def test_missing_values_are_null_in_every_kind_of_column():
    table = pd.DataFrame({
        "host": pd.Series(["h1", None], dtype="str"),
        "message": pd.Series(["x", np.nan], dtype=object),
        "count": pd.Series([1, None], dtype="Int64"),
        "share": [0.5, np.nan],
        "has_threshold_rule": [True, False],
        "time_integer": np.array([10, 20], dtype=np.int64),
        "info": ['{"URL": "u"}', None],
        "tags": ["[]", "[]"],
    })
    docs = documents(table)
    assert docs[1] == {"host": None, "message": None, "count": None, "share": None,
                       "has_threshold_rule": False, "time_integer": 20, "tags": []}
    assert docs[0]["info"] == {"URL": "u"} and docs[0]["count"] == 1 and docs[0]["tags"] == []
    assert type(docs[0]["time_integer"]) is int and type(docs[0]["has_threshold_rule"]) is bool
