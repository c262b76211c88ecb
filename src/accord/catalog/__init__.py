"""The catalog: sources, datasets, field metadata, glossary, statutes, dictionaries, search."""
