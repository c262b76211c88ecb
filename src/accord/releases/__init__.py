"""De-identified releases as records the department keeps: who released which table under
which SPEC, the outcome, and the files, stored so they can be downloaded again."""
