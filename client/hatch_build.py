"""Build hook: the JSON Schemas live once, in the repository's schemas/, and ship inside the wheel.

Editable installs skip this and read ../schemas from the source tree (``schemas.schema_dir``).
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        schemas = Path(self.root).resolve().parent / "schemas"
        if not schemas.is_dir():
            raise FileNotFoundError(f"{schemas} is missing: build the client wheel from a repository checkout")
        build_data["force_include"][str(schemas)] = "refstack_lite_client/schemas"
