// Run the firmware's portable tests under real MicroPython (the v1.27 WebAssembly build).
//
// usage: node ci/micropython/run-tests.mjs REPO_ROOT [MODULE ...]
// Copies firmware/, scenarios/programs/ and tests/firmware/ into MicroPython's in-memory filesystem,
// then imports every tests/firmware/test_*.py module (or the ones named) and calls each
// test_* function.  Exit status: 0 all passed, 1 a test failed, 2 the runner itself failed.
// Wrap it in `timeout`: Python code that never returns blocks Node's event loop.
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
    else if (/\.(py|scm|json)$/.test(entry.name)) mp.FS.writeFile(d, fs.readFileSync(s));
  }
}

copyTree(path.join(root, "firmware"), "/app/firmware");
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
const driver = `
import sys, time
sys.path.insert(0, '/app')
_status = 2
def _run():
    passed = 0
    failed = []
    durations = []
    for name in _modules.split(','):
        mod = __import__(name, None, None, ['_'])
        tests = sorted(n for n in dir(mod) if n.startswith('test_'))
        for t in tests:
            fn = getattr(mod, t)
            if not callable(fn):
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
    durations.sort()
    print('slowest:')
    for ms, test in durations[-8:]:
        print('  %6.1f s  %s' % (ms / 1000, test))
    print('micropython %s: %d passed, %d failed' % (sys.implementation._machine if hasattr(sys.implementation, '_machine') else sys.version, passed, len(failed)))
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
