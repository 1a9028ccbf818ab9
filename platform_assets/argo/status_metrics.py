"""``status_metrics`` as ARGO's v3 batch job writes it: one row per metric record of the day, per
endpoint group of its endpoint, with the status before it. No Dagster import.

The rules, carried over as facts from the original (``PickEndpoints``, ``FillMissing``,
``CalcPrevStatus``), not its code:

- The day's records and each series' last record of the day before (after monitoring-source
  exclusions) are kept when their endpoint is in the topology and their metric in the service's
  metric profile; each goes to every endpoint group of its endpoint.
- A series the topology and profile expect but with no record on either day gets one row at
  ``<day>T00:00:00Z`` with the profile's missing state and empty message, summary and actual data;
  a series of a metric the profile gained on the day (``ArInputs.new_metrics``) gets one with the
  unknown state instead, whether it has records or not. A membership whose group ARGO takes no
  records for (not of the report's endpoint-group type, or not a subgroup in ``topology_groups``:
  ``profiles.mark_memberships``) has no record rows, only the missing state at midnight.
- Threshold rules (by the row's own endpoint group) may set the status: ``original_status`` is
  then the record's status, ``threshold_rule_applied`` the rule's thresholds and
  ``has_threshold_rule`` true (the original marks every record a rule gave a status to, since it
  compares the two statuses as objects).
- Exact repeats (same group, series, status and time) count once. Each row's ``previous_state`` and
  ``previous_timestamp`` are those of the row before it in the series (the day before's last record
  for the first; ``MISSING`` at ``<day>T00:00:00Z`` without one); that record itself is no row.
- ``exclude_metrics`` (the first matching entry, window [S, E]): a row inside the window becomes
  EXCLUDED, followed, when E is within the day, by a copy with its status one second after E
  (previous: EXCLUDED at midnight), and when S is within the day, by a copy one second after S; a
  row outside the window is not written, though the next row still takes it as its previous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from platform_assets.argo import metric_recomputation, status_changes
from platform_assets.argo.ar_kernel import (
    ArInputs,
    exclude_monitoring,
    report_topology,
    status_codes,
    utc_nanos,
)
from platform_assets.argo.metric_exclusions import matching_entry
from platform_assets.argo.profiles import EXCLUDED, StatusChange
from platform_assets.argo.series_lookup import PairTable, fan_out, sort_packed
from platform_assets.argo.status_results import coded, day_stamps, metric_status_table

COLUMNS = [
    "group",
    "service",
    "hostname",
    "metric",
    "status",
    "timestamp",
    "message",
    "summary",
    "actual_data",
    "original_status",
    "threshold_rule_applied",
    "has_threshold_rule",
    "previous_state",
    "previous_timestamp",
]
_SERIES = ["group", "service", "hostname", "metric"]


def _last_of_previous_day(inputs: ArInputs, series: _Series) -> pd.DataFrame | None:
    """Each expected series' last record of the day before (after monitoring-source exclusions):
    the latest in time; of records of the same second the one of the highest status code, then
    the last listed: the record whose status the A/R kernel carries into the day."""
    prev = inputs.previous
    if prev is None or prev.empty:
        return None
    prev = exclude_monitoring(prev, inputs.exclusions)
    if prev.empty:
        return None
    stamps = utc_nanos(prev["timestamp"])
    keys = series.key(prev)
    known = np.flatnonzero(keys >= 0)
    if len(known) == 0:
        return prev.iloc[:0]
    keys, stamps = keys[known], stamps[known]
    # in key order (service, hostname, metric: the order of the statuses' first appearance
    # follows from it), the latest record of each key, of records of one instant the highest
    # code, then the last listed (nanosecond stamps do not pack with the keys into 63 bits; a
    # run's D-1 is small anyway)
    codes = status_codes(prev["status"], inputs.operations)[known]
    order = np.lexsort((known, codes, stamps, keys))
    keys, rows = keys[order], known[order]
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return prev.iloc[rows[last]]


@dataclass
class _RuleMarks:
    """Which rule, if any, gave each row its status: ``index`` into ``original`` (the record's own
    status) and ``applied`` (the rule's thresholds); 0 for none (an empty text)."""

    index: np.ndarray
    original: pa.Array
    applied: pa.Array


def _rules(
    inputs: ArInputs,
    series: _Series,
    row: np.ndarray,
    source: np.ndarray,
    status: np.ndarray,
    names: list[str | None],
    actual_data: pa.Array,
) -> _RuleMarks:
    """Threshold rules (by the row's own endpoint group) set ``status`` (codes into ``names``) in
    place; what they replaced and why, per row."""
    index = np.zeros(len(row), dtype=np.int64)
    original, applied = [""], [""]
    rules = inputs.thresholds
    marks = _RuleMarks(index, pa.array(original), pa.array(applied))
    if rules is None or len(row) == 0:
        return marks
    ruled_series = series.frame["metric"].isin(rules.metrics).to_numpy()
    has_data = pc.is_valid(actual_data).to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(ruled_series[row] & has_data[source])
    if len(candidates) == 0:
        return marks
    ops = inputs.operations
    try:
        and_table = ops.tables[ops.op("AND")]
    except Exception:  # no AND operation: the original cannot combine labels, nothing changes
        return marks

    def combine(a: str, b: str) -> str:
        return ops.states[and_table[ops.code(a), ops.code(b)]]

    groups, hosts, metrics = (series.columns[c] for c in ("group", "hostname", "metric"))
    data = pc.take(actual_data, pa.array(source[candidates])).to_pylist()
    for i, value in zip(candidates.tolist(), data, strict=True):
        at = row[i]
        rule = rules.rule_for(groups[at], hosts[at], metrics[at])
        if rule not in rules.rules:
            continue
        try:
            name = rules.status(groups[at], hosts[at], metrics[at], value, combine)
        except (ValueError, IndexError, KeyError):
            continue
        if name:
            original.append(names[status[i]] or "")
            applied.append(rules.texts.get(rule, ""))
            index[i] = len(original) - 1
            status[i] = _code(names, name)
    return _RuleMarks(index, pa.array(original, pa.string()), pa.array(applied, pa.string()))


def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position of each value in ``categories``, -1 where it is not one; each distinct value
    looked up once."""
    codes, uniques = pd.factorize(values)
    found = np.append(categories.get_indexer(pd.Index(uniques, dtype=object)), -1)
    return found[np.asarray(codes)].astype(np.int64)


class _Series:
    """The series the topology and profile expect, (group, service, hostname, metric), sorted by an
    integer key of (service, hostname, metric): records find theirs (every group of their
    endpoint) by binary search, not by joining strings."""

    def __init__(self, inputs: ArInputs):
        profile = inputs.metric_profile
        topo = report_topology(inputs)
        if "valid" not in topo:
            topo = topo.assign(valid=True)
        members = topo[["group", "service", "hostname", "valid"]].drop_duplicates(
            ["group", "service", "hostname"]
        )
        rows = [
            (g, sv, h, m, v)
            for g, sv, h, v in members.itertuples(index=False)
            for m in dict.fromkeys(profile[sv])
        ]
        frame = pd.DataFrame(rows, columns=[*_SERIES, "valid"])
        self.services = pd.Index(sorted(frame["service"].unique()))
        self.hosts = pd.Index(sorted(frame["hostname"].unique()))
        self.metrics = pd.Index(sorted(frame["metric"].unique()))
        keys = self.key(frame)
        order = np.lexsort((frame["group"].to_numpy(dtype=object).astype(str), keys))
        self.frame = frame.iloc[order].reset_index(drop=True)
        self.columns = {c: self.frame[c].to_numpy(dtype=object) for c in _SERIES}
        self.arrow = {c: pa.array(self.columns[c], pa.string()) for c in _SERIES}
        # a membership ARGO takes no records for (profiles.mark_memberships): MISSING at midnight
        self.valid = self.frame["valid"].to_numpy(dtype=bool)
        # rows are contiguous per (service, hostname) pair, and within it per metric (in code
        # order), one per group: a record's rows start at its pair's first row plus its metric's
        # rank among the service's metrics times the pair's number of groups
        n_hosts, n_metrics = max(len(self.hosts), 1), max(len(self.metrics), 1)
        sorted_keys = keys[order]
        self.pairs = PairTable(sorted_keys // n_metrics, len(self.services) * n_hosts)
        self.metric_rank = np.full((len(self.services), n_metrics), -1, dtype=np.int64)
        self.metric_count = np.zeros(len(self.services), dtype=np.int64)
        s_codes, m_codes = sorted_keys // n_metrics // n_hosts, sorted_keys % n_metrics
        for s_code in np.unique(s_codes).tolist():
            distinct = np.unique(m_codes[s_codes == s_code])
            self.metric_rank[s_code, distinct] = np.arange(len(distinct))
            self.metric_count[s_code] = len(distinct)

    def rows_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first row, number of rows: the endpoint's groups) of each record ``key``."""
        n_hosts, n_metrics = max(len(self.hosts), 1), max(len(self.metrics), 1)
        if len(self.frame) == 0:  # the report expects no series: no record has rows
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), np.int64)
        known = keys >= 0
        pair, metric = np.divmod(np.where(known, keys, 0), n_metrics)
        first, count = self.pairs.find(pair, known)
        service = pair // n_hosts
        rank = self.metric_rank[service, metric]
        groups = count // np.maximum(self.metric_count[service], 1)
        found = known & (rank >= 0) & (count > 0)
        return first + np.where(found, rank, 0) * groups, np.where(found, groups, 0)

    def of_new_metrics(self, new_metrics: frozenset[tuple[str, str]]) -> np.ndarray:
        """Which series are of a (service, metric) in ``new_metrics``."""
        if not new_metrics:
            return np.zeros(len(self.frame), dtype=bool)
        pairs = zip(self.columns["service"].tolist(), self.columns["metric"].tolist(), strict=True)
        return np.fromiter((p in new_metrics for p in pairs), dtype=bool, count=len(self.frame))

    def key(self, frame: pd.DataFrame) -> np.ndarray:
        s = _codes(frame["service"], self.services)
        h = _codes(frame["hostname"], self.hosts)
        m = _codes(frame["metric"], self.metrics)
        key = (s * max(len(self.hosts), 1) + h) * max(len(self.metrics), 1) + m
        return np.where((s >= 0) & (h >= 0) & (m >= 0), key, -1)


