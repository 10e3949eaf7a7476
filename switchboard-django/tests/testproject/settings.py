"""Settings of the test site.

A df_websockets 1.2.6 site as its documentation describes it, plus switchboard_django (the
URL and key of Switchboard are set by the tests' fixtures).
"""

SECRET_KEY = "switchboard-django-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "French")]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "df_websockets",
    "switchboard_django",
    "testapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "df_websockets.middleware.WebsocketMiddleware",
]

ROOT_URLCONF = "testproject.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The live server (the backend Switchboard calls in test_backend_calls) serves static files
# under it; without one Django's handler fails on every request.
STATIC_URL = "/static/"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]

# df_websockets: handlers run in threads of this process, no Celery, no channel layer.
WEBSOCKET_WORKERS = "thread"

# switchboard_django: a closed port until a test points it at a real server.
SWITCHBOARD_URL = "http://127.0.0.1:9"
SWITCHBOARD_API_KEY = "test-api-key-0123456789"
SWITCHBOARD_BACKEND_KEY = "test-backend-key-0123456789"
SWITCHBOARD_TIMEOUT = 1.0
SWITCHBOARD_CHECK_REACHABLE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"switchboard_django": {"handlers": ["console"], "level": "WARNING"}},
}
