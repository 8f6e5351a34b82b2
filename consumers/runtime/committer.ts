/**
 * At-least-once offset commits, grouped: partitions mark the offset up to which their outputs are
 * acknowledged, and one OffsetCommit request carries every partition marked since the last one
 * (group commit: while a commit is in flight, marks accumulate for the next). With `intervalMs` > 0
 * commits happen at most that often (Kafka's auto.commit.interval.ms).
 *
 * A failed commit (e.g. the group is rebalancing) keeps its offsets for the next attempt unless a
 * newer mark replaced them; nothing is committed that was not marked, so a failure can only repeat
 * outputs, never lose them.
 */

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (last delivered + 1), as Kafka commits it. */
  offset: string;
}

export interface OffsetCommitterOptions {
  commit: (offsets: PartitionOffset[]) => Promise<void>;
  /** 0 = commit as soon as the previous commit returned. */
  intervalMs: number;
  onError?: (error: unknown, offsets: PartitionOffset[]) => void;
}

const RETRY_AFTER_FAILURE_MS = 1000;

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class OffsetCommitter {
  private readonly due = new Map<string, PartitionOffset>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastCommitAt = 0;
  private failedAt = 0;
  /** A commit is in flight and marks arrived since: flush again when it returns. */
  private chained = false;
  /** Commit requests sent, for instrumentation and tests. */
  commits = 0;

  constructor(
    private readonly options: OffsetCommitterOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.lastCommitAt = now();
  }

  /** Outputs of `topic[partition]` are acknowledged up to `offset` - 1. */
  mark(topic: string, partition: number, offset: string): void {
    this.due.set(keyOf(topic, partition), { topic, partition, offset });
    this.schedule();
  }

  /** Drops marks of partitions this member no longer owns (their new owner commits them). */
  retain(owned: (topic: string, partition: number) => boolean): void {
    for (const [k, o] of this.due) if (!owned(o.topic, o.partition)) this.due.delete(k);
  }

  /** Commits everything marked so far; resolves when done (errors go to `onError`). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.running) await this.running;
    if (this.due.size === 0) return;
    const offsets = [...this.due.values()];
    this.due.clear();
    this.lastCommitAt = this.now();
    this.running = this.options
      .commit(offsets)
      .then(
        () => {
          this.commits++;
          this.failedAt = 0;
        },
        (error) => {
          for (const o of offsets) {
            const k = keyOf(o.topic, o.partition);
            if (!this.due.has(k)) this.due.set(k, o);
          }
          this.failedAt = this.now();
          this.options.onError?.(error, offsets);
        },
      )
      .finally(() => {
        this.running = null;
        // Marked meanwhile, or failed: go again (after a failure, RETRY_AFTER_FAILURE_MS later). A
        // failed commit must not wait for the next mark: a partition whose last chunk was marked
        // would otherwise keep its final offset uncommitted (found with a rebalance mid-stream).
        const again = this.chained || this.failedAt > 0;
        this.chained = false;
        if (again && this.due.size > 0) this.schedule();
      });
    await this.running;
  }

  /** Stops the timer; marks not flushed stay uncommitted (they repeat after a restart). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.chained) return;
    const now = this.now();
    let wait = this.options.intervalMs > 0 ? this.lastCommitAt + this.options.intervalMs - now : 0;
    // After a failure (typically a rebalance), retry at most once a second instead of per mark.
    if (this.failedAt > 0) wait = Math.max(wait, this.failedAt + RETRY_AFTER_FAILURE_MS - now);
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, wait);
      return;
    }
    // Group commit: marks made while a commit is in flight go out together right after it.
    if (this.running) this.chained = true;
    else void this.flush();
  }
}
