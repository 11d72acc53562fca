#!/usr/bin/python3
"""Validates JSON documents against a JSON schema with Debian's python3-jsonschema.

usage: validate_jsonschema.py SCHEMA DOC...   (exit 0 valid, 1 invalid, 2 usage or missing module)

NIST's OSCAL schemas use Unicode property classes (\\p{L}, \\p{N}) in patterns, which Python's
re module does not know: they are rewritten to the equivalent re classes ([^\\W\\d_] is a
Unicode letter, \\d a Unicode decimal digit) before matching. Formats are checked too
(date-time, uri-reference) where the module has a checker."""
import json
import re
import sys

try:
    import jsonschema
    from jsonschema import validators
except ImportError:
    print("kc-skip: python3-jsonschema not installed")
    sys.exit(2)


def translate(pattern):
    return pattern.replace("\\p{L}", "[^\\W\\d_]").replace("\\p{N}", "\\d")


def pattern_keyword(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not re.search(translate(pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    base = validators.validator_for(schema)
    Validator = validators.extend(base, {"pattern": pattern_keyword})
    v = Validator(schema, format_checker=jsonschema.FormatChecker())
    bad = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            print(f"{path}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}")
        bad += bool(errors)
        if not errors:
            print(f"{path}: valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
