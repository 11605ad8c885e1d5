import { flushSync, mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { Screen } from "./lib/screen";

const screen = new Screen();
mount(App, { target: document.getElementById("app")!, props: { screen } });
screen.start();
// For the browser tests and the benchmark: the state, and a way to render
// pending changes synchronously (to time one update).
Object.assign(window, { kds: screen, kdsFlush: flushSync });
