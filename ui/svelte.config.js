import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // The components take a `screen` prop that never changes for the life
    // of the page, and read its stores once at the top.
    warningFilter: (w) => w.code !== "state_referenced_locally",
  },
};
