"""connexion, the reference engine: the control API and Swagger UI, served through it."""
