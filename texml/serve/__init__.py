"""`texml serve`: the production TeXML endpoint.

Modules, one stage each: `config` (flags, environment, TOML), `signature` (Ed25519 webhook
verification), `client` (Call Control commands with retries), `store` (the `Store` protocol;
`store_sqlite`, `store_redis`), `engine` (the live driver of `CallSession`s), `app` (the
FastAPI routes), `serve` (`main`, the command).
"""
