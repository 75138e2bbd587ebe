"""Decision 1: separate read and write paths.

Every query goes through `DataAccess`: `write()` and `read_consistent()` use the primary,
`read_eventual()` the replica. No other package creates an engine or a session.
"""

from .access import DataAccess
from .models import Base

__all__ = ["Base", "DataAccess"]
