// The new-order chime, synthesised with Web Audio (nothing to download):
// two bright bell-like tones. Browsers keep audio suspended until the page
// is touched once; `unlocked()` tells the header to ask for that touch.
//
// A running AudioContext renders silence all the time it is not chiming: in
// WebKitGTK (the desktop app) that was two audio threads using 2.4% of a core
// all day. So the context runs only while a chime plays and is suspended
// QUIET_AFTER_MS later. Once it has run, a page may resume it without a new
// touch (browsers remember the page was touched), so suspending it does not
// lock the sound again.

let context: AudioContext | null = null;
/// Has the context run once? Then a chime may resume it at any time.
let allowed = false;
let quiet: ReturnType<typeof setTimeout> | null = null;
/// Told once, when sound first works (see `onUnlocked`).
const waiting = new Set<() => void>();

/// How long after it starts running (a chime, a touch) the context is
/// suspended again. The chime lasts 1.2 s.
export const QUIET_AFTER_MS = 2000;

function audio(): AudioContext | null {
  if (typeof AudioContext === "undefined") return null;
  if (!context) {
    const ctx = new AudioContext();
    context = ctx;
    // Also catches a context that starts running by itself (WebKitGTK
    // allows audio without a touch): it is suspended once quiet.
    ctx.addEventListener("statechange", () => {
      if (ctx.state === "running") running();
    });
  }
  if (context.state === "running") running();
  return context;
}

/// The context runs: sound is allowed from now on, and it is suspended
/// again once the chime (if any) is over.
function running() {
  if (!allowed) {
    allowed = true;
    for (const told of [...waiting]) told();
    waiting.clear();
  }
  if (quiet) clearTimeout(quiet);
  quiet = setTimeout(() => {
    quiet = null;
    if (context?.state === "running") void context.suspend().catch(() => {});
  }, QUIET_AFTER_MS);
}

/// Is sound able to play without a touch first?
export function unlocked(): boolean {
  audio();
  return allowed;
}

/// Calls `told` as soon as sound works: at once if it already does, else when
/// the context first runs, by a touch or by itself (WebKitGTK allows audio a
/// moment after the page loads, after the header already asked for a touch).
/// Returns a function that stops listening.
export function onUnlocked(told: () => void): () => void {
  if (unlocked()) {
    told();
    return () => {};
  }
  waiting.add(told);
  return () => waiting.delete(told);
}

/// Call from a touch or key handler: lets later chimes play.
export async function unlock(): Promise<void> {
  const ctx = audio();
  if (ctx && ctx.state !== "running") await ctx.resume().catch(() => {});
  if (ctx?.state === "running") running();
}

/// Plays the chime once. Never throws.
export function chime(): void {
  const ctx = audio();
  if (!ctx) return;
  if (ctx.state !== "running") void ctx.resume().catch(() => {});
  else running();
  // While the context is suspended its clock stands still: the notes play
  // as soon as it runs again.
  const start = ctx.currentTime + 0.02;
  const notes: [number, number][] = [
    [1046.5, 0],
    [1568.0, 0.18],
  ];
  for (const [freq, offset] of notes) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.6, start + offset + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.9);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 1);
  }
}
