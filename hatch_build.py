"""Build hook: the schemas and migrations live at the repository root and ship inside the wheel.

Editable installs skip this and read them from the source tree (see ``migrate.migrations_dir``
and ``refstack_lite_client.schemas.schema_dir``), so nothing shadows the source package.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        build_data["force_include"][str(root / "schemas")] = "refstack_lite/schemas"
        build_data["force_include"][str(root / "migrations")] = "refstack_lite/migrations"
