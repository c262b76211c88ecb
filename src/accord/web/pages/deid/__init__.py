"""De-identification pages: the De-identify form (assess or release an uploaded table) and
the history of stored releases."""
