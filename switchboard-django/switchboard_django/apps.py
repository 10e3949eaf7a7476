"""Django application of switchboard-django: installs the df_websockets hooks when ready."""

from django.apps import AppConfig, apps


class SwitchboardConfig(AppConfig):
    """Registers the system checks, and the df_websockets hooks when df_websockets is used."""

    name = "switchboard_django"
    verbose_name = "Switchboard"

    def ready(self) -> None:
        """Install the hooks of :mod:`switchboard_django.integration` (df_websockets sites)."""
        from switchboard_django import checks  # noqa: F401  (registers the checks)

        if apps.is_installed("df_websockets"):
            from switchboard_django.integration import install

            install()
