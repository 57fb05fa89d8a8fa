#!/usr/bin/env python3
"""cocoon policy fmt against OPA's golden vectors (tests/rego/fmt).

For every NAME.rego with NAME.rego.formatted that is not listed in
tests/rego/fmt/skipped.txt: formatting the input gives the .formatted file
byte for byte, formatting the .formatted file is a fixed point, and the
output parses to the same AST as the input (rego.parse_module, locations
stripped). Then the CLI contract of opa fmt: `-l --fail` lists changed
files and exits 2, exits 0 on formatted files; `-w` rewrites only the files
that change. Fixed points on the upstream policies listed in
tests/rego/fmt/fixed_points.txt (opa-fmt-clean files).

Usage: test_fmt.py COCOON
       test_fmt.py COCOON --conformance [STEP]
The second form (not run by meson: minutes) formats every module of the
OPA conformance cases (tests/rego/opa/v1): each one formats to a fixed
point or is refused, and every STEP-th formatted one (default 3) parses to
the same AST as its source.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FMT_DIR = os.path.join(HERE, 'fmt')


def run(cocoon, args, stdin=None):
    p = subprocess.run([cocoon, 'policy', 'fmt'] + args, input=stdin,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def skipped():
    names = set()
    with open(os.path.join(FMT_DIR, 'skipped.txt'), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                names.add(line.split()[0])
    return names


def strip_locs(v):
    if isinstance(v, dict):
        return {k: strip_locs(x) for k, x in v.items() if k != 'location'}
    if isinstance(v, list):
        return [strip_locs(x) for x in v]
    return v


def normalize(ast):
    """What opa fmt changes on purpose: rule heads `=` become `:=` (the
    assign flag), with `import rego.v1` the future.keywords imports go,
    imports are sorted, scalar template parts become text."""
    def drop_assign(v):
        if isinstance(v, dict):
            return {k: drop_assign(x) for k, x in v.items() if k != 'assign'}
        if isinstance(v, list):
            return [drop_assign(x) for x in v]
        return v
    ast = drop_assign(ast)
    ast = merge_template_parts(ast)
    imps = ast.get('imports') or []
    paths = [[t.get('value') for t in i['path']['value']] for i in imps]
    if ['rego', 'v1'] in paths:
        ast['imports'] = [i for i, p in zip(imps, paths) if p[:2] != ['future', 'keywords']]
    # opa fmt sorts imports (within groups of adjacent lines)
    if ast.get('imports'):
        ast['imports'] = sorted(ast['imports'], key=lambda i: json.dumps(i, sort_keys=True))
    return ast


def merge_template_parts(v):
    """opa fmt writes a scalar interpolation ({42}, {"x"}) as text: a
    template string's scalar parts are merged into the text around them."""
    if isinstance(v, list):
        return [merge_template_parts(x) for x in v]
    if not isinstance(v, dict):
        return v
    v = {k: merge_template_parts(x) for k, x in v.items()}
    if v.get('type') == 'templatestring' and isinstance(v.get('value'), list):
        parts = []
        for p in v['value']:
            t = p.get('type') if isinstance(p, dict) else None
            if t in ('string', 'number', 'boolean', 'null'):
                text = p['value'] if t == 'string' else json.dumps(p['value'])
                if parts and parts[-1].get('type') == 'string':
                    parts[-1] = {'type': 'string', 'value': parts[-1]['value'] + text}
                else:
                    parts.append({'type': 'string', 'value': text})
            else:
                parts.append(p)
        v['value'] = parts
    return v


