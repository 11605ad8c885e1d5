// A card's timer: the shared clock that tells each card when, and only
// when, its own timer reads differently. It owns the timers' schedule
// (when each next changes); the words come from `format.ts`. It never
// touches the DOM and never reads the time itself: `tick(now)` is passed it.
//
// One interval drives every card: each second the clock looks only at the
// timers due (a number compare per card), recomputes those, and notifies a
// card only when its text or colour changed. A 12-minute-old ticket reads
// "12 min" and is looked at once a minute, not re-rendered every second.

import { ageLevel, elapsed, nextChange, type AgeLevel } from "./format";

/// What a timer shows: its text and its colour.
export interface TimerFace {
  text: string;
  level: AgeLevel;
}

/// What a card's timer counts: from `start` (the order placed, or its
/// scheduled time, counted down); `countdown` timers never turn amber or red.
export interface TimerSpec {
  start: string | null;
  warn: number;
  late: number;
  countdown: boolean;
}

/// The face of `spec` at `now`.
export function timerFace(spec: TimerSpec, now: number): TimerFace {
  return { text: elapsed(spec.start, now), level: spec.countdown ? "ok" : ageLevel(spec.start, now, spec.warn, spec.late) };
}

interface Watch {
  spec: TimerSpec;
  face: TimerFace;
  due: number;
  notify: (face: TimerFace) => void;
}

export class TimerClock {
  private watches = new Set<Watch>();
  private at: number;
  /// How many faces were computed (for tests and the benchmark).
  computed = 0;

  constructor(now: number) {
    this.at = now;
  }

  /// Starts watching `spec`: returns its face now, and calls `notify` with
  /// each later face that differs from the last. The returned `stop` ends it.
  watch(spec: TimerSpec, notify: (face: TimerFace) => void): { face: TimerFace; stop: () => void } {
    const w: Watch = { spec, face: this.compute(spec), due: nextChange(spec.start, this.at), notify };
    this.watches.add(w);
    return { face: w.face, stop: () => this.watches.delete(w) };
  }

  /// The time is `now`: recompute the timers due and notify those changed.
  tick(now: number) {
    this.at = now;
    for (const w of this.watches) {
      if (w.due > now) continue;
      const face = this.compute(w.spec);
      w.due = nextChange(w.spec.start, now);
      if (face.text === w.face.text && face.level === w.face.level) continue;
      w.face = face;
      w.notify(face);
    }
  }

  /// How many timers are watched.
  get size(): number {
    return this.watches.size;
  }

  private compute(spec: TimerSpec): TimerFace {
    this.computed += 1;
    return timerFace(spec, this.at);
  }
}
