// The MicroPython half of bench/ota_verify.py: times and memory of the device's bundle reader
// under the MicroPython 1.27 WebAssembly build.
//
// usage: node bench/ota_verify.mjs REPO_ROOT BUNDLE PUBLIC_KEY_PEM
// Prints "name<TAB>value" lines for bench/ota_verify.py to read.
//
// Why a runner of its own rather than ci/micropython/run-script.mjs: this build's garbage
// collector frees nothing while Python code is running (it cannot see the WebAssembly
// stack), only between runPython calls.  So the memory figures come from running each phase
// of a bundle read as its own call and collecting in the next: what is still allocated then
// is what the reader holds, and what a call allocated in all bounds that phase's peak.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [root, bundle, key] = process.argv.slice(2);
const pkg = path.join(
  root, "ci", "micropython", "node_modules", "@micropython", "micropython-webassembly-pyscript",
  "micropython.mjs",
);
const { loadMicroPython } = await import(pathToFileURL(pkg).href);
const mp = await loadMicroPython({
  heapsize: 8 * 1024 * 1024,
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
mp.FS.writeFile("/app/ota_verify.py", fs.readFileSync(path.join(root, "bench", "ota_verify.py")));
mp.FS.mkdirTree("/data");
mp.FS.writeFile("/data/bundle.bin", fs.readFileSync(bundle));
mp.FS.writeFile("/data/key.pem", fs.readFileSync(key));

try {
  mp.runPython(
    "import sys, gc\nsys.path.insert(0, '/app')\nimport ota_verify as B\n" +
      "B.mp_setup('/data/bundle.bin', '/data/key.pem')",
  );
  mp.runPython("B.mp_time()");
  // memory: one phase per call; each call starts by collecting what the previous one left
  mp.runPython("B.mp_mark_base()");
  for (const phase of ["head", "verify", "json", "fields"]) {
    mp.runPython(`B.mp_phase_${phase}()`);
    mp.runPython(`B.mp_after('${phase}')`);
  }
  let more = true;
  while (more) {
    mp.runPython("_more = B.mp_stream_step()");
    more = mp.globals.get("_more");
    mp.runPython("B.mp_after('stream')");
  }
  mp.runPython("B.mp_report()");
} catch (e) {
  console.error(e.message ?? e);
  process.exitCode = 1;
}
