// Starting the desktop app at login: the Settings switch's two calls to the
// desktop shell (its Tauri commands `autostart_state` and `set_autostart`,
// which write or remove the login entry and remember the choice). Only the
// desktop app has a shell: in a browser there is no switch at all.

import { invoke, isTauri } from "@tauri-apps/api/core";

export type StartAtLogin = {
  /// Whether the app starts at login now.
  get(): Promise<boolean>;
  /// Switches it; resolves to the state the shell reports afterwards.
  set(on: boolean): Promise<boolean>;
};

/// The switch's calls, or `null` outside the desktop app.
export function startAtLogin(): StartAtLogin | null {
  if (!isTauri()) return null;
  return {
    get: () => invoke<boolean>("autostart_state"),
    set: (on) => invoke<boolean>("set_autostart", { on }),
  };
}
