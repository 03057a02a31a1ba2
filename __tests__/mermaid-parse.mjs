// Parses the Mermaid diagram on stdin with the real mermaid library, as GitHub's renderer would
// before drawing it; prints the diagram type and exits 0, or prints mermaid's error and exits 1.
// Mermaid is ESM and sanitizes labels with DOMPurify, which needs a DOM: jsdom's window stands in
// for the browser's (parsing draws nothing, so no layout or fonts are involved).
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("");
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import("mermaid");

try {
  const result = await mermaid.parse(readFileSync(0, "utf8"));
  process.stdout.write(`${result.diagramType}\n`);
} catch (error) {
  process.stdout.write(`${error.message}\n`);
  process.exitCode = 1;
}
