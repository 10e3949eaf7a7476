"""Settings of the df-less test site: no df_websockets, no Channels, no Celery.

Switchboard's URL and key are set by the tests' fixtures.
"""

SECRET_KEY = "switchboard-django-nodf-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "French")]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "switchboard_django",
    "nodfapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "switchboard_django.middleware.WebsocketMiddleware",
]

ROOT_URLCONF = "nodfproject.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

WEBSOCKET_POOL_SIZES = {None: 2}

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
