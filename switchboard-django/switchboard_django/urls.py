"""URLs of the backend views: ``path("switchboard/", include("switchboard_django.urls"))``.

Switchboard is then started with ``--backend-url http://HOST/switchboard/``.
"""

from django.urls import path

from switchboard_django import views

app_name = "switchboard_django"

urlpatterns = [
    path("signals", views.signals, name="signals"),
    path("call", views.call, name="call"),
]
