import { afterEach, describe, expect, it } from "vitest";
import { startAtLogin } from "./autostart";

const world = globalThis as Record<string, unknown>;

afterEach(() => {
  delete world.isTauri;
  delete world.__TAURI_INTERNALS__;
  delete world.window;
});

describe("the start-at-login switch", () => {
  it("does not exist in a browser (no desktop shell to ask)", () => {
    expect(startAtLogin()).toBeNull();
  });

  it("asks the desktop shell's own commands, which remember the choice", async () => {
    const calls: [string, unknown][] = [];
    let on = true;
    world.window = globalThis;
    world.isTauri = true;
    world.__TAURI_INTERNALS__ = {
      invoke: async (cmd: string, args: { on?: boolean }) => {
        calls.push([cmd, args]);
        if (cmd === "set_autostart") on = args.on === true;
        return on;
      },
    };
    const login = startAtLogin();
    expect(login, "inside the desktop app the switch is there").not.toBeNull();
    expect(await login!.get()).toBe(true);
    expect(await login!.set(false)).toBe(false);
    expect(calls).toEqual([
      ["autostart_state", {}],
      ["set_autostart", { on: false }],
    ]);
  });
});
