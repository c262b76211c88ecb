"""Mapping the type names of sources to Frictionless Table Schema types.

Names as PostgreSQL, MySQL/MariaDB, SQLite, DuckDB, Parquet/Arrow and OpenAPI print them;
an unknown name falls back to SQLite's type-affinity rules, then to ``any``.
"""

from __future__ import annotations

import re

_OPENAPI = re.compile(r"^(string|integer|number|boolean|array|object)\(([a-z][a-z0-9_.-]*)\)$")
_OPENAPI_STRING_FORMATS: dict[str, tuple[str, str]] = {
    "date": ("date", ""),
    "date-time": ("datetime", ""),
    "time": ("time", ""),
    "duration": ("duration", ""),
    "email": ("string", "email"),
    "idn-email": ("string", "email"),
    "uri": ("string", "uri"),
    "url": ("string", "uri"),
    "iri": ("string", "uri"),
    "uuid": ("string", "uuid"),
    "byte": ("string", "binary"),
    "binary": ("string", "binary"),
}
_DECIMALS = {"numeric", "decimal", "dec", "number", "fixed", "decimal128", "decimal256"}
_MODIFIERS = {"unsigned", "signed", "zerofill"}


def _names(kind: tuple[str, str], names: str) -> dict[str, tuple[str, str]]:
    return dict.fromkeys(names.split(","), kind)


# Names as PostgreSQL (format_type), MySQL/MariaDB (COLUMN_TYPE), SQLite, DuckDB, Parquet and
# Arrow print them, lower-cased, with sizes and other bracketed arguments removed.
_SQL_TYPES: dict[str, tuple[str, str]] = {
    **_names(
        ("integer", ""),
        "int,integer,int1,int2,int4,int8,int16,int32,int64,int128,"
        "int_8,int_16,int_32,int_64,uint8,uint16,uint32,uint64,uint_8,uint_16,uint_32,"
        "uint_64,tinyint,smallint,mediumint,bigint,hugeint,uhugeint,utinyint,usmallint,"
        "uinteger,ubigint,varint,bignum,serial,serial2,serial4,serial8,smallserial,"
        "bigserial,oid",
    ),
    **_names(
        ("number", ""),
        "real,float,float4,float8,float16,float32,float64,halffloat,double,"
        "double precision,money,smallmoney,binary_float,binary_double",
    ),
    **_names(("boolean", ""), "boolean,bool,logical"),
    **_names(
        ("string", ""),
        "char,character,nchar,national character,bpchar,varchar,"
        "character varying,char varying,national character varying,nvarchar,varchar2,"
        "nvarchar2,text,tinytext,mediumtext,longtext,ntext,clob,nclob,citext,string,"
        "large_string,utf8,large_utf8,name,enum,set,xml,inet,cidr,macaddr,macaddr8,"
        "tsvector,tsquery,bit varying,varbit,hierarchyid",
    ),
    **_names(
        ("string", "binary"),
        "bytea,blob,tinyblob,mediumblob,longblob,binary,varbinary,"
        "binary varying,bytes,byte_array,fixed_len_byte_array,large_binary,"
        "fixed_size_binary,image,raw,long raw,rowversion",
    ),
    **_names(("string", "uuid"), "uuid,uniqueidentifier"),
    **_names(("date", ""), "date,date32,date64"),
    **_names(("datetime", ""), "datetime,datetime2,smalldatetime,datetimeoffset,int96"),
    **_names(("year", ""), "year"),
    **_names(("duration", ""), "interval,duration"),
    **_names(("object", ""), "struct,map,object,record,row,hstore"),
    # A JSON column may hold an array or a scalar as well as an object; "any" never rejects
    # good data (the source type is kept in "x-source-type").
    **_names(
        ("any", ""),
        "json,jsonb,bson,variant,sql_variant,union,null,point,multipoint,"
        "linestring,multilinestring,polygon,multipolygon,geometry,geometrycollection,"
        "geography,line,lseg,box,path,circle",
    ),
}


def table_schema_type(source_type: str) -> tuple[str, str]:
    """Map a type as the source names it to a Table Schema (type, format); "" is the default
    format. Unknown names fall back to SQLite's affinity rules, then to "any"."""
    text = " ".join(source_type.lower().replace('"', "").split())
    if not text:
        return "any", ""
    openapi = _OPENAPI.match(text)
    if openapi:
        base, fmt = openapi.groups()
        if base == "string":
            return _OPENAPI_STRING_FORMATS.get(fmt, ("string", ""))
        return base, ""
    if (
        re.search(r"\[\d*\]$", text)
        or text.endswith(" array")
        or text.startswith(("array", "list", "large_list", "fixed_size_list"))
    ):
        return "array", ""
    base, args = _strip_arguments(text)
    base = " ".join(w for w in base.split() if w not in _MODIFIERS)
    if base in _DECIMALS:
        # NUMERIC(p) and NUMERIC(p,0) hold whole numbers only.
        parts = [p.strip() for p in args.split(",")]
        whole = parts[0].isdigit() and (len(parts) == 1 or parts[1] == "0")
        return ("integer" if whole else "number"), ""
    if base == "bit":  # BIT(1) is a flag; longer bit strings are text like "0101"
        return ("boolean" if args.strip() in ("", "1") else "string"), ""
    # MySQL stores BOOLEAN as TINYINT(1), but that column can hold any small integer, so it
    # stays "integer": the mapping must never reject what the source accepts.
    if base in _SQL_TYPES:
        return _SQL_TYPES[base]
    if base.startswith(("timestamp", "datetime")):
        return "datetime", ""
    if base.startswith("time"):
        return "time", ""
    if base.startswith("interval"):
        return "duration", ""
    if base.endswith("range"):  # int4range, tstzrange, ...: "[1,10)" is text
        return "string", ""
    if "int" in base:
        return "integer", ""
    if any(word in base for word in ("char", "clob", "text")):
        return "string", ""
    if "blob" in base:
        return "string", "binary"
    if any(word in base for word in ("real", "floa", "doub")):
        return "number", ""
    return "any", ""


def _strip_arguments(text: str) -> tuple[str, str]:
    """Remove every bracketed group ("(10,2)", "<item: int64>", "[us, tz=UTC]") from a type
    name; return the rest and the contents of the first group."""
    closing = {"(": ")", "<": ">", "[": "]"}
    base: list[str] = []
    first: list[str] = []
    depth, groups, opener = 0, 0, ""
    for char in text:
        if depth == 0 and char in closing:
            depth, opener, groups = 1, char, groups + 1
        elif depth:
            if char == opener:
                depth += 1
            elif char == closing[opener]:
                depth -= 1
            if depth and groups == 1:
                first.append(char)
        else:
            base.append(char)
    return " ".join("".join(base).split()), "".join(first)
