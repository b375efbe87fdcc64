"""Path identifiers within the databases' integer range, so a huge id is a 422, not a crash."""

from typing import Annotated

from fastapi import Path
from pydantic import Field

RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="Numeric id.")]

DeviceRef = Annotated[int, Field(ge=1, le=2_147_483_647)]
