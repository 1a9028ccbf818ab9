"""``python -m platform_assets.demo``: the platform's main job on the embedded default (see
``run``)."""

from platform_assets.demo.run import exit_without_teardown, main

exit_without_teardown(main())
