import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { Screen } from "./lib/screen";

const screen = new Screen();
mount(App, { target: document.getElementById("app")!, props: { screen } });
screen.start();
// For the browser tests and the benchmark: read-only access to the state.
(window as unknown as { kds: Screen }).kds = screen;
