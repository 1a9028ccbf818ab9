"""Task types by the name used in tasks files. A new type is one module plus one line here."""

from platform_assets.taskflows.task_types.base import TaskType
from platform_assets.taskflows.task_types.bash import BashTask
from platform_assets.taskflows.task_types.spark import SparkTask
from platform_assets.taskflows.task_types.sql import OracleTask, SqlTask

TASK_TYPES: dict[str, TaskType] = {
    t.name: t for t in (BashTask(), SqlTask(), OracleTask(), SparkTask())
}
