/**
 * A small, seeded, splittable PRNG for the simulators: sfc32 (Chris Doty-Humphrey's "Small Fast
 * Chaotic" generator, PractRand-clean, 128-bit state) seeded through splitmix32/fmix32 hashing.
 *
 * Why not Math.random or numpy-compatible streams: the output must be a pure function of the seed on
 * every Node version, and reproducing numpy's MT19937 bit for bit buys nothing (the handbook's numbers
 * are statistical targets, not fixtures). Every independent part of a simulation (profiles, one
 * customer's transactions, one day's compromised terminals...) draws from its own stream
 * `createRandom(seed, domain, index)`, so changing one part never shifts the draws of another and a
 * stream can be regenerated on its own.
 */

/** murmur3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a sequence of uint32 words into one. Each step is a bijection in the word it absorbs, so two
 * sequences that differ in exactly one word never collide.
 */
export function hash32(...words: readonly number[]): number {
  let h = 0x2545f491;
  for (const word of words) h = fmix32((h + Math.imul(word >>> 0, 0x9e3779b1)) ^ (h >>> 7));
  return h;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box-Muller produces normals in pairs; the second one is kept for the next call. */
  private spareNormal: number | undefined;

  /** Prefer `createRandom(seed, domain, index)`; this takes an already-mixed 32-bit key. */
  constructor(key: number) {
    // splitmix32 expands one word into the four state words (never all zero).
    let s = key >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return fmix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
    // sfc32's author recommends discarding the first outputs after seeding.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** The raw generator: a uniform uint32. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with the full 53 bits of precision. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform double in [min, max), like numpy's `uniform(low, high)`. */
  uniform(min = 0, max = 1): number {
    return min + (max - min) * this.next();
  }

  /** Normal draw (Box-Muller, polar-free form). */
  normal(mean = 0, std = 1): number {
    let z = this.spareNormal;
    if (z === undefined) {
      const u1 = 1 - this.next(); // (0, 1]: log(0) never happens
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      z = r * Math.cos(theta);
      this.spareNormal = r * Math.sin(theta);
    } else {
      this.spareNormal = undefined;
    }
    return mean + std * z;
  }

  /**
   * Poisson draw. Knuth's multiplication method is exact and cheap for the simulator's λ < 4; larger λ
   * is split into chunks of at most 30 (a sum of independent Poissons is Poisson), which keeps exp(-λ)
   * far from underflow.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`poisson: invalid lambda ${lambda}`);
    let total = 0;
    let remaining = lambda;
    while (remaining > 0) {
      const chunk = Math.min(remaining, 30);
      remaining -= chunk;
      const limit = Math.exp(-chunk);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      total += k;
    }
    return total;
  }

  /** Exponential draw with the given mean (inter-arrival times). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Uniform integer in [min, max], both inclusive (Python's `randint`), without modulo bias. */
  randint(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`randint: invalid range [${min}, ${max}]`);
    }
    const range = max - min + 1;
    if (range > TWO_POW_32) return min + Math.floor(this.next() * range);
    // Rejection sampling: drop the top partial block of the 2^32 outcomes.
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return min + (x % range);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return this.randint(0, n - 1);
  }

  /** Bernoulli trial with success probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. */
  choice<T>(items: ArrayLike<T>): T {
    if (items.length === 0) throw new RangeError("choice: empty population");
    return items[this.int(items.length)] as T;
  }

  /**
   * k distinct indices of [0, n) (Python's `random.sample`): every k-subset is equally likely; they come
   * in selection order. Partial Fisher-Yates when k is a sizeable part of n (then the order is uniform
   * too), Floyd's algorithm (O(k) memory) otherwise.
   */
  sampleIndices(n: number, k: number): number[] {
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`sample: cannot take ${k} of ${n}`);
    if (k * 4 >= n) {
      const pool = new Int32Array(n);
      for (let i = 0; i < n; i++) pool[i] = i;
      const out: number[] = [];
      for (let i = 0; i < k; i++) {
        const j = this.randint(i, n - 1);
        const picked = pool[j] as number;
        pool[j] = pool[i] as number;
        pool[i] = picked;
        out.push(picked);
      }
      return out;
    }
    const chosen = new Set<number>();
    const out: number[] = [];
    for (let j = n - k; j < n; j++) {
      const t = this.randint(0, j);
      const picked = chosen.has(t) ? j : t;
      chosen.add(picked);
      out.push(picked);
    }
    return out;
  }

  /** k distinct elements (sampling without replacement), in selection order. */
  sample<T>(items: ArrayLike<T>, k: number): T[] {
    return this.sampleIndices(items.length, k).map((i) => items[i] as T);
  }

  /** A uniformly shuffled copy. */
  shuffle<T>(items: ArrayLike<T>): T[] {
    return this.sample(items, items.length);
  }
}

/**
 * The stream for one part of a simulation. `domain` names the part (a small constant per simulator),
 * `index` the instance (customer number, day...). Same arguments → same stream, always.
 */
export function createRandom(seed: number, domain = 0, index = 0): Random {
  return new Random(hash32(seed, domain, index));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex32(w: number): string {
  return `${HEX[w >>> 24]}${HEX[(w >>> 16) & 0xff]}${HEX[(w >>> 8) & 0xff]}${HEX[w & 0xff]}`;
}

/** hash32(salt, a, b, c) without the rest-parameter array: the event-id hot path. */
function hash4(salt: number, a: number, b: number, c: number): number {
  let h = fmix32((0x2545f491 + Math.imul(salt, 0x9e3779b1)) ^ (0x2545f491 >>> 7));
  h = fmix32((h + Math.imul(a >>> 0, 0x9e3779b1)) ^ (h >>> 7));
  h = fmix32((h + Math.imul(b >>> 0, 0x9e3779b1)) ^ (h >>> 7));
  return fmix32((h + Math.imul(c >>> 0, 0x9e3779b1)) ^ (h >>> 7));
}

/**
 * A UUID-shaped id (RFC 9562 version-4 layout) derived deterministically from three words (seed,
 * domain, index): replays of the same simulation produce the same event ids, so downstream
 * idempotency works across replays. Four independent 32-bit hashes of the full input fill the 122
 * free bits, so ids don't collide at the scale of millions (a single hash would, by the birthday bound).
 */
export function deterministicUuid(a: number, b: number, c: number): string {
  const w0 = hash4(0x5eed0000, a, b, c);
  const w1 = hash4(0x5eed0001, a, b, c);
  const w2 = hash4(0x5eed0002, a, b, c);
  const w3 = hash4(0x5eed0003, a, b, c);
  const h1 = hex32(w1);
  const h2 = hex32(((w2 & 0x3fffffff) | 0x80000000) >>> 0);
  return `${hex32(w0)}-${h1.slice(0, 4)}-4${h1.slice(5, 8)}-${h2.slice(0, 4)}-${h2.slice(4)}${hex32(w3)}`;
}
