"""Create or upgrade the job-template config store (idempotent):

.venv/bin/python -m platform_assets.job_templates.migrate --dsn postgresql://user:pw@host/db
"""

import argparse

from platform_assets.job_templates.settings import JobTemplatesSettings
from resources.job_template_store import JobTemplateStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dsn",
        default=JobTemplatesSettings.from_env().store_dsn,
        help="PostgreSQL DSN (default: $JOB_TEMPLATE_PG_DSN)",
    )
    dsn = parser.parse_args().dsn
    if not dsn:
        parser.error("no DSN: pass --dsn or set JOB_TEMPLATE_PG_DSN")
    print(f"streamsets schema at version {JobTemplateStore(dsn=dsn).migrate()}")


if __name__ == "__main__":
    main()
