/**
 * Out-of-order completion, in-order commits. The worker takes records of a partition one after the
 * other but finishes them in any order (a hanging endpoint must not hold a healthy one back); the
 * offset it may commit is the lowest one still unfinished, so a crash only ever repeats work, never
 * skips it. Offsets below `next` were already taken and are skipped when KafkaJS fetches them again
 * (after a rebalance it restarts from the committed offset).
 */
export class PartitionTracker {
  private readonly pending = new Set<bigint>();
  /** Next offset to take. */
  private next: bigint | undefined;
  /** Last committed offset (the next one to read after a restart). */
  committed: bigint | undefined;

  /** True when `offset` was already taken (finished or still running). */
  seen(offset: string): boolean {
    return this.next !== undefined && BigInt(offset) < this.next;
  }

  take(offset: string): void {
    const o = BigInt(offset);
    this.pending.add(o);
    this.next = o + 1n;
  }

  /** A record that needs no work (skipped, poison dead-lettered synchronously) still moves `next`. */
  pass(offset: string): void {
    this.next = BigInt(offset) + 1n;
  }

  done(offset: string): void {
    this.pending.delete(BigInt(offset));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The offset to commit (the next record a restarted consumer must read), if any was taken. */
  watermark(): bigint | undefined {
    if (this.next === undefined) return undefined;
    let low = this.next;
    for (const o of this.pending) if (o < low) low = o;
    return low;
  }
}

export class OffsetTracker {
  private readonly partitions = new Map<string, PartitionTracker>();

  get(topic: string, partition: number): PartitionTracker {
    const key = `${topic}\u0000${partition}`;
    let t = this.partitions.get(key);
    if (!t) {
      t = new PartitionTracker();
      this.partitions.set(key, t);
    }
    return t;
  }

  /** Forgets partitions no longer assigned (another member owns them now). */
  retain(assigned: Record<string, number[]>): void {
    for (const key of [...this.partitions.keys()]) {
      const [topic, p] = key.split("\u0000") as [string, string];
      if (!assigned[topic]?.includes(Number(p))) this.partitions.delete(key);
    }
  }

  /** Offsets ready to commit: watermark moved past the last commit. */
  commitable(): { topic: string; partition: number; offset: string }[] {
    const out: { topic: string; partition: number; offset: string }[] = [];
    for (const [key, t] of this.partitions) {
      const w = t.watermark();
      if (w === undefined || (t.committed !== undefined && w <= t.committed)) continue;
      const [topic, p] = key.split("\u0000") as [string, string];
      out.push({ topic, partition: Number(p), offset: w.toString() });
    }
    return out;
  }

  markCommitted(commits: { topic: string; partition: number; offset: string }[]): void {
    for (const c of commits) this.get(c.topic, c.partition).committed = BigInt(c.offset);
  }

  get inFlight(): number {
    let n = 0;
    for (const t of this.partitions.values()) n += t.inFlight;
    return n;
  }
}
