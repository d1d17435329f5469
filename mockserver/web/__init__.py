"""Everything that knows HTTP, ASGI or connexion: middleware, handlers, errors, validators."""
