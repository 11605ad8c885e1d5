// The new-order chime, synthesised with Web Audio (nothing to download):
// two bright bell-like tones. Browsers keep audio suspended until the page
// is touched once; `unlocked()` tells the header to ask for that touch.

let context: AudioContext | null = null;

function audio(): AudioContext | null {
  if (typeof AudioContext === "undefined") return null;
  context ??= new AudioContext();
  return context;
}

/// Is sound able to play without a touch first?
export function unlocked(): boolean {
  const ctx = audio();
  return !!ctx && ctx.state === "running";
}

/// Call from a touch or key handler: lets later chimes play.
export async function unlock(): Promise<void> {
  const ctx = audio();
  if (ctx && ctx.state !== "running") await ctx.resume().catch(() => {});
}

/// Plays the chime once. Never throws.
export function chime(): void {
  const ctx = audio();
  if (!ctx) return;
  if (ctx.state !== "running") void ctx.resume().catch(() => {});
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
