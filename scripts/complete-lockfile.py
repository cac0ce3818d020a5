"""
Adds the lockfile entries npm 11 leaves out for other platforms' optional packages.

npm resolves an optional platform package (rollup's, msgpackr-extract's, ...) only for the
platform it runs on, and omits the others from package-lock.json when the registry does not
have that exact version (npm/cli#4828 and friends) -- yet `npm ci` insists every one is there
and refuses to install. This script adds each missing entry with the version the parent asks
for and the os/cpu it is for, so `npm ci` skips it on other platforms as it should.

Run after any `npm install` that changes the lockfile, from the project root:
    npm ci --dry-run 2>&1 | grep "Missing:" | sed 's/npm error Missing: //; s/@ from lock file//' > /tmp/missing.txt
    python3 scripts/complete-lockfile.py
"""
import json, subprocess, sys
lock = json.load(open('package-lock.json'))
pkgs = lock['packages']
missing = [l.strip() for l in open('/tmp/missing.txt') if l.strip()]
# find the wanted version from any parent's optionalDependencies
want = {}
for path, meta in pkgs.items():
    for name, spec in (meta.get('optionalDependencies') or {}).items():
        if name in missing: want[name] = spec
for name in missing:
    spec = want[name]
    out = subprocess.run(['npm', 'view', f'{name}@{spec}', '--json', 'version', 'dist.integrity', 'dist.tarball', 'os', 'cpu', 'libc', 'license', 'engines'], capture_output=True, text=True).stdout.strip()
    info = json.loads(out) if out else {}
    if isinstance(info, list): info = info[-1]
    exact = bool(info)
    if not exact:
        # This registry lacks that version for this platform: take os/cpu from the latest one it has.
        out = subprocess.run(['npm', 'view', name, '--json', 'os', 'cpu', 'libc', 'license'], capture_output=True, text=True).stdout.strip()
        info = json.loads(out) if out else {}
        if isinstance(info, list): info = info[-1]
    entry = {'version': spec}
    if exact and info.get('dist.integrity'): entry['integrity'] = info['dist.integrity']
    for k in ('cpu', 'os', 'libc'):
        if info.get(k): entry[k] = info[k] if isinstance(info[k], list) else [info[k]]
    if info.get('license'): entry['license'] = info['license']
    if info.get('engines'): entry['engines'] = info['engines']
    entry['optional'] = True
    entry['dev'] = any(pkgs.get(p, {}).get('dev') for p in pkgs if name in (pkgs[p].get('optionalDependencies') or {}))
    if not entry['dev']: del entry['dev']
    pkgs['node_modules/' + name] = dict(sorted(entry.items(), key=lambda kv: ['version','resolved','integrity','cpu','dev','libc','license','optional','os','engines'].index(kv[0]) if kv[0] in ['version','resolved','integrity','cpu','dev','libc','license','optional','os','engines'] else 99))
    print(name, entry['version'], file=sys.stderr)
lock['packages'] = dict(sorted(pkgs.items(), key=lambda kv: (kv[0] != '', kv[0])))
json.dump(lock, open('package-lock.json', 'w'), indent=2)
open('package-lock.json', 'a').write('\n')
