import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The board is served by the kds binary (ui/dist embedded at build time).
// `npm run dev` proxies the API to a running `kds serve` on the default port.
export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Small assets (the chime) are files, not data: URLs, so the CSP stays simple.
    assetsInlineLimit: 0,
    target: "es2022",
  },
  server: {
    proxy: { "/api": { target: process.env.KDS_API ?? "http://127.0.0.1:8787", changeOrigin: false } },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
