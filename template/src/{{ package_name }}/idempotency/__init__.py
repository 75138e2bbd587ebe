"""Decision 2: idempotency keys on every mutation, safe under concurrent retries.

`mechanism.IdempotencyMiddleware` checks and claims the key of every POST, PUT, PATCH and DELETE
under `/api/`; `routing.IdempotentRoute` documents it and completes it inside the route's write
transaction; `purge.purge_expired` deletes records past their expiry.
"""
