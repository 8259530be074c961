// Run the firmware's portable tests under real MicroPython (the v1.27 WebAssembly build).
//
// usage: node ci/micropython/run-tests.mjs REPO_ROOT [MODULE ...]
// Copies firmware/, scenarios/programs/ and tests/firmware/ into MicroPython's in-memory filesystem,
// then imports every tests/firmware/test_*.py module (or the ones named) and calls each
// test_* function.  Exit status: 0 all passed, 1 a test failed, 2 the runner itself failed.
// Wrap it in `timeout`: Python code that never returns blocks Node's event loop.
//
// STEELHIL_MPY_FIRMWARE=DIR: copy DIR as the firmware package instead of REPO_ROOT/firmware/:
// a tree compiled to .mpy (ci/micropython/compile-firmware.py), as a real board's slot holds it.
// It must hold no .py beside a .mpy (MicroPython imports the .py first); the runner refuses one.
// STEELHIL_MPY_SKIP=MODULE::TEST,...: tests not run, counted and named as skipped (the compiled
// run skips the few that read the firmware's .py source as text).
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? ".");
const only = process.argv.slice(3);

const mp = await loadMicroPython({
  heapsize: 8 * 1024 * 1024,
  linebuffer: false,
  stdout: (b) => process.stdout.write(b),
  stderr: (b) => process.stderr.write(b),
});

function copyTree(src, dst) {
  if (!fs.existsSync(src)) return;
  mp.FS.mkdirTree(dst);
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    if (entry.name === "__pycache__" || entry.name.startsWith(".")) continue;
    const s = path.join(src, entry.name);
    const d = `${dst}/${entry.name}`;
    if (entry.isDirectory()) copyTree(s, d);
    else if (/\.(py|mpy|scm|json)$/.test(entry.name)) mp.FS.writeFile(d, fs.readFileSync(s));
  }
}

function sourceBesideCompiled(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceBesideCompiled(p));
    else if (entry.name.endsWith(".py") && fs.existsSync(p.slice(0, -3) + ".mpy")) found.push(p);
  }
  return found;
}

const compiled = process.env.STEELHIL_MPY_FIRMWARE;
if (compiled) {
  if (!fs.existsSync(path.join(compiled, "__init__.mpy"))) {
    console.error(`STEELHIL_MPY_FIRMWARE=${compiled} holds no compiled firmware (__init__.mpy)`);
    process.exit(2);
  }
  const shadowed = sourceBesideCompiled(compiled);
  if (shadowed.length) {
    console.error(`STEELHIL_MPY_FIRMWARE: .py beside its .mpy, imported instead: ${shadowed[0]}`);
    process.exit(2);
  }
  console.log(`firmware: the compiled tree ${compiled}`);
}
copyTree(compiled || path.join(root, "firmware"), "/app/firmware");
copyTree(path.join(root, "scenarios", "programs"), "/app/scenarios/programs");
copyTree(path.join(root, "tests", "firmware"), "/app/tests/firmware");
mp.FS.writeFile("/app/tests/__init__.py", "");

const modules = only.length
  ? only
  : fs.readdirSync(path.join(root, "tests", "firmware"))
      .filter((n) => /^test_.*\.py$/.test(n))
      .sort()
      .map((n) => `tests.firmware.${n.slice(0, -3)}`);

mp.globals.set("_modules", modules.join(","));
mp.globals.set("_skip", process.env.STEELHIL_MPY_SKIP ?? "");
const driver = `
import sys, time
sys.path.insert(0, '/app')
_status = 2
def _run():
    passed = 0
    failed = []
    skipped = []
    durations = []
    skip = [s.strip() for s in _skip.split(',') if s.strip()]
    for name in _modules.split(','):
        mod = __import__(name, None, None, ['_'])
        tests = sorted(n for n in dir(mod) if n.startswith('test_'))
        for t in tests:
            fn = getattr(mod, t)
            if not callable(fn):
                continue
            if name + '::' + t in skip:
                skipped.append(name + '::' + t)
                continue
            start = time.ticks_ms()
            try:
                fn()
                passed += 1
            except Exception as e:
                failed.append(name + '::' + t)
                print('FAIL', name + '::' + t)
                sys.print_exception(e)
            durations.append((time.ticks_diff(time.ticks_ms(), start), name + '::' + t))
    for s in skip:  # a stale skip list must not hide a test that was renamed
        if s not in skipped and s.split('::')[0] in _modules.split(','):
            print('FAIL', s, '(named in STEELHIL_MPY_SKIP, but there is no such test)')
            failed.append(s)
    durations.sort()
    print('slowest:')
    for ms, test in durations[-8:]:
        print('  %6.1f s  %s' % (ms / 1000, test))
    print('micropython %s: %d passed, %d failed' % (sys.implementation._machine if hasattr(sys.implementation, '_machine') else sys.version, passed, len(failed)) + (', %d skipped' % len(skipped) if skipped else ''))
    for s in skipped:
        print('  skipped:', s)
    for f in failed:
        print('  failed:', f)
    return 1 if failed else 0
_status = _run()
`;
try {
  mp.runPython(driver);
  process.exitCode = mp.globals.get("_status");
} catch (e) {
  console.error(e.message ?? e);
  process.exitCode = 2;
}
