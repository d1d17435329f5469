"""The HTTP engine: the ASGI app, the gate every request crosses, the compiled public API
(route, parameters, body, handler, answer checked), problems, encodings, SSE frames."""
