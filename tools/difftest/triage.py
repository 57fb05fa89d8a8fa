"""Known kinds of disagreement (docs/difftest.md "Disagreements found"):
classify() maps one --results record to a class name, or None when the
disagreement is of no known kind (a new bug to look at)."""
import base64
import json
import re


def _jwt_parts(ans):
    """Header and payload of the answer: a token, or io.jwt.decode's array."""
    try:
        v = json.loads(ans)
    except ValueError:
        return None
    if isinstance(v, list) and len(v) == 3:
        return v[:2]
    if isinstance(v, str) and v.count(".") == 2:
        try:
            return [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in v.split(".")[:2]]
        except ValueError:
            return None
    return None


def _drop(v, key):
    if isinstance(v, list):
        return [_drop(x, key) for x in v]
    if isinstance(v, dict):
        return {k: _drop(x, key) for k, x in v.items() if k != key}
    return v


def same_but_uristrings(d):
    """OPA 1.x adds URIStrings to each certificate; nothing else differs."""
    try:
        return json.loads(d["oracle"]) == _drop(json.loads(d["cocoon"]), "URIStrings")
    except ValueError:
        return False


def same_claims(d):
    """D16: the tokens differ only in how header and payload are spelled."""
    a, b = _jwt_parts(d["oracle"]), _jwt_parts(d["cocoon"])
    return a is not None and a == b

V1_NOTES = (r"^note: (?=.*\[)(every/non-iter domain|subset/arrays|jwtdecodeverify/missing-iss-while-required|"
            r"cryptox509parsecertificates/uri_strings|graphql_parse|graphql_is_valid|graphql_schema|"
            r"functions/only default|defaultkeyword/function|time/parse_nanos|withkeyword/builtin-builtin|"
            r"units|refheads|ir/call-dynamic)")

RULES = [
    ("D11 oracle crash or hang", ".*", None, r"^error: oracle (crashed|timeout)", None),
    ("D10 syntax newer than v0.47", "oracle-error", r"\$`|\$\"", r"rego_parse_error", None),
    ("D9 OPA 1.x semantics (v1 conformance case)", ".*", V1_NOTES, None, None),
    ("D5 object pattern safety", "oracle-error", r"^note: eqexpr/pattern", r"rego_unsafe_var_error", None),
    ("D24 duplicate keys in an object literal", "cocoon-error", r'(\{|, )("[^"]*"): [^,]+,( "[^"]*": [^,]+,)* \2:',
     None, r"object keys must be unique"),
    # (class, verdicts, regex on body + rules, regex on the oracle's answer, regex on cocoon's answer)
    ("D13 declared var unused (fixed)", "oracle-error", None, r"declared var \S+ unused", None),
    ("D4 type checking", "oracle-error", None, r"rego_type_error", None),
    ("D4 type checking", "oracle-error", None, r"rego_compile_error: (var \S+ is unsafe|.*with keyword)", None),
    ("D7 -0", "format", r"-0\b", None, None),
    ("D9 default functions", "cocoon-defined|value", r"default \w+\(", None, None),
    ("D9 units: negative and exponent forms", "cocoon-defined", r"units\.parse", None, None),
    ("D9 time.parse_ns named layouts", "cocoon-defined", r'time\.parse_ns\("RFC|time\.parse_ns\(input', None, None),
    ("D9 semver: v prefix", "cocoon-defined|value", r"semver\.", None, None),
    ("D9 jwt: EdDSA signing", "cocoon-defined", r"EdDSA", None, None),
    ("D9 crypto: parse_rsa_private_key of EC keys", "cocoon-defined", r"parse_rsa_private_key", None, None),
    ("D9 regexp (?<name>) groups (Go 1.22)", "value|cocoon-defined|cocoon-undefined", r"\(\?<\w", None, None),
    ("D9 crypto: URIStrings", "value", r"crypto\.x509", None, r'"URIStrings"', same_but_uristrings),
    ("D16 jwt header/payload text", "value", r"io\.jwt\.encode_sign\(", None, None, same_claims),
    ("D14 empty HMAC key (fixed)", "cocoon-defined|value", r'"k": ""|k\\": \\"\\"', None, None),
    ("D17 duplicate JSON keys", "cocoon-undefined|value", r"json\.unmarshal|json\.is_valid", None, None),
    ("D18 v0.47 number hashing in sets", "value|cocoon-defined|cocoon-undefined", r"1\.0\}|\{1\.0|1\.0 in|in \{1\}", None, None),
    ("D19 regex.template_match cache", "cocoon-undefined|value", r"regex\.template_match", None, None),
    ("D20 glob ** prefix/suffix overlap", "value", r"glob\.match", None, None),
    ("D21 yaml document end marker (fixed)", "value", r"yaml\.marshal", None, None),
    ("D15 sprintf of -0 (fixed)", "value", r"sprintf", r"int=0", r"big\.Int=-0"),
    ("D22 equal values of two complete definitions", "format", r"^(\w+) :?= 1\.0 \{.*\n(.*\n)*\1 :?= 1 \{|^(\w+) :?= 1 \{.*\n(.*\n)*\3 :?= 1\.0 \{", None, None),
    ("D6 big numbers", "format|value", None, r"(?<![\w.\"])-?\d+(\.\d+)?[eE][+-]?\d+(?![\w\"])", None),
    ("D6 big numbers", "format|value", r"\d{17,}|\de\d|\d\.\d+e", None, None),
    ("D8 to_number keeps the text", "cocoon-defined", r"to_number\(", None, None),
    ("D23 -0 from v0.47's float arithmetic in a function's argument", "cocoon-error", r"product\(|\* ",
     None, r"functions must not produce multiple outputs"),
    ("D25 v0.47 rule index: array pattern against an array holding an array", "cocoon-defined",
     r"^\s*\[\w+, \w+\] = input\.mixed", None, None),
    ("D1 not + undefined operands", "cocoon-defined|cocoon-error|value|cocoon-undefined", r"^\s*not\s", None, None),
]


def classify(d):
    text = d["body"] + "\n" + (d.get("rules") or "") + "\nnote: " + (d.get("note") or "")
    for name, verdicts, body_re, o_re, c_re, *check in RULES:
        if not re.fullmatch(verdicts, d["verdict"]):
            continue
        if body_re and not re.search(body_re, text, re.M):
            continue
        if o_re and not re.search(o_re, d["oracle"]):
            continue
        if c_re and not re.search(c_re, d["cocoon"]):
            continue
        if check and not check[0](d):
            continue
        return name
    return None
