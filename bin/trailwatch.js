#!/usr/bin/env node
/* global process, URL */
// Launcher for `npx trailwatch …`. In a clone (after `npm ci`) it runs the TypeScript sources through tsx,
// so no build step is needed and the code run is the code checked out; an install without the sources or
// without dev dependencies runs the compiled dist/ instead (`npm run build`).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}src/cli/trailwatch.ts`;
const compiled = `${root}dist/cli/trailwatch.js`;

let tsx = null;
if (existsSync(source)) {
  try {
    tsx = await import("tsx/esm/api");
  } catch {
    tsx = null;
  }
}
if (tsx) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write("trailwatch: run `npm ci` first (or `npm run build` for an install without dev dependencies)\n");
  process.exitCode = 2;
}
