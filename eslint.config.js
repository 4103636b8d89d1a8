// Lint config: the recommended rules of typescript-eslint with type information, tuned to catch the
// mistakes that matter in a long-running bot (floating promises, unsafe any from payloads).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
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
);
