import { flushSync, mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { readDisplay, storageKey } from "./lib/display";
import { Screen } from "./lib/screen";

/// This screen's display: the address, else what Settings stored here.
function storedDisplay(): string | null {
  try {
    return localStorage.getItem(storageKey(null));
  } catch {
    return null;
  }
}

const query = new URLSearchParams(location.search);
const screen = new Screen(readDisplay(location.search, storedDisplay()), query.get("screen")?.trim() || null, query.get("name")?.trim() || null);
mount(App, { target: document.getElementById("app")!, props: { screen } });
screen.start();
// For the browser tests and the benchmark: the state, and a way to render
// pending changes synchronously (to time one update).
Object.assign(window, { kds: screen, kdsFlush: flushSync });
