// ESLint flat config: typescript-eslint's recommended rules over every TypeScript file.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".kuar/", "toolchain/", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Recorded mock inputs are untyped JSON by nature.
    files: ["test/**/*.ts", "kit/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