def status_metric_rows(inputs: ArInputs) -> pd.DataFrame:
    """The report-day's ``status_metrics`` rows (``COLUMNS``, plain objects), in series and time
    order."""
    return _frame(_rows(inputs))


def status_metric_table(
    inputs: ArInputs, report_id: str, info: pd.DataFrame | None = None
) -> pa.Table:
    """The report-day's ``status_metrics`` as the collection's columns, built in Arrow (two
    million rows a day: no Python object per value)."""
    return metric_status_table(_rows(inputs), report_id, info)


def _rows(inputs: ArInputs) -> pa.Table:
    """The day's rows (``ROWS_SCHEMA``) after every recomputation rule, in series and time order."""
    entries = _exclusion_entries(inputs)
    if entries:  # the walk reads the day before's rows too
        rows = _collect(inputs)
        walked = _with_exclusions(inputs, _frame(rows), entries, _midnight(inputs.day))[COLUMNS]
        chosen = _encoded(walked)
    else:
        chosen = _collect(inputs, day_only=True)
    changes = _metric_changes(inputs)
    return _with_metric_changes(inputs, chosen, changes) if changes else chosen


def _metric_changes(inputs: ArInputs) -> list[StatusChange]:
    """The day's metric-level ``applied_status_changes`` that rewrite rows (``argo_v3``: the
    original's walk, ``metric_recomputation``; ``corrected`` leaves the rows as recorded)."""
    if inputs.semantics != "argo_v3":
        return []
    chosen = status_changes.for_level(inputs.status_changes, "metric", inputs.day)
    return [c for c in chosen if c.end >= c.start]


