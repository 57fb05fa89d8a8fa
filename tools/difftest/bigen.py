"""Case generator for difftest.py --source bi: calls to every offline builtin
group cocoon has (strings, regex, encoding, time, net, glob, units, semver,
graph, json, objects, crypto, jwt, jsonschema, template, ...) with valid,
edge-case and wrongly typed arguments, plus language snippets (with on
functions and builtins, conflicts, else, default functions, partial rules,
comprehensions, every, unicode escapes, big numbers, -0).

Each case is `out := <expr>`, sometimes with one argument passed through
`input` (`with input as {...}`).  Builtin errors are non-strict on both
sides, so a wrong argument reads as undefined.  Deterministic for a seed.
The keys and certificates come from fixtures.json (made once with openssl;
nothing here generates keys, so the emitted cases never change).
"""
import json
import os

FIX = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json"), encoding="utf-8"))


def q(s):
    """A Rego string literal."""
    return json.dumps(s, ensure_ascii=False)


def rj(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


STR = ['""', '"a"', '"abc"', '"Hello, World"', '"日本語"', '"é"', '"ß"', '"İ"', '"a\\u0000b"', '"\\ud83d\\ude00"',
       '"a.b.c"', '"  x  "', '"12"', '"x-y_z"', '"%"', '"a\\tb\\nc"', '"\\u00e9t\\u00e9"']
BAD = ["1", "null", "true", "[1]", '{"a": 1}', "set()", "1.5", "-0"]
# the same wrong values with a type the checker cannot see (runtime errors)
BAD_RT = ['json.unmarshal("%s")' % x.replace('"', '\\"') for x in BAD if x != "set()"] + ["{x | x := [1, 2][_]}"]
NS = ["0", "1", "-1", "1500000000000000000", "1677777777123456789", "-62135596800000000000", "253402300799999999999",
      "9223372036854775807", "1.5e18", "1e30", '"1"']
RFC3339 = ['"2017-06-02T19:00:00.000Z"', '"2021-01-01T00:00:00+05:30"', '"1985-04-12T23:20:50.52Z"', '"bad"',
           '"2024-02-30T00:00:00Z"', '"0001-01-01T00:00:00Z"', '"9999-12-31T23:59:59.999999999Z"',
           '"2020-02-29T12:00:00-08:00"', '"2021-13-01T00:00:00Z"', '"2006-01-02T15:04:05Z07:00"',
           '"1970-01-01T00:00:00Z"', '"2021-01-01t00:00:00z"', '"2021-01-01T00:00:60Z"']
DUR = ['"1h"', '"1.5h"', '"-3m"', '"1h2m3s4ms5us6ns"', '"300ms"', '"bad"', '"0"', '"1d"', '"2562047h"', '"2562048h"',
       '"1µs"', '"1us"', '".5s"', '"+5s"', '""', '"1e3s"']
LAYOUTS = [('"2006-01-02"', ['"2021-03-04"', '"2021-3-4"', '"x"']),
           ('"Mon Jan _2 15:04:05 2006"', ['"Thu Mar  4 05:06:07 2021"', '"Thu Mar 4 05:06:07 2021"']),
           ('"02 Jan 06 15:04 MST"', ['"04 Mar 21 05:06 UTC"', '"04 Mar 21 05:06 PST"']),
           ('"2006-01-02T15:04:05.000Z07:00"', ['"2021-03-04T05:06:07.123+01:00"', '"2021-03-04T05:06:07.123Z"']),
           ('"Jan 2, 2006 at 3:04pm (MST)"', ['"Feb 3, 2013 at 7:54pm (PST)"', '"Feb 3, 2013 at 7:54pm (UTC)"']),
           ('"20060102150405"', ['"20210304050607"', '"2021030405060"']),
           ('"RFC3339"', ['"2021-03-04T05:06:07Z"']), ('"2006-01-02 15:04:05.999999999"', ['"2021-03-04 05:06:07.5"'])]
CIDR4 = ['"10.0.0.0/8"', '"10.1.2.0/24"', '"192.168.1.1/32"', '"0.0.0.0/0"', '"10.0.0.1"', '"172.16.0.0/12"',
         '"10.0.0.0/33"', '"bad"', '"10.0.0.256/24"', '"192.168.0.0/31"', '"1.2.3.4/30"']
CIDR6 = ['"2001:db8::/32"', '"2001:db8::1"', '"::1/128"', '"::/0"', '"fe80::/10"', '"2001:db8::/130"',
         '"::ffff:10.0.0.1"', '"2001:db8:0:0:1::/126"']
GLOBS = ['"*.github.com"', '"api.*.com"', '"**.com"', '"a?c"', '"[a-c]x"', '"{a,b}.txt"', '"\\\\*"', '"[!a]b"',
         '"*"', '"**"', '"a/**/b"', '"*/b"', '"[a-"', '"{a,b"', '"日*"', '"[^a]b"']
GLOBSTR = ['"api.github.com"', '"x.y.github.com"', '"abc"', '"ax"', '"a.txt"', '"c.txt"', '"*"', '"bb"', '"a/x/y/b"',
           '"a/b"', '"日本"', '""', '"x.com"', '"ab"']
DELIMS = ["[]", '["."]', '["/"]', '["/", "."]', "null", '[""]', '["ab"]']
UNITS = ['"10K"', '"10Ki"', '"1.5M"', '"1m"', '"100"', '"5G"', '" 1G"', '"1e3"', '"bad"', '"0.5Ki"', '"-5M"',
         '"12345678901234567890"', '"1.5"', '"10k"', '"10mi"', '"1E"', '"1EB"', '""', '"0"', '"1.000000001G"']
UNITB = ['"10KB"', '"1.5MiB"', '"100"', '"5gb"', '"1e3"', '"bad"', '"0"', '"12345678901234567890"', '"10 KB"',
         '"1.5"', '"10kib"', '"1.1B"', '"1EiB"', '"-1KB"', '""', '"4E2G"', '"10Kb"']
SEMVER = ['"1.0.0"', '"1.0.0-alpha"', '"1.0.0-alpha.1"', '"1.0.0+build.5"', '"2.10.3"', '"1.0"', '"v1.0.0"',
          '"1.0.0-0.3.7"', '"01.0.0"', '"1.0.0-alpha.beta"', '"1.0.0-rc.1+b"', '"10.2.33"', '"1.0.0-x.7.z.92"',
          '"1.0.0-01"', '"18446744073709551616.0.0"', '""']
REGEX = ['"a+"', '"[0-9]+"', '"(a)(b)?"', '"^$"', '"(?i)HELLO"', '"\\\\s+"', '"[a-z]+"', '"日"', '"x*"', '"("',
         '"(?P<n>a)"', '"\\\\bx"', '"."', '"a|b"', '"[[:alpha:]]+"', '"\\\\pL+"', '"(?s).+"', '"a{2,}"', '"\\\\d"']
RSTR = ['"aaa bb 123 a1"', '"Hello hello"', '""', '"日本日"', '"x\\ny"', '"abcabc"', '"a b  c"', '"xxyxz"', '"42, 7"']
B64 = ['"aGVsbG8="', '"aGVsbG8"', '"aGVs\\nbG8="', '"!!"', '""', '"YQ=="', '"YQ"', '"5pel"', '"_-8="', '"/+8="',
       '"aGVsbG8=="', '"Zm9vYmFy"']
HEX = ['"48656c6c6f"', '"4"', '"zz"', '""', '"E697A5"', '"00ff"']
URLQ = ['"a b&c=d"', '"%41%zz"', '"a%20b+c"', '"日本"', '""', '"x=1&y=2&x=3"', '"%"', '"a=b=c"', '";"']
JSONS = ['"{\\"a\\": 1}"', '"[1, 2"', '"1e400"', '"\\"x\\""', '"{\\"a\\": 1, \\"a\\": 2}"', '"nul"', '""',
         '"[1.0, -0, 1e2]"', '"{\\"\\\\u00e9\\": 12345678901234567890}"', '"  true "']
YAMLS = ['"a: 1\\nb: [x, y]"', '"- 1\\n- 2.50"', '"a: {b: c}"', '"foo: bar: baz"', '""', '"x: yes"', '"1e3"',
         '"a: 1\\na: 2"', '"- !!str 1"', '"? [a]\\n: 1"', '"a: &x 1\\nb: *x"', '"~"']
DOCS = ['{"a": {"b": 1, "c": [1, 2, {"d": 3}]}, "e": "x"}', '{"a": [0, 1, 2], "b/c": {"~d": 1}}',
        '{"x": null, "y": {"z": {"w": true}}}', '{}', 'json.unmarshal("[1, {\\"a\\": 2}]")']
JPATHS = ['["a"]', '["a/b"]', '["a/c/2/d"]', '["e", "a/b"]', '{"a/b", "x"}', '[["a", "c"]]', '["a/c/0"]', '[]',
          '["b~1c/~0d"]', '["y/z"]', 'json.unmarshal("[1]")', 'json.unmarshal("\\"a\\"")']
PATCHES = ['[{"op": "add", "path": "/f", "value": 1}]', '[{"op": "remove", "path": "/a"}]',
           '[{"op": "replace", "path": "/a/b", "value": [1]}]', '[{"op": "add", "path": "/a/c/-", "value": 9}]',
           '[{"op": "move", "from": "/a", "path": "/z"}]', '[{"op": "copy", "from": "/e", "path": "/a/e"}]',
           '[{"op": "test", "path": "/e", "value": "x"}]', '[{"op": "test", "path": "/e", "value": "y"}]',
           '[{"op": "add", "path": ["a", "q"], "value": 2}]', '[{"op": "bad", "path": "/a"}]',
           '[{"op": "remove", "path": "/nope"}]', '[]', '[{"op": "add", "path": "", "value": 5}]',
           '[{"op": "add", "path": "/a/c/1", "value": "i"}]', '[{"op": "add", "path": "/x/y", "value": 1}]']
GRAPHS = ['{"a": ["b"], "b": ["c"], "c": ["a"], "d": []}', '{"a": {"b", "c"}, "b": set(), "c": {"d"}}',
          '{"1": ["2"], "2": ["3", "4"], "4": ["1"], "5": ["6"]}', '{}', '{"a": ["missing"]}',
          'json.unmarshal("{\\"a\\": \\"b\\"}")']
GINIT = ['["a"]', '{"b"}', '["1", "5"]', '[]', '["zz"]', 'json.unmarshal("\\"a\\"")', '["a", "d"]']
SCHEMAS = ['{"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 2}}}',
           '{"type": "array", "items": {"type": "string", "maxLength": 2}, "minItems": 1}',
           '{"type": "string", "pattern": "^a", "enum": ["ab", "ac"]}', '{"anyOf": [{"type": "null"}, {"type": "number"}]}',
           '{"type": "object", "additionalProperties": false, "properties": {"x": {}}}', 'true', '{"type": "bogus"}',
           '"{\\"type\\": \\"number\\"}"', '"{bad"', '{"oneOf": [{"minimum": 1}, {"maximum": 5}]}',
           '{"if": {"type": "string"}, "then": {"minLength": 3}, "else": {"type": "number"}}']
SDOCS = ['{"a": 3}', '{"a": 1}', '{"a": 2.5}', '{}', '["ab", "c"]', '[]', '["abc"]', '"ab"', '"b"', 'null', '3', '7',
         '{"x": 1, "y": 2}', '"abcd"', '"{\\"a\\": 3}"']
TEMPLATES = ['"{{.a}}-{{.b}}"', '"{{if .a}}yes{{else}}no{{end}}"', '"{{range $i, $v := .l}}{{$i}}={{$v}},{{end}}"',
             '"{{.missing}}"', '"{{ .a }}"', '"{{with .o}}{{.k}}{{end}}"', '"{{.a"', '"plain"', '"{{/* c */}}x"',
             '"{{- .a -}} y"', '"{{.o}}"', '"{{.l}}"']
TVARS = ['{"a": 1, "b": "x", "l": [1, "two", 3.5], "o": {"k": true}}', '{"a": false, "l": [], "o": {}}',
         '{"a": null}', '{}', '{"a": [1, {"b": 2}], "l": {"x": 1}, "o": {"k": [1, 2]}}',
         '{"a": 12345678901234567890, "b": 1.5e300, "l": ["a"], "o": {"k": -0}}']
HMACK = ['"key"', '""', '"日本"', '"a very long key that is longer than the block size of sha256 and md5, it is, '
                               'yes indeed, and longer still"']
SECRETS = ["secret", "", "another"]


def oct_jwk(s):
    import base64
    return {"kty": "oct", "k": base64.urlsafe_b64encode(s.encode()).rstrip(b"=").decode()}


PAYLOADS = ['{"iss": "xxx", "sub": "me", "aud": "svc", "exp": 2000000000, "nbf": 1000000000, "n": 1.5}',
            '{"iss": "other", "aud": ["svc", "b"], "exp": 1000}', '{}', '{"nbf": 3000000000, "k": [1, {"x": null}]}',
            '{"exp": 1e10, "big": 12345678901234567890, "u": "日本"}', '"plain"', '{"aud": "x"}']
HEADERS = ['{"alg": "HS256", "typ": "JWT"}', '{"alg": "HS384"}', '{"alg": "HS512", "kid": "k1"}',
           '{"alg": "none"}', '{"typ": "JWT"}', '{"alg": "HS256", "crit": ["x"]}', '{"alg": "HS256", "cty": "JWT"}',
           '{"alg": "RS256"}', '{"alg": "ES256"}', '{"alg": "PS256"}']


class BiGen:
    def __init__(self, rng):
        self.r = rng

    def ch(self, xs):
        return self.r.choice(xs)

    def maybe_bad(self, xs, p=0.08):
        # mostly runtime errors: a compile-time type error fails the whole program in OPA
        if self.r.random() < p:
            return self.ch(BAD_RT)
        return self.ch(xs)

    def call(self, f, *args):
        return "%s(%s)" % (f, ", ".join(args))

    # each returns a Rego expression; groups are weighted in GROUPS below
    def g_strings(self):
        ch, mb = self.ch, self.maybe_bad
        k = self.r.randint(0, 17)
        s = mb(STR)
        if k == 0:
            return self.call("indexof_n", s, ch(['"a"', '""', '"日"', '"b"']))
        if k == 1:
            return self.call("strings.count", s, ch(['"a"', '""', '"日"']))
        if k == 2:
            return self.call("substring", s, ch(["0", "1", "2", "-1", "100", "1.5"]), ch(["0", "1", "2", "-1", "100"]))
        if k == 3:
            return self.call(ch(["upper", "lower", "strings.reverse", "trim_space"]), s)
        if k == 4:
            return self.call(ch(["trim", "trim_left", "trim_right", "trim_prefix", "trim_suffix"]), s,
                             ch(['"a"', '" "', '"日"', '""', '"ab"', '"\\u0000"']))
        if k == 5:
            return self.call("split", s, ch(['""', '"."', '"b"', '"日"']))
        if k == 6:
            return self.call("strings.replace_n", ch(['{"a": "A", "b": ""}', '{"": "x"}', '{"日": "n"}', "{}",
                                                      'json.unmarshal("{\\"a\\": 1}")']), s)
        if k == 7:
            return self.call("replace", s, ch(['"a"', '""', '"日"']), ch(['"X"', '""', '"日本"']))
        if k == 8:
            return self.call("sprintf", ch(['"%s|%v"', '"%d %d"', '"%.3f %v"', '"%x %X"', '"%q %v"', '"%-5s|%5s"',
                                            '"%08.3f %e"', '"%v"', '"%T %T"', '"%c %U"', '"%t %v"', '"%!"', '"%[2]v %[1]v"',
                                            '"%#v %+d"', '"%g %G"']),
                             "[%s, %s]" % (self.ch(STR + ["1", "-0", "1.5", "12345678901234567890", "1e21", "true", "null",
                                                          "[1, \"a\"]", '{"a": 1}', '{1, 2}']),
                                           self.ch(["1", "2.5", "-7", "255", "0.1", "1e-7", "100000000000000000000", '"s"'])))
        if k == 9:
            return self.call("format_int", ch(["255", "-255", "1.9", "-1.9", "12345678901234567890", "0", '"1"']),
                             ch(["2", "8", "10", "16", "3"]))
        if k == 10:
            return self.call("concat", ch(['","', '""', '"日"']), ch(['["a", "b"]', '{"b", "a"}', "[]", 'json.unmarshal("[\\"x\\", 1]")', '["日", "本"]']))
        if k == 11:
            return self.call(ch(["startswith", "endswith", "contains"]), s, ch(['"a"', '""', '"日"', '"c"']))
        if k == 12:
            return self.call(ch(["strings.any_prefix_match", "strings.any_suffix_match"]),
                             ch([s, '["ab", "cd"]', '{"x", "日本"}']), ch(['"a"', '["c", "日"]', '{"d"}', '[]']))
        if k == 13:
            return self.call("to_number", ch(['"12"', '"-0"', '"1e3"', '"0x10"', '"1_000"', '" 1"', '"1.50"', '"inf"',
                                             '"NaN"', '"12345678901234567890"', '"1e400"', "true", "null", "1.5"]))
        if k == 14:
            return self.call("count", s)
        if k == 15:
            return "%s %s %s" % (s, ch(["<", ">", "==", "<="]), self.ch(STR))
        if k == 16:
            return self.call("strings.render_template", self.ch(TEMPLATES), self.ch(TVARS))
        return self.call("indexof", s, ch(['"b"', '"日"', '""', '"本語"']))

    def g_regex(self):
        ch = self.ch
        k = self.r.randint(0, 8)
        p, s = ch(REGEX), ch(RSTR)
        if k == 0:
            return self.call("regex.match", p, s)
        if k == 1:
            return self.call("regex.find_n", p, s, ch(["-1", "0", "1", "2"]))
        if k == 2:
            return self.call("regex.find_all_string_submatch_n", p, s, ch(["-1", "1", "3"]))
        if k == 3:
            return self.call("regex.split", p, s)
        if k == 4:
            return self.call("regex.replace", s, p, ch(['"<$0>"', '"X"', '""', '"${1}y"', '"$n"']))
        if k == 5:
            return self.call("regex.is_valid", ch(REGEX + ["1", '"\\\\"', '"(?<n>a)"', '"a**"']))
        if k == 6:
            return self.call("regex.globs_match", ch(['"a.*"', '"[a-c]+"', '"a+b"', '"x"', '"(a|b)c"', '"日.*"', '"("']),
                             ch(['"a.b"', '"b+"', '"[0-9]"', '"c"', '"日本"', '"bc"']))
        if k == 7:
            return self.call("regex.template_match", ch(['"urn:foo:{.*}"', '"urn:foo.bar.com:{.*}"', '"{[0-9]+}-{x}"',
                                                         '"<.*>"', '"{a"']),
                             ch(['"urn:foo:bar:baz"', '"urn:foo.bar.com:x"', '"12-x"', '"a-x"', '"urn:foo"']),
                             ch(['"{"', '"<"']), ch(['"}"', '">"']))
        return self.call("regex.find_n", p, s, "-1")

    def g_encoding(self):
        ch = self.ch
        k = self.r.randint(0, 14)
        if k == 0:
            return self.call(ch(["base64.decode", "base64.is_valid", "base64url.decode"]), ch(B64))
        if k == 1:
            return self.call(ch(["base64.encode", "base64url.encode", "base64url.encode_no_pad", "hex.encode"]),
                             self.maybe_bad(STR))
        if k == 2:
            return self.call("hex.decode", ch(HEX))
        if k == 3:
            return self.call(ch(["urlquery.encode", "urlquery.decode"]), ch(URLQ))
        if k == 4:
            return self.call("urlquery.encode_object", ch(['{"a": "b c", "d": ["1", "2"]}', '{"x": {"y", "z"}}',
                                                           '{"日": "本"}', "{}",
                                                           'json.unmarshal("{\\"a\\": [\\"x\\", 1]}")']))
        if k == 5:
            return self.call("urlquery.decode_object", ch(URLQ + ['"a=1&a=2&b"', '"a=%zz"']))
        if k == 6:
            return self.call("json.is_valid", ch(JSONS))
        if k == 7:
            return self.call("json.unmarshal", ch(JSONS))
        if k == 8:
            return self.call("yaml.unmarshal", ch(YAMLS))
        if k == 9:
            return self.call("yaml.is_valid", ch(YAMLS))
        if k == 10:
            return self.call("yaml.marshal", ch(['{"a": [1, "x", null, true]}', '"日本"', "12345678901234567890",
                                                 '{"b": {"c": 1.5}, "a": "yes"}', "[]", '{1, 2}', '"a: b"', "1e21",
                                                 '"\\n"', '{"k": "1.0"}']))
        if k == 11:
            return self.call("json.marshal", ch(['{"b": 1, "a": [1.0, -0, 1e2, "<&>"]}', '{"x", "a", 1}',
                                                 '"\\u2028日"', "12345678901234567890", "1e400", "0.1",
                                                 '{"k": {2: 1, 1: 2}}']))
        if k == 12:
            return "json.unmarshal(%s) == json.unmarshal(%s)" % (ch(JSONS), ch(JSONS))
        if k == 13:
            return self.call("base64.decode", self.call("base64.encode", ch(STR)))
        return self.call("hex.decode", self.call("hex.encode", ch(STR)))

    def g_time(self):
        ch = self.ch
        k = self.r.randint(0, 10)
        ns = ch(NS)
        tz = ch(['"UTC"', '""'])
        t = ch([ns, ns, "[%s, %s]" % (ns, tz)])
        if k == 0:
            return self.call("time.parse_rfc3339_ns", ch(RFC3339))
        if k == 1:
            lay, vals = ch(LAYOUTS)
            return self.call("time.parse_ns", lay, ch(vals))
        if k == 2:
            return self.call("time.parse_duration_ns", ch(DUR))
        if k == 3:
            return self.call(ch(["time.date", "time.clock", "time.weekday"]), t)
        if k == 4:
            return self.call("time.add_date", ns, ch(["0", "1", "-1", "100"]), ch(["0", "13", "-1"]),
                             ch(["0", "31", "-365", "1.5"]))
        if k == 5:
            return self.call("time.diff", t, ch([ch(NS), "[%s, \"UTC\"]" % ch(NS)]))
        if k == 6:
            return self.call("time.format", ch([ns, "[%s, %s]" % (ns, tz), "[%s, \"UTC\", \"2006-01-02\"]" % ns]))
        if k == 7:
            return self.call("time.date", self.call("time.parse_rfc3339_ns", ch(RFC3339)))
        if k == 8:
            return self.call("time.clock", self.call("time.add_date", self.call("time.parse_rfc3339_ns", ch(RFC3339)),
                                                     "0", "0", ch(["1", "29", "-1"])))
        if k == 9:
            return self.call("time.weekday", self.call("time.parse_rfc3339_ns", ch(RFC3339)))
        return "%s + %s" % (self.call("time.parse_duration_ns", ch(DUR)), self.call("time.parse_rfc3339_ns", ch(RFC3339)))

    def g_net(self):
        ch = self.ch
        k = self.r.randint(0, 6)
        c = lambda: ch(CIDR4 + CIDR6)
        if k == 0:
            return self.call("net.cidr_contains", c(), c())
        if k == 1:
            return self.call("net.cidr_intersects", c(), c())
        if k == 2:
            return self.call("net.cidr_is_valid", ch(CIDR4 + CIDR6 + ["1"]))
        if k == 3:
            return self.call("net.cidr_merge", "[%s]" % ", ".join(c() for _ in range(self.r.randint(0, 4))))
        if k == 4:
            return self.call("net.cidr_expand", ch(['"10.0.0.0/30"', '"192.168.1.1/32"', '"10.0.0.1/31"',
                                                    '"2001:db8::/126"', '"bad"', '"10.0.0.254/29"']))
        if k == 5:
            return self.call("net.cidr_contains_matches", ch(['["10.0.0.0/8", "192.168.0.0/16"]', '{"a": "10.0.0.0/24"}',
                                                              '"10.0.0.0/8"', '[["10.0.0.0/8", "x"]]']),
                             ch(['["10.1.2.3", "192.168.5.5/24", "8.8.8.8"]', '"10.0.0.5"', '{"k": "10.0.0.9"}',
                                 '[["10.0.0.1", 1]]']))
        return self.call("net.cidr_merge", "{%s}" % ", ".join(c() for _ in range(self.r.randint(1, 4))))

    def g_glob(self):
        if self.r.random() < 0.15:
            return self.call("glob.quote_meta", self.ch(GLOBS + GLOBSTR))
        return self.call("glob.match", self.ch(GLOBS), self.ch(DELIMS), self.ch(GLOBSTR))

    def g_units(self):
        if self.r.random() < 0.5:
            return self.call("units.parse", self.maybe_bad(UNITS))
        return self.call("units.parse_bytes", self.maybe_bad(UNITB))

    def g_semver(self):
        if self.r.random() < 0.4:
            return self.call("semver.is_valid", self.maybe_bad(SEMVER))
        return self.call("semver.compare", self.maybe_bad(SEMVER, 0.03), self.maybe_bad(SEMVER, 0.03))

    def g_graph(self):
        f = self.ch(["graph.reachable", "graph.reachable", "graph.reachable_paths"])
        return self.call(f, self.ch(GRAPHS), self.ch(GINIT))

    def g_json(self):
        ch = self.ch
        k = self.r.randint(0, 5)
        if k <= 1:
            return self.call("json.filter", ch(DOCS), ch(JPATHS))
        if k <= 3:
            return self.call("json.remove", ch(DOCS), ch(JPATHS))
        return self.call("json.patch", ch(DOCS), ch(PATCHES))

    def g_objects(self):
        ch = self.ch
        k = self.r.randint(0, 8)
        o = ch(DOCS + ['{"a": 1, "b": {"c": 2}}', '{1: "x", "1": "y"}', '{[1]: 2}'])
        if k == 0:
            return self.call("object.get", o, ch(['["a", "b"]', '["a", "c", 2, "d"]', '"e"', "[]", '["x", "y", "z"]',
                                                 '["a", "c", "1"]', "1"]), ch(['"dflt"', "null"]))
        if k == 1:
            return self.call("object.keys", o)
        if k == 2:
            return self.call("object.subset", o, ch(['{"a": {"b": 1}}', '{"e": "x"}', "{}", '[1]', '{"a": {}}']))
        if k == 3:
            return self.call("object.union", o, ch(DOCS))
        if k == 4:
            return self.call("object.union_n", "[%s, %s]" % (o, ch(DOCS)))
        if k == 5:
            return self.call("object.filter", o, ch(['["a"]', '{"e", 1}', '{"a": 0}', "[]"]))
        if k == 6:
            return self.call("object.remove", o, ch(['["a"]', '{"e", 1}', '{"a": 0}', "[]", '"a"']))
        if k == 7:
            return self.call("json.marshal", o)
        return "[k | some k, _ in %s]" % o

    def g_crypto(self):
        ch = self.ch
        k = self.r.randint(0, 11)
        if k <= 1:
            return self.call(ch(["crypto.md5", "crypto.sha1", "crypto.sha256"]), self.maybe_bad(STR))
        if k <= 3:
            return self.call(ch(["crypto.hmac.md5", "crypto.hmac.sha1", "crypto.hmac.sha256", "crypto.hmac.sha512"]),
                             self.maybe_bad(STR, 0.03), ch(HMACK))
        if k == 4:
            a = ch(['"abc"', '"ABC"', '""', '"日本"'])
            return self.call("crypto.hmac.equal", a, ch([a, '"abd"', '""']))
        if k == 5:
            pem = ch([FIX["ca_pem"], FIX["leaf_pem"], FIX["leaf_pem"] + FIX["ca_pem"], "junk"])
            enc = ch([q(pem), self.call("base64.encode", q(pem))])
            return self.call("crypto.x509.parse_certificates", enc)
        if k == 6:
            chain = ch([FIX["leaf_pem"] + FIX["ca_pem"], FIX["ca_pem"] + FIX["leaf_pem"], FIX["ca_pem"],
                        FIX["leaf_pem"], "x"])
            return self.call("crypto.x509.parse_and_verify_certificates", q(chain))
        if k == 7:
            return self.call("crypto.x509.parse_certificate_request",
                             ch([q(FIX["csr_pem"]), self.call("base64.encode", q(FIX["csr_pem"])), '"x"',
                                 q(FIX["leaf_pem"])]))
        if k == 8:
            cert = ch([FIX["leaf_pem"], FIX["ca_pem"]])
            key = ch([FIX["ec_key_pem"], FIX["ec_key_pkcs8"], FIX["rsa_key_pem"], FIX["rsa_key_pkcs8"]])
            return self.call("crypto.x509.parse_keypair", q(cert), q(key))
        if k == 9:
            return self.call("crypto.x509.parse_rsa_private_key",
                             ch([q(FIX["rsa_key_pem"]), q(FIX["rsa_key_pkcs8"]), q(FIX["rsa_small_pem"]),
                                 q(FIX["ec_key_pem"]), '"x"']))
        if k == 10:
            return self.call("crypto.parse_private_keys", ch([q(FIX[x]) for x in ("rsa_key_pem", "rsa_key_pkcs8",
                                                                                     "ec_key_pem", "ec_key_pkcs8",
                                                                                     "ed_key_pem")] + ['""', '"x"']))
        return "[c.Subject.CommonName | c := crypto.x509.parse_certificates(%s)[_]]" % q(FIX["leaf_pem"] + FIX["ca_pem"])

    def jwt_hs(self):
        sec = self.ch(SECRETS)
        return self.call("io.jwt.encode_sign", self.ch(HEADERS[:7]), self.ch(PAYLOADS), rj(oct_jwk(sec))), sec

    def g_jwt(self):
        ch = self.ch
        k = self.r.randint(0, 11)
        tok, sec = self.jwt_hs()
        if k == 0:
            return tok
        if k == 1:
            return self.call("io.jwt.decode", tok)
        if k == 2:
            return self.call(ch(["io.jwt.verify_hs256", "io.jwt.verify_hs384", "io.jwt.verify_hs512"]), tok,
                             q(ch([sec] + SECRETS)))
        if k == 3:
            cons = {"secret": ch([sec] + SECRETS)}
            if self.r.random() < 0.5:
                cons["time"] = int(ch(["1500000000000000000", "2500000000000000000", "999999999000000000"]))
            if self.r.random() < 0.3:
                cons["iss"] = ch(["xxx", "other"])
            if self.r.random() < 0.3:
                cons["aud"] = ch(["svc", "b", "zzz"])
            if self.r.random() < 0.1:
                cons["alg"] = ch(["HS256", "RS256"])
            return self.call("io.jwt.decode_verify", tok, rj(cons))
        if k == 4:
            # RS256 signatures are deterministic: the tokens must match
            return self.call("io.jwt.encode_sign", '{"alg": "%s"}' % ch(["RS256", "RS384", "RS512"]), ch(PAYLOADS),
                             rj(FIX["rsa_jwk"]))
        if k == 5:
            alg = ch(["ES256", "PS256", "RS256", "PS384", "ES384"])
            key = FIX["ec_jwk"] if alg.startswith("ES") else FIX["rsa_jwk"]
            pub = {"ES": ch([FIX["ec_pub_pem"], FIX["leaf_pem"], rj(FIX["ec_pub_jwk"])]),
                   "PS": ch([FIX["rsa_pub_pem"], FIX["ca_pem"], rj(FIX["rsa_pub_jwk"])]),
                   "RS": ch([FIX["rsa_pub_pem"], FIX["ca_pem"], rj({"keys": [FIX["rsa_pub_jwk"]]})])}[alg[:2]]
            vf = "io.jwt.verify_%s" % ch([alg.lower(), alg.lower(), "rs256", "es256"])
            return self.call(vf, self.call("io.jwt.encode_sign", '{"alg": "%s"}' % alg, ch(PAYLOADS), rj(key)), q(pub))
        if k == 6:
            return self.call("io.jwt.encode_sign_raw", q(ch(['{"alg":"HS256"}', '{"alg": "HS512", "typ": "JWT"}',
                                                               '{"alg":"none"}', "{bad", '{"typ":"JWT"}'])),
                             q(ch(['{"a":1}', '{"sub": "日本"}', "raw text", "{}"])), q(rj(oct_jwk(ch(SECRETS)))))
        if k == 7:
            return self.call("io.jwt.decode", ch(['"a.b.c"', '"eyJhbGciOiJIUzI1NiJ9.e30.x"', '""', '"a.b"',
                                                  '"eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ"',
                                                  '"eyJhbGciOiJub25lIn0.eyJhIjoxfQ."', '"e30.e30.e30"']))
        if k == 8:
            cons = {"cert": ch([FIX["rsa_pub_pem"], FIX["ca_pem"]])}
            if self.r.random() < 0.5:
                cons["time"] = int(ch(["1500000000000000000", "2500000000000000000"]))
            t = self.call("io.jwt.encode_sign", '{"alg": "RS256"}', ch(PAYLOADS), rj(FIX["rsa_jwk"]))
            return self.call("io.jwt.decode_verify", t, rj(cons))
        if k == 9:
            t = self.call("io.jwt.encode_sign", '{"alg": "EdDSA"}', ch(PAYLOADS), rj(FIX["ed_jwk"]))
            return ch([t, self.call("io.jwt.verify_eddsa", t, q(FIX["ed_pub_pem"]))])
        if k == 10:
            return self.call("io.jwt.encode_sign", ch(HEADERS), ch(PAYLOADS), ch([rj(oct_jwk("s")), '{"kty": "oct"}',
                                                                                   '{"k": "c2VjcmV0"}', '"str"',
                                                                                   rj(FIX["ec_pub_jwk"])]))
        return self.call("io.jwt.decode", self.call("io.jwt.encode_sign_raw", '"{\\"alg\\":\\"HS256\\"}"',
                                                    q(ch(['{"a":1}', "x", '{"exp": 1e400}'])), q(rj(oct_jwk("k")))))

    def g_jsonschema(self):
        f = self.ch(["json.verify_schema", "json.match_schema", "json.match_schema"])
        if f == "json.verify_schema":
            return self.call(f, self.ch(SCHEMAS))
        return self.call(f, self.ch(SDOCS), self.ch(SCHEMAS))

    def g_template(self):
        return self.call("strings.render_template", self.ch(TEMPLATES), self.ch(TVARS))

    def g_numbers(self):
        ch = self.ch
        n = lambda: ch(["0", "-0", "1", "-1", "2.5", "-2.5", "1e21", "12345678901234567890", "9007199254740993",
                        "0.1", "1e-7", "-9223372036854775808", "18446744073709551615", "1.0", "3"])
        k = self.r.randint(0, 9)
        if k <= 2:
            return "%s %s %s" % (n(), ch(["+", "-", "*", "/", "%", "<", "==", ">="]), n())
        if k == 3:
            return self.call(ch(["abs", "round", "ceil", "floor"]), n())
        if k == 4:
            return self.call("numbers.range", ch(["0", "-2", "3", "1.5", "-0"]), ch(["0", "2", "-1", "4"]))
        if k == 5:
            return self.call(ch(["sum", "product", "max", "min"]), "[%s, %s, %s]" % (n(), n(), n()))
        if k == 6:
            return self.call(ch(["bits.and", "bits.or", "bits.xor", "bits.lsh", "bits.rsh"]), n(), ch(["0", "1", "63", "64", "65"]))
        if k == 7:
            return "[%s, %s, %s]" % (n(), n(), n())
        if k == 8:
            return self.call("sort", "[%s, %s, %s, %s]" % (n(), n(), n(), ch(['"a"', "null", "[]", "false"])))
        return "{%s, %s, %s}" % (n(), n(), n())

    # language snippets: (rules, query body) with the rule prefix P
    def lang(self, P):
        ch = self.ch
        k = self.r.randint(0, 15)
        v = lambda: ch(["1", '"a"', "[1, 2]", '{"k": 1}', "null", "-0", "1.0", "12345678901234567890", '"日本"',
                        "true", "set()"])
        if k == 0:
            # a complete-rule conflict (or not)
            a, b = v(), ch([v(), v(), "1"])
            return "%sp := %s { input.x == 1 }\n\n%sp := %s { input.y == 1 }" % (P, a, P, b), \
                "out := %sp with input as %s" % (P, ch(['{"x": 1}', '{"x": 1, "y": 1}', '{}', '{"y": 1}']))
        if k == 1:
            # with replacing a function or builtin by a value or a function
            rules = "%sf(x) := concat(\"-\", [x, x])\n\n%smock(x) := upper(x)\n\n%sp := %sf(\"a\")\n\n%sq := count(\"abc\")" % (
                P, P, P, P, P)
            w = ch(["with %sf as \"v\"" % P, "with %sf as %smock" % (P, P), "with count as 3", "with count as %smock" % P,
                    ""])
            return rules, "out := [%sp, %sq] %s" % (P, P, w)
        if k == 2:
            # else chains with a default
            return ("default %sp := \"d\"\n\n%sp := \"a\" { input.x > 1 } else := \"b\" { input.x > 0 } else := %s"
                    % (P, P, v())), "out := %sp with input as {\"x\": %s}" % (P, ch(["2", "1", "0", "\"s\"", "null", "1.5"]))
        if k == 3:
            # default functions (v1 semantics differ: D9)
            return ("default %sf(_) := 0\n\n%sf(x) := x * 2 { x > 1 }" % (P, P)), \
                "out := %sf(%s)" % (P, ch(["1", "2", "\"a\"", "2.5"]))
        if k == 4:
            # partial objects with conflicts
            return ("%sp[k] := v { some k, v in input }\n\n%sp[\"fixed\"] := 1 { true }" % (P, P)), \
                "out := %sp with input as %s" % (P, ch(['{"a": 1}', '{"fixed": 1}', '{"fixed": 2}', '{}', '[5]']))
        if k == 5:
            # every over objects, sets, empty domains
            e = ch(["every k, v in {\"a\": 1, \"b\": 2} { v > %s; k != \"\" }" % ch(["0", "1"]), "every x in set() { x }",
                    "every x in {1, 2} { x >= 1 }", "every x in json.unmarshal(\"\\\"abc\\\"\") { x }",
                    "every i, x in [1, 2] { i < x }"])
            return "", "%s\nout := true" % e
        if k == 6:
            # comprehensions over unicode and nested data
            return "", "out := %s" % ch(['{c: i | some i, c in split("日本語", "")}', '[x | some x in ["é", "e\\u0301"]; count(x) > 1]',
                                         '{x | some x in [1, 1.0, -0, 0]}', '[k | some k, _ in {"b": 1, "a": 2, "日": 3}]',
                                         '{k: count(v) | some k, v in {"a": [1], "b": "xy"}}',
                                         'sort([x | x := ["b", "B", "a", "á", "ä", "Z"][_]])',
                                         '[[i, x] | some i, x in "ab"]', '{x | x := {1, "1", [1], {"1": 1}}[_]}'])
        if k == 7:
            # negation of rules with undefined operands
            return ("%sp { startswith(input.s, \"a\") }\n\n%sq { not %sp }" % (P, P, P)), \
                "out := %sq with input as %s" % (P, ch(['{"s": "ab"}', '{"s": "b"}', '{}', '{"s": 1}']))
        if k == 8:
            # refs into arrays/objects with variables and out of range
            return "", "out := %s" % ch(['[1, 2, 3][1]', '{"a": [1, {"b": 2}]}.a[1].b', '[x | x := [1, 2][_]]',
                                         '{1: "a"}[1.0]', 'json.unmarshal("[1]")[1.0]', 'json.unmarshal("{\\"1\\": 2}")[1]'])
        if k == 9:
            # string escapes and comparison of unicode
            return "", "out := %s" % ch(['"\\u00e9" == "é"', '"\\ud83d\\ude00"', 'count("\\ud83d\\ude00")',
                                         '"a" < "B"', '"é" > "z"', '`raw\\n`', 'json.marshal("\\u007f\\u0080")',
                                         '"\\/"', 'upper("ǆ")', 'lower("ΑΣ")'])
        if k == 10:
            # numbers edge cases
            return "", "out := %s" % ch(['-0', '0.0', '-0.0 == 0', '1e400', '1E2', '100e-2', '0.1 + 0.2',
                                         '12345678901234567890 - 12345678901234567889', '1 / 3', '2 / 0', '10 % 3',
                                         '-7 % 3', '7.5 % 2', '[1.0] == [1]', '{1.0: "a"}', '{1, 1.0}', 'count({1, 1.0})',
                                         '1e1 == 10', '9223372036854775807 + 1', '-9223372036854775808 - 1',
                                         '0.000001', '1e-7', '123456789012345678901234567890 / 10'])
        if k == 11:
            # functions with several bodies, conflicts and unification in the head
            return ("%sf([a, b]) := a + b\n\n%sf({\"x\": x}) := x\n\n%sf(x) := x { is_number(x) }" % (P, P, P)), \
                "out := %sf(%s)" % (P, ch(["[1, 2]", '{"x": 3}', "4", '"s"', "[1]", '{"x": 1, "y": 2}']))
        if k == 12:
            # some/in with keys, and membership
            return "", "out := (%s)" % ch(['[x | some x in {"a": 1, "b": 2}]', '[k | some k, 1 in {"a": 1, "b": 2}]',
                                         '1 in {1.0}', '"a" in "abc"', '["a", 1] in [["a", 1.0]]',
                                         '[i | some i, "x" in ["x", "y", "x"]]', '0, "a" in ["a"]',
                                         '"k", 1 in {"k": 1}'])
        if k == 13:
            # partial sets with else-less rules and `with` on data
            return ("%ss contains x if { some x in data.d.l }\n\n%st := count(%ss)" % (P, P, P)), \
                "out := [%ss, %st] with data.d.l as %s" % (P, P, ch(['[1, 2, 2]', '["a", "日本"]', "[]", '[1, 1.0]',
                                                                     '{"a": 1}', '"str"']))
        if k == 14:
            # with on input and nested with, with on a rule (v0)
            return ("%sp := input.a\n\n%sq := %sp" % (P, P, P)), \
                "out := %s" % ch(["%sq with input as {\"a\": 1}" % P, "%sq with input.a as 2 with input as {\"a\": 1}" % P,
                                  "%sq with %sp as 5" % (P, P), "[%sq | true] with input.a.b as 3" % P])
        # print-free errors: division by zero, object.get with too few args in non-strict
        return "", "out := %s" % ch(["1 / 0", "to_number(\"x\")", "sum(json.unmarshal(\"[\\\"a\\\"]\"))", "max([])",
                                     "min(set())", "product([])", "sort([1, \"a\", null, [], {}])",
                                     "count(\"\\u00e9\")", "abs(-12345678901234567890)"])


GROUPS = [("strings", 14), ("regex", 8), ("encoding", 9), ("time", 8), ("net", 6), ("glob", 5), ("units", 4),
          ("semver", 4), ("graph", 3), ("json", 6), ("objects", 6), ("crypto", 7), ("jwt", 8), ("jsonschema", 2),
          ("template", 1), ("numbers", 6), ("lang", 12)]

# builtins OPA v0.47 lacks ("undefined function"): the generator knows how to
# call them, but leaves them out while the oracle is v0.47 (docs/difftest.md D10)
V047_UNDEFINED = ("strings.render_template", "json.verify_schema", "json.match_schema", "crypto.parse_private_keys",
                  "crypto.hmac.equal", "time.format", "io.jwt.verify_eddsa", "crypto.x509.parse_keypair",
                  "strings.count")


def supported(expr):
    return not any(f + "(" in expr for f in V047_UNDEFINED)


def input_wrap(rng, expr):
    """Moves one string or number literal argument into input (one in three)."""
    import re
    if rng.random() > 0.3 or len(expr) > 3000:
        return expr, ""
    # string and number arguments, never object keys
    lits = list(re.finditer(r'(?:(?<=[(,\[] )|(?<=\())(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)(?=[,)\]])', expr))
    if not lits:
        return expr, ""
    m = rng.choice(lits)
    return expr[:m.start()] + "input.v" + expr[m.end():], " with input as {\"v\": %s}" % m.group(0)


def make_builtins(seed, count, Program):
    import random
    rng = random.Random(seed)
    g = BiGen(rng)
    names = [n for n, w in GROUPS for _ in range(w) if n not in ("jsonschema", "template")]
    progs = []
    seen = set()
    n = pi = 0
    while n < count:
        pid = "b%d_%d" % (seed, pi)
        P = pid + "_"
        rules, bodies = [], []
        for _ in range(rng.randint(4, 10)):
            grp = rng.choice(names)
            if grp == "lang":
                r, b = g.lang("%sl%d_" % (P, len(bodies)))
                if r:
                    rules.append(r)
                bodies.append((b, "lang"))
                continue
            expr = getattr(g, "g_" + grp)()
            for _ in range(20):
                # a call OPA v0.47 has, and one not generated before in this run
                if supported(expr) and expr not in seen:
                    break
                expr = getattr(g, "g_" + grp)()
            if not supported(expr):
                continue
            seen.add(expr)
            if rng.random() < 0.1:
                # through a user function and a rule
                fn = "%sw%d" % (P, len(bodies))
                rules.append("%s(x) := y { y := x }\n\n%sr := %s(%s)" % (fn, fn, fn, expr))
                bodies.append(("out := %sr" % fn, grp))
                continue
            e, w = input_wrap(rng, expr)
            bodies.append(("out := %s%s" % (e, w), grp))
        p = Program(pid, "\n\n".join(rules), "bi", seed)
        for b, grp in bodies:
            p.add(b, grp)
        n += len(p.cases)
        progs.append(p)
        pi += 1
    return progs
