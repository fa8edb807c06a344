"""Build hook: the JSON Schemas live once, in the repository's schemas/, and ship inside the wheel.

A wheel is built either from a repository checkout (../schemas) or from the sdist, which carries
its own copy (schemas/). Editable installs skip this and read ../schemas (``schemas.schema_dir``).
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root).resolve()
        for schemas in (root / "schemas", root.parent / "schemas"):
            if schemas.is_dir():
                build_data["force_include"][str(schemas)] = "refstack_lite_client/schemas"
                return
        raise FileNotFoundError(f"no schemas/ beside {root}: build from a repository checkout or the sdist")
