"""The df-less test site's application: a model and ``@signal`` handlers."""