def _matched(changes: list[StatusChange], columns: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of a series some change names (``status_changes.matcher``)."""
    matching = status_changes.matcher(columns)
    hit = np.zeros(len(columns["group"]), dtype=bool)
    for change in changes:
        hit[matching(change)] = True
    return hit


def _with_metric_changes(inputs: ArInputs, table: pa.Table, changes: list) -> pa.Table:
    """``table`` with the rows of each series a change names rewritten, in place."""
    columns = {c: table.column(c).cast(pa.string()).to_numpy(zero_copy_only=False) for c in _SERIES}
    matched = _matched(changes, columns)
    if not matched.any():
        return table
    positions = np.flatnonzero(matched)
    frame = _frame(table.take(pa.array(positions)))
    rewritten, keys = _rewritten(inputs, frame, positions, changes)
    combined = pa.concat_tables([table.filter(pa.array(~matched)), _encoded(rewritten)])
    order = np.argsort(np.concatenate([np.flatnonzero(~matched), keys]), kind="stable")
    return combined.unify_dictionaries().combine_chunks().take(pa.array(order))


def _rewritten(
    inputs: ArInputs, frame: pd.DataFrame, positions: np.ndarray, changes: list
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of the series in ``frame`` (at ``positions`` of the whole) after the changes
    naming each, and where each new row sorts among the whole's (its series' first position)."""
    ops, day = inputs.operations, inputs.day
    midnight = pd.Timestamp(day, tz="UTC")
    out: list[dict] = []
    keys: list[float] = []
    frame = frame.assign(_position=positions).reset_index(drop=True)
    matching = status_changes.matcher({c: frame[c].to_numpy(dtype=object) for c in _SERIES})
    naming = [(change, set(matching(change).tolist())) for change in changes]
    for _, block in frame.groupby(_SERIES, sort=False, dropna=False):
        mine = [change for change, rows in naming if block.index[0] in rows]
        records = block.drop(columns="_position").to_dict("records")
        seconds = (pd.to_datetime(block["timestamp"], utc=True) - midnight).dt.total_seconds()
        before = (
            pd.to_datetime(block["previous_timestamp"], utc=True) - midnight
        ).dt.total_seconds()
        for record, t, p in zip(records, seconds.astype(int), before.astype(int), strict=True):
            record.update(t=int(t), previous_t=int(p))
        rows = metric_recomputation.one_per_second(records, ops)
        for change in mine:
            rows = metric_recomputation.rewrite(rows, change, day, _blank)
        first = int(block["_position"].iloc[0])
        for i, row in enumerate(rows):
            out.append({c: row.get(c) for c in COLUMNS})
            keys.append(first + i / (len(rows) + 1))
    rewritten = pd.DataFrame(out, columns=COLUMNS, dtype=object)  # None stays None
    rewritten["has_threshold_rule"] = rewritten["has_threshold_rule"].astype(bool)
    return rewritten, np.array(keys, dtype=float)


def _blank(ref: dict) -> dict:
    """A row the walk adds: the series of ``ref``, empty texts, no threshold rule."""
    return {
        **{c: ref[c] for c in _SERIES},
        "summary": "",
        "message": "",
        "actual_data": "",
        "original_status": "",
        "threshold_rule_applied": "",
        "has_threshold_rule": False,
    }


# text columns dictionary-encoded: a day's two million rows share few distinct values (series,
# statuses, seconds), so each row holds four-byte codes, not its own copy of every text. The
# probes' outputs are plain text: mostly distinct, as a dictionary they cost a hash of every
# text, and each writer puts every entry of a dictionary in its own before it falls back to
# plain (a day of distinct summaries: 0.7 s to encode, 1.3 s per write, twice the file)
TEXT = pa.dictionary(pa.int32(), pa.string())
PROBE_OUTPUTS = ("message", "summary", "actual_data")


def _row_type(column: str) -> pa.DataType:
    if column == "has_threshold_rule":
        return pa.bool_()
    return pa.string() if column in PROBE_OUTPUTS else TEXT


ROWS_SCHEMA = pa.schema([(c, _row_type(c)) for c in COLUMNS])


def _encoded(frame: pd.DataFrame) -> pa.Table:
    """Rows walked in pandas (exclusions) as ``ROWS_SCHEMA``."""
    plain = pa.Table.from_pandas(
        frame,
        schema=pa.schema(
            [
                (c, pa.string()) if t == TEXT else (c, t)
                for c, t in zip(ROWS_SCHEMA.names, ROWS_SCHEMA.types, strict=True)
            ]
        ),
        preserve_index=False,
    )
    return pa.table(
        {
            c: pc.dictionary_encode(plain.column(c))
            if ROWS_SCHEMA.field(c).type == TEXT
            else plain.column(c)
            for c in COLUMNS
        },
        schema=ROWS_SCHEMA,
    )


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _exclusion_entries(inputs: ArInputs) -> list:
    return [e for e in inputs.metric_exclusions if e.start.date() <= inputs.day <= e.end.date()]


def _frame(rows: pa.Table) -> pd.DataFrame:
    """The rows as a frame of plain objects (None where missing), as the walk and tests use."""
    frame = pd.DataFrame(
        {
            c: rows.column(c).cast(pa.string()).to_numpy(zero_copy_only=False)
            if rows.schema.field(c).type == TEXT
            else rows.column(c).to_numpy(zero_copy_only=False)
            for c in COLUMNS
        },
        dtype=object,
    )
    frame["has_threshold_rule"] = frame["has_threshold_rule"].astype(bool)
    return frame


def _texts(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column of the records with one more row, an empty text (what a row with no record
    takes). Plain text stays plain, its Arrow data not copied (a chunk more for the empty text);
    a categorical column keeps its codes, dictionary-encoded with only the categories in use,
    each once (those of the day before's records that were not carried are not)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        plain = pa.array(values, type=pa.string(), from_pandas=True)
        chunks = plain.chunks if isinstance(plain, pa.ChunkedArray) else [plain]
        return pa.chunked_array([*chunks, pa.array([""], pa.string())], pa.string())
    codes = values.cat.codes.to_numpy().astype(np.int64)
    categories = values.cat.categories.to_numpy(dtype=object)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(categories)))
    words = categories[used]
    empty = np.flatnonzero(words == "")
    if len(empty) == 0:
        words, empty = np.append(words, ""), np.array([len(words)])
    renumbered = np.full(len(categories) + 1, -1, dtype=np.int64)  # a missing value: -1, null
    renumbered[used] = np.arange(len(used))
    indices = np.append(renumbered[codes], empty[0]).astype(np.int32)
    return pa.DictionaryArray.from_arrays(
        pa.array(indices, mask=indices < 0), pa.array(words, pa.string())
    )


GATHER_ROWS = 1 << 18  # rows of plain text gathered at a time


def _gathered(texts: pa.Array | pa.ChunkedArray, source: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """Each row's text, taken from its source record (``_texts``), as plain text.

    Plain text is gathered from each chunk of the records (the day's, the day before's carried
    ones, the empty text) a slice of rows at a time. Arrow's take over chunks first copies them
    into one array, and a take of two million texts grows its output as it goes: on a day of
    distinct summaries that was 200 MB more at the run's peak, per column."""
    if isinstance(texts, pa.DictionaryArray):  # a gather of codes, then of the few texts
        codes = pc.take(texts.indices, pa.array(source))
        return pa.DictionaryArray.from_arrays(codes, texts.dictionary).cast(pa.string())
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    starts = np.cumsum([0, *(len(c) for c in chunks)])
    chunk_of = np.searchsorted(starts, source, side="right") - 1
    pieces = []
    for first in range(0, len(source), GATHER_ROWS):
        rows = source[first : first + GATHER_ROWS]
        chunk = chunk_of[first : first + GATHER_ROWS]
        parts, where = [], []
        for k in range(len(chunks)):  # the slice's rows of each chunk, taken from that chunk
            at = np.flatnonzero(chunk == k)
            if len(at):
                parts.append(pc.take(chunks[k], pa.array(rows[at] - starts[k])))
                where.append(at)
        if len(parts) == 1:
            pieces.append(parts[0])
            continue
        back = np.empty(len(rows), dtype=np.int64)  # then back from chunk order to row order
        back[np.concatenate(where)] = np.arange(len(rows))
        pieces.append(pc.take(pa.concat_arrays(parts), pa.array(back)))
    return pa.chunked_array(pieces, pa.string())


def _union(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """``parts``' ``columns`` one after the other. Categorical columns (the lake's records, of D
    and D-1) stay categorical, their categories united, rather than become two million texts."""
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    parts = [p.reindex(columns=columns) for p in parts]
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    out = {}
    for c in columns:
        each = [p[c] for p in parts]
        if all(isinstance(e.dtype, pd.CategoricalDtype) for e in each):
            codes = [e.array for e in each]
            if len({str(e.categories.dtype) for e in codes}) > 1:  # e.g. a day without any text
                codes = [
                    pd.Categorical.from_codes(e.codes, e.categories.astype(object)) for e in codes
                ]
            out[c] = pd.Series(union_categoricals(codes))
        else:
            out[c] = pd.concat(each, ignore_index=True)
    return pd.DataFrame(out)


def _collect(inputs: ArInputs, day_only: bool = False) -> pa.Table:
    """Every row (``ROWS_SCHEMA``), the day before's consumed records included, in series and time
    order. ``day_only``: only the rows of the day (the day before's gave them their previous
    state). Rows are integer positions (series, record, status, time) until the last step,
    which takes each column's text from its source in one Arrow take."""
    day = inputs.day
    series = _Series(inputs)
    today = exclude_monitoring(inputs.records, inputs.exclusions)
    previous = _last_of_previous_day(inputs, series)
    parts = [p for p in (previous, today) if p is not None and not p.empty]
    wanted = [
        "timestamp",
        "service",
        "hostname",
        "metric",
        "status",
        "actual_data",
        "summary",
        "message",
    ]
    union = _union(parts, wanted)
    # each record once per expected series of its (service, hostname, metric): one per group
    record_key = series.key(union) if len(union) else np.zeros(0, dtype=np.int64)
    lo, counts = series.rows_of(record_key)
    record, within = fan_out(counts)
    expected_row = lo[record] + within
    taken = series.valid[expected_row]
    record, expected_row = record[taken], expected_row[taken]
    epoch = (
        utc_nanos(union["timestamp"]) // 1_000_000_000
        if len(union)
        else np.zeros(0, dtype=np.int64)
    )
    # a series with no record on either day: the profile's missing state at midnight; a series
    # of a metric the profile gained on the day: its unknown state at midnight, records or not
    seen = np.zeros(len(series.frame), dtype=bool)
    seen[expected_row] = True
    new = series.of_new_metrics(inputs.new_metrics)
    missing = np.flatnonzero(~seen & ~new)
    unknown = np.flatnonzero(new)
    filled = np.concatenate([missing, unknown])
    start = int(pd.Timestamp(day, tz="UTC").timestamp())
    row = np.concatenate([expected_row, filled])
    at = np.concatenate([epoch[record], np.full(len(filled), start, dtype=np.int64)])
    # a filled row takes its texts from one extra, empty, record
    source = np.concatenate([record, np.full(len(filled), len(union), dtype=np.int64)])
    # statuses as codes into ``names`` (first appearance first, as pandas factorizes)
    union_codes, uniques = pd.factorize(union["status"]) if len(union) else ([], [])
    names: list[str | None] = [*(str(u) for u in uniques), None]
    union_codes = np.where(np.asarray(union_codes) < 0, len(names) - 1, union_codes)
    states = inputs.operations.states
    status = np.concatenate(
        [
            union_codes[record].astype(np.int64),
            np.full(len(missing), _code(names, states[inputs.operations.missing])),
            np.full(len(unknown), _code(names, states[inputs.operations.unknown])),
        ]
    )
    texts = {c: _texts(union[c]) for c in wanted[5:]}
    rule_of = _rules(inputs, series, row, source, status, names, texts["actual_data"])
    # exact repeats count once; then series by series, in time order
    order = _series_time_status_order(row, at, _first_appearance(status))
    row, at, status, source = row[order], at[order], status[order], source[order]
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = ~((row[1:] == row[:-1]) & (at[1:] == at[:-1]) & (status[1:] == status[:-1]))
    row, at, status, source = row[keep], at[keep], status[keep], source[keep]
    rule = rule_of.index[order[keep]]
    # each row's previous: the row before it in its series; MISSING at midnight for the first
    stamp_texts, stamp = _stamps(at, day)
    first = np.ones(len(row), dtype=bool)
    first[1:] = row[1:] != row[:-1]
    previous_status = np.concatenate([[0], status[:-1]]) if len(status) else status
    previous_status = np.where(first, _code(names, "MISSING"), previous_status)
    previous_stamp = np.concatenate([[0], stamp[:-1]]) if len(stamp) else stamp
    previous_stamp = np.where(first, 0, previous_stamp)  # stamp 0: the day's midnight
    if day_only:  # selected before any text is taken: the day before's rows are never copied
        kept = np.flatnonzero((at >= start) & (at < start + 86_400))
        row, status, stamp, source, rule = (a[kept] for a in (row, status, stamp, source, rule))
        previous_status, previous_stamp = previous_status[kept], previous_stamp[kept]
    name_array = pa.array(names, pa.string())
    columns = {
        **{c: coded(row, series.arrow[c]) for c in _SERIES},
        "status": coded(status, name_array),
        "timestamp": coded(stamp, stamp_texts),
        **{c: _gathered(texts[c], source) for c in PROBE_OUTPUTS},
        "original_status": coded(rule, rule_of.original),
        "threshold_rule_applied": coded(rule, rule_of.applied),
        "has_threshold_rule": pa.array(rule > 0),
        "previous_state": coded(previous_status, name_array),
        "previous_timestamp": coded(previous_stamp, stamp_texts),
    }
    return pa.table({c: columns[c] for c in COLUMNS}, schema=ROWS_SCHEMA)


def _series_time_status_order(row: np.ndarray, at: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``np.lexsort((rank, at, row))``, a stable order: by one packed integer key, the position
    last, sorted by value, where they fit in 63 bits (a day and its day before do)."""
    if len(row) == 0:
        return np.zeros(0, dtype=np.int64)
    position = np.arange(len(row), dtype=np.int64)
    packed = sort_packed([row, at - at.min(), rank, position])
    return np.lexsort((rank, at, row)) if packed is None else packed[-1]


def _code(names: list[str | None], name: str | None) -> int:
    """``name``'s code, added to ``names`` if it is not one yet."""
    if name not in names:
        names.append(name)
    return names.index(name)


def _first_appearance(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered by first appearance in ``codes`` (what ``pd.factorize`` of the names
    would give): the order rows of one series and second take by status."""
    if len(codes) == 0:
        return codes
    present = np.flatnonzero(np.bincount(codes))
    if len(present) <= 16:  # a few status names: one pass over the codes each
        first = np.array([np.argmax(codes == c) for c in present.tolist()], dtype=np.int64)
    else:
        first = np.unique(codes, return_index=True)[1]
    rank = np.zeros(int(present.max()) + 1, dtype=np.int64)
    rank[present[np.argsort(first)]] = np.arange(len(present))
    return rank[codes]


_EPOCH = date(1970, 1, 1)


def _stamps(epoch: np.ndarray, day: date) -> tuple[pa.Array, np.ndarray]:
    """``YYYY-MM-DDTHH:MM:SSZ`` texts of epoch seconds and each row's position in them: the day's
    86,400 seconds first (position = second of the day), then the few other instants (the day
    before's last records)."""
    start = int(pd.Timestamp(day, tz="UTC").timestamp())
    offset = epoch - start
    on_day = (offset >= 0) & (offset < 86_400)
    texts = day_stamps(day)
    position = offset.copy()
    others = ~on_day
    if others.any():  # each other instant's text from its own day's stamps
        distinct, inverse = np.unique(epoch[others], return_inverse=True)
        days = distinct // 86_400  # in order: each day's instants are one run of ``distinct``
        of_day = [
            pc.take(day_stamps(_EPOCH + timedelta(days=int(d))), distinct[days == d] % 86_400)
            for d in np.unique(days)
        ]
        texts = pa.concat_arrays([texts, *of_day])
        position[others] = 86_400 + inverse
    return texts, position


def _with_exclusions(inputs: ArInputs, rows: pd.DataFrame, entries, midnight: str) -> pd.DataFrame:
    """The original's walk, series by series, for the series an exclusion matches (the rest as
    computed)."""
    day_prefix = inputs.day.isoformat()
    today = pd.Timestamp(inputs.day, tz="UTC")
    tomorrow = today + timedelta(days=1)
    excluded_state = EXCLUDED if EXCLUDED in inputs.operations.states else "EXCLUDED"
    out: list[dict] = []
    for key, series in rows.groupby(_SERIES, sort=False, dropna=False):
        group, service, host, metric = key
        entry = matching_entry(entries, [group], service, host, metric)
        records = series.to_dict("records")
        if entry is None:
            out += [r for r in records if r["timestamp"].startswith(day_prefix)]
            continue
        prev_state, prev_time = "MISSING", midnight
        got_prev = False
        for record in records:
            if not got_prev and not record["timestamp"].startswith(day_prefix):
                prev_state, prev_time, got_prev = record["status"], record["timestamp"], True
                continue
            record["previous_state"], record["previous_timestamp"] = prev_state, prev_time
            if not record["timestamp"].startswith(day_prefix):
                continue
            stamp = pd.Timestamp(record["timestamp"])
            original = record["status"]
            if entry.start <= stamp <= entry.end:
                out.append({**record, "status": excluded_state})
                last = {**record, "status": excluded_state}
                if today <= entry.end <= tomorrow:
                    last = {
                        **record,
                        "status": original,
                        "timestamp": (entry.end + timedelta(seconds=1)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                        "previous_state": excluded_state,
                        "previous_timestamp": midnight,
                    }
                    out.append(last)
                if today <= entry.start <= tomorrow:
                    last = {
                        **last,
                        "status": original,
                        "previous_state": prev_state,
                        "previous_timestamp": prev_time,
                        "timestamp": (entry.start + timedelta(seconds=1)).strftime(
                            "%Y-%m-%dT%H:%M:%SZ"
                        ),
                    }
                    out.append(last)
                prev_state, prev_time = last["status"], last["timestamp"]
            else:
                prev_state, prev_time = record["status"], record["timestamp"]
    return pd.DataFrame(out, columns=COLUMNS) if out else pd.DataFrame(columns=COLUMNS)
