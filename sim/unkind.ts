// How an unkind BMC treats requests, the same for the IPMI and the Redfish simulators: slow
// (every request answered later), flaky (a share of requests lost without an answer) and busy
// (the first N requests, or a share of them, refused with "busy, try again"). Which requests of a
// share are hit looks random but is the same on every run: a generator seeded per BMC.

export interface Unkindness {
  /** Milliseconds added to every request. */
  slowMs?: number;
  /** Share of requests dropped, 0..1. */
  flaky?: number;
  /** N ≥ 1: the first N requests are refused busy; 0 < N < 1: that share of them. */
  busy?: number;
}

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Temper {
  private commands = 0;
  private readonly random: () => number;

  constructor(
    private readonly unkindness: Unkindness,
    seed = 1,
  ) {
    this.random = generator(seed);
  }

  get delayMs(): number {
    return this.unkindness.slowMs ?? 0;
  }

  /** Whether the next request is lost; every request counts. */
  drops(): boolean {
    const share = this.unkindness.flaky ?? 0;
    return share > 0 && this.random() < share;
  }

  /** Whether the next command (a request that reached the BMC) is refused busy. */
  busy(): boolean {
    const busy = this.unkindness.busy ?? 0;
    if (busy >= 1) return this.commands++ < busy;
    return busy > 0 && this.random() < busy;
  }
}

/** Whether a node gets any unkindness at all. */
export const isUnkind = (u: Unkindness | undefined): u is Unkindness => !!u && !!(u.slowMs || u.flaky || u.busy);
