import { defineConfig } from "vitest/config";

// The browser tests: real `kds serve`, real Chromium, one file at a time.
export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
