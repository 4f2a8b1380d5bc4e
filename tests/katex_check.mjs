// Render TeX snippets with KaTeX in strict mode and report the ones that fail.
//
// Input (stdin): a JSON array of {"tex": string, "display": boolean}.
// Output (stdout): a JSON array of {"index": number, "message": string}, one per failing
// snippet, in input order; [] when every snippet renders. Exit 0 whenever the input could be
// read (render failures are data, not a crash); exit 2 on unusable input.
//
// One process checks a whole batch, so a test run starts node once per file, not per formula.
import katex from "katex";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

const raw = await readStdin();
let items;
try {
  items = JSON.parse(raw);
} catch (error) {
  process.stderr.write(`katex_check: stdin is not JSON: ${error.message}\n`);
  process.exit(2);
}
if (!Array.isArray(items)) {
  process.stderr.write("katex_check: expected a JSON array of {tex, display}\n");
  process.exit(2);
}

const errors = [];
items.forEach((item, index) => {
  if (item === null || typeof item !== "object" || typeof item.tex !== "string") {
    errors.push({ index, message: "not an object with a string 'tex'" });
    return;
  }
  try {
    katex.renderToString(item.tex, {
      displayMode: Boolean(item.display),
      throwOnError: true,
      strict: "error",
    });
  } catch (error) {
    errors.push({ index, message: String(error && error.message ? error.message : error) });
  }
});

process.stdout.write(JSON.stringify(errors) + "\n");
