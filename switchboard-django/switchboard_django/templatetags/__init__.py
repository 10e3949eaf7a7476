"""Template tag libraries of switchboard-django (``{% load switchboard %}``)."""
