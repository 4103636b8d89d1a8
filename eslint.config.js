// Lint config: typescript-eslint's strictest type-checked rules (strictTypeChecked), for a long-running bot that
// handles untrusted payloads: floating promises, unsafe `any` from Slack and AWS, needless conditions that hide
// wrong types, and template strings that would print "[object Object]".
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // Numbers read naturally in messages; objects, null and undefined must still be converted on purpose.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
    },
  },
  // Tests: `!` after an expect() on the same value is clearer than a second guard; fakes implement async
  // interfaces with synchronous bodies; vitest's asymmetric matchers (expect.any, expect.objectContaining) are
  // typed `any`; teardown guards (`await moto?.stop()`) are there for a set-up that failed half-way.
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unnecessary-condition": "off",
    },
  },
  // The workflow services know nothing of Slack: they return results, the listeners render them.
  {
    files: ["src/services/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@slack/*"], message: "Services take no Slack types: return a result and let the listener render it." },
            { group: ["**/slack/**", "../slack/*"], message: "Services do not use the Slack edge (blocks, payloads, listeners)." },
          ],
        },
      ],
    },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
