"""The API handlers: one object per resource, its methods taking keyword arguments named by the
spec (path, query and header parameters snake_cased, `body`, `user`, `asked`)."""
