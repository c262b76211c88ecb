"""The catalog's pages: datasets and fields, sources and harvests, the glossary and statute
library, inventory import and export, and the describe-and-classify workflow (Play 6)."""
