"""Server-rendered HTML pages, one module (or package) per capability.

Handlers only translate between forms and services; a refused form is shown again through
``accord.web.forms.submit``.
"""
