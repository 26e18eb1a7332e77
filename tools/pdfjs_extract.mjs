// Print the text layer of a PDF as pdf.js (Firefox's viewer) extracts it:
// text items of a page joined with "", pages joined with "\n".
// Usage: node tools/pdfjs_extract.mjs file.pdf   (after `npm ci`)
import { readFile } from "node:fs/promises";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const path = process.argv[2];
if (!path) {
  console.error("usage: node tools/pdfjs_extract.mjs file.pdf");
  process.exit(2);
}

const data = new Uint8Array(await readFile(path));
const pdf = await getDocument({ data, verbosity: 0, isEvalSupported: false }).promise;
const pages = [];
for (let number = 1; number <= pdf.numPages; number++) {
  const page = await pdf.getPage(number);
  const content = await page.getTextContent();
  pages.push(content.items.map((item) => item.str ?? "").join(""));
  page.cleanup();
}
await pdf.destroy();
process.stdout.write(pages.join("\n"));
