// Run one Python script under the MicroPython 1.27 WebAssembly build, with firmware/
// importable.  usage: node ci/micropython/run-script.mjs REPO_ROOT SCRIPT [ARG ...]
// The script sees its arguments in sys.argv[1:]; its exit status is the process's.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";

const [root, script, ...args] = process.argv.slice(2);
const mp = await loadMicroPython({
  heapsize: 8 * 1024 * 1024, // grows on demand; a big initial heap makes every GC sweep slow
  linebuffer: false,
  stdout: (b) => process.stdout.write(b),
  stderr: (b) => process.stderr.write(b),
});

function copyTree(src, dst) {
  mp.FS.mkdirTree(dst);
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    if (entry.name === "__pycache__" || entry.name.startsWith(".")) continue;
    const s = path.join(src, entry.name);
    const d = `${dst}/${entry.name}`;
    if (entry.isDirectory()) copyTree(s, d);
    else if (entry.name.endsWith(".py")) mp.FS.writeFile(d, fs.readFileSync(s));
  }
}

copyTree(path.join(root, "firmware"), "/app/firmware");
mp.FS.mkdirTree("/run");
mp.FS.writeFile("/run/script.py", fs.readFileSync(script));
mp.globals.set("_args", JSON.stringify(args));
try {
  mp.runPython(`
import sys, json
sys.path.insert(0, '/app')
sys.argv.clear()
sys.argv.append('script.py')
for a in json.loads(_args):
    sys.argv.append(a)
_status = 0
try:
    exec(compile(open('/run/script.py').read(), '/run/script.py', 'exec'), {'__name__': '__main__'})
except SystemExit as e:
    _status = e.value if isinstance(e.value, int) else 1
`);
  process.exitCode = mp.globals.get("_status");
} catch (e) {
  console.error(e.message ?? e);
  process.exitCode = 1;
}