def parse_ast(cocoon, src):
    p = subprocess.run([cocoon, 'policy', 'eval', '-I', '-f', 'raw',
                        'rego.parse_module("m.rego", input.src)'],
                       input=json.dumps({'src': src}).encode(),
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        return None
    return normalize(strip_locs(json.loads(p.stdout)))


def main():
    cocoon = sys.argv[1]
    fails = []
    skip = skipped()
    pairs = sorted(n[:-len('.formatted')] for n in os.listdir(FMT_DIR)
                   if n.endswith('.rego.formatted'))
    tested = []
    for name in pairs:
        if name in skip:
            src = open(os.path.join(FMT_DIR, name), 'rb').read()
            want = open(os.path.join(FMT_DIR, name + '.formatted'), 'rb').read()
            rc, out, _ = run(cocoon, [], src)
            how = 'refused' if rc != 0 else ('matches' if out == want else 'differs')
            print(f'SKIP {name} ({how})')
            continue
        tested.append(name)
        src = open(os.path.join(FMT_DIR, name), 'rb').read()
        want = open(os.path.join(FMT_DIR, name + '.formatted'), 'rb').read()
        rc, out, err = run(cocoon, [], src)
        if rc != 0 or out != want:
            fails.append(f'{name}: output differs (rc {rc}) {err.decode(errors="replace")}')
            continue
        rc, out2, err = run(cocoon, [], want)
        if rc != 0 or out2 != want:
            fails.append(f'{name}: .formatted is not a fixed point')
            continue
        a, b = parse_ast(cocoon, src.decode()), parse_ast(cocoon, out.decode())
        if a is None or a != b:
            fails.append(f'{name}: formatted output parses to a different AST')
            continue
        print(f'ok   {name}')

    # -l --fail and -w on a scratch copy of the tested pairs.
    if tested:
        with tempfile.TemporaryDirectory() as tmp:
            changed = []
            for name in tested:
                shutil.copy(os.path.join(FMT_DIR, name + '.formatted'),
                            os.path.join(tmp, 'clean_' + name))
                src = open(os.path.join(FMT_DIR, name), 'rb').read()
                want = open(os.path.join(FMT_DIR, name + '.formatted'), 'rb').read()
                shutil.copy(os.path.join(FMT_DIR, name), os.path.join(tmp, 'dirty_' + name))
                if src != want:
                    changed.append('dirty_' + name)
            clean = [os.path.join(tmp, 'clean_' + n) for n in tested]
            rc, out, err = run(cocoon, ['-l', '--fail'] + clean)
            if rc != 0 or out != b'':
                fails.append(f'-l --fail on formatted files: rc {rc}, out {out!r}')
            if changed:
                first = os.path.join(tmp, changed[0])
                rc, out, err = run(cocoon, ['-l', '--fail', first])
                if rc != 2 or out != (first + '\n').encode():
                    fails.append(f'-l --fail on an unformatted file: rc {rc}, out {out!r}')
                rc, out, err = run(cocoon, ['-l', tmp])
                listed = sorted(os.path.basename(x) for x in out.decode().split())
                if rc != 0 or listed != sorted(changed):
                    fails.append(f'-l DIR: rc {rc}, listed {listed}, want {sorted(changed)}')
            before = {n: os.stat(os.path.join(tmp, n)).st_mtime_ns for n in os.listdir(tmp)}
            for n in os.listdir(tmp):
                os.utime(os.path.join(tmp, n), ns=(1, 1))
            rc, out, err = run(cocoon, ['-w', tmp])
            if rc != 0 or out != b'':
                fails.append(f'-w: rc {rc}, out {out!r}')
            for n in before:
                p = os.path.join(tmp, n)
                touched = os.stat(p).st_mtime_ns != 1
                if touched != (n in changed):
                    fails.append(f'-w: {n} rewritten={touched}, changes={n in changed}')
                base = n.split('_', 1)[1]
                if open(p, 'rb').read() != open(os.path.join(FMT_DIR, base + '.formatted'), 'rb').read():
                    fails.append(f'-w: {n} content is not the formatted text')

    # Fixed points on upstream policies already formatted with opa fmt.
    fp = os.path.join(FMT_DIR, 'fixed_points.txt')
    for line in open(fp, encoding='utf-8'):
        rel = line.split('#', 1)[0].strip()
        if not rel:
            continue
        path = os.path.join(HERE, rel)
        rc, out, err = run(cocoon, ['-l', '--fail', path])
        if rc != 0:
            fails.append(f'{rel}: not a fixed point (rc {rc}) {err.decode(errors="replace")}')
        else:
            print(f'ok   fixed point {rel}')

    for f in fails:
        print('FAIL', f)
    print(f'{len(tested)} golden pairs tested, {len(pairs) - len(tested)} skipped, {len(fails)} failures')
    return 1 if fails else 0


def conformance(cocoon, step):
    import collections
    import glob
    import yaml
    stats = collections.Counter()
    fails = []
    mods = []
    for f in sorted(glob.glob(os.path.join(HERE, 'opa', 'v1', '**', '*.yaml'), recursive=True)):
        for case in (yaml.safe_load(open(f, encoding='utf-8')) or {}).get('cases', []):
            mods += [(f, m) for m in case.get('modules') or []]
    for i, (f, m) in enumerate(mods):
        rc, out, err = run(cocoon, [], m.encode())
        if rc != 0:
            stats['refused' if b'not supported' in err else 'parse error'] += 1
            continue
        rc2, out2, _ = run(cocoon, [], out)
        if rc2 != 0 or out2 != out:
            fails.append(f'{f}: not a fixed point')
        elif i % step == 0 and parse_ast(cocoon, m) != parse_ast(cocoon, out.decode()):
            fails.append(f'{f}: the formatted module parses to a different AST')
        else:
            stats['fixed point'] += 1
    for f in fails:
        print('FAIL', f)
    print(', '.join(f'{v} {k}' for k, v in stats.most_common()), f'({len(fails)} failures)')
    return 1 if fails else 0


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[2] == '--conformance':
        sys.exit(conformance(sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 else 3))
    sys.exit(main())
