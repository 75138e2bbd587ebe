"""FastAPI dependencies for the three database paths.

The session dependencies end with the endpoint function, before the response is sent: a write
is committed (and its consistency token known) by the time the client sees the answer.

    @router.get("/things")
    async def list_things(session: EventualSession) -> ...: ...

    @router.post("/things")
    async def add_thing(session: WriteSession) -> ...: ...

Code that needs to act after the commit (enqueue a job, for example) takes `DataAccessDep`
and opens `async with data_access.write() as session:` itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .access import DataAccess


def get_data_access(request: Request) -> DataAccess:
    """The application's `DataAccess` (built once by `create_app`)."""
    data_access: DataAccess = request.app.state.data_access
    return data_access


DataAccessDep = Annotated[DataAccess, Depends(get_data_access)]


async def write_session(data_access: DataAccessDep) -> AsyncIterator[AsyncSession]:
    """A transaction on the primary, committed when the endpoint returns without error."""
    async with data_access.write() as session:
        yield session


async def consistent_session(data_access: DataAccessDep) -> AsyncIterator[AsyncSession]:
    """A session on the primary: reads see every committed write."""
    async with data_access.read_consistent() as session:
        yield session


async def eventual_session(data_access: DataAccessDep) -> AsyncIterator[AsyncSession]:
    """A session on the replica when it is fresh enough for this client, else the primary."""
    async with data_access.read_eventual() as session:
        yield session


WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
ConsistentSession = Annotated[AsyncSession, Depends(consistent_session, scope="function")]
EventualSession = Annotated[AsyncSession, Depends(eventual_session, scope="function")]
