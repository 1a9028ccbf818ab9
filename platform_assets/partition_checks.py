"""Asset checks judged per partition, in single-partition and range runs alike.

A check declared with its asset's partitions (``AssetCheckSpec(partitions_def=...)``) keeps one
status per partition, so a failing day, or a run that failed, never paints the partitions that
passed. A single-partition run reports through Dagster's ``AssetCheckResult``, which links each
result to the materialization it judged. A range run (a single-run backfill) has no partition of
its own to attach a result to, so it reports one ``AssetCheckEvaluation`` per partition, linked to
that partition's latest materialization as Dagster links a single run's (without the link Dagster
does not count the result as the partition's current status), and then emits each check's output
once, as an ``AssetCheckResult`` would have.
"""

from collections.abc import Iterable, Iterator

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

CheckEvent = dg.AssetCheckResult | dg.AssetCheckEvaluation | dg.Output


def check_key(result: dg.AssetCheckResult) -> dg.AssetCheckKey:
    if result.asset_key is None or result.check_name is None:
        raise ValueError("a per-partition check result must name its asset and its check")
    return dg.AssetCheckKey(dg.AssetKey.from_coercible(result.asset_key), result.check_name)


def per_partition(
    context: dg.AssetExecutionContext, results: Iterable[tuple[str, dg.AssetCheckResult]]
) -> Iterator[CheckEvent]:
    """Each ``(partition key, result)`` reported against its own partition. Results of checks the
    run did not select (a subset run) are left out."""
    selected = context.selected_asset_check_keys
    by_key: dict[dg.AssetCheckKey, list[tuple[str, dg.AssetCheckResult]]] = {}
    for partition_key, result in results:
        key = check_key(result)
        if key in selected:
            by_key.setdefault(key, []).append((partition_key, result))
    single = context.partition_key if context.has_partition_key else None
    # one lookup per (asset, partition), however many of the asset's checks judge it
    targets: dict[tuple[dg.AssetKey, str], AssetCheckEvaluationTargetMaterializationData | None]
    targets = {}
    for key, judged in by_key.items():
        if [partition_key for partition_key, _ in judged] == [single]:
            yield judged[0][1]
            continue
        blocking = context.assets_def.get_spec_for_check_key(key).blocking
        for partition_key, result in judged:
            yield dg.AssetCheckEvaluation(
                target_materialization_data=_target(
                    targets, context.instance, key.asset_key, partition_key
                ),
                asset_key=key.asset_key,
                check_name=key.name,
                passed=result.passed,
                metadata=result.metadata,
                severity=result.severity,
                description=result.description,
                blocking=blocking,
                partition=partition_key,
            )
        yield dg.Output(
            None, output_name=context.assets_def.get_output_name_for_asset_check_key(key)
        )


def _target(
    seen: dict[tuple[dg.AssetKey, str], AssetCheckEvaluationTargetMaterializationData | None],
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    partition_key: str,
) -> AssetCheckEvaluationTargetMaterializationData | None:
    if (asset_key, partition_key) not in seen:
        seen[(asset_key, partition_key)] = _latest_materialization(
            instance, asset_key, partition_key
        )
    return seen[(asset_key, partition_key)]


def _latest_materialization(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_key: str
) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The partition's latest materialization (the one this run just made, when it made one)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition_key]), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=records[0].storage_id, run_id=records[0].run_id, timestamp=records[0].timestamp
    )
