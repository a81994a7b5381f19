/** How many blocks one instance remembers at most: a flood of made-up keys evicts the oldest. */
export const REMEMBERED_BLOCKS = 10_000;

/**
 * One instance's memory of the blocks the database told it about (a client or an account past its
 * limit), so that the requests refused until the block ends cost no database round trip. The
 * database stays the source of truth: an instance learns of a block on its first refusal, and
 * forgets it when the block ends (or at `until`, which may be earlier). Bounded: at most `capacity`
 * keys, the least recently remembered evicted first, so that made-up keys cannot grow it.
 */
export class BlockMemory<T = true> {
  private readonly blocks = new Map<string, { until: number; block: T }>();

  constructor(private readonly capacity = REMEMBERED_BLOCKS) {}

  /** The block remembered for `key`, unless it has ended by `now` (then it is forgotten). */
  get(key: string, now = Date.now()): T | undefined {
    const entry = this.blocks.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.blocks.delete(key);
      return undefined;
    }
    return entry.block;
  }

  /** When the block remembered for `key` ends (ms since the epoch), if it is still on. */
  until(key: string, now = Date.now()): number | undefined {
    return this.get(key, now) === undefined ? undefined : this.blocks.get(key)!.until;
  }

  /** Remembers `block` for `key` until `until` (ms since the epoch). */
  remember(key: string, until: number, block: T): void {
    if (until <= Date.now()) return;
    this.blocks.delete(key);
    if (this.blocks.size >= this.capacity) this.evict();
    this.blocks.set(key, { until, block });
  }

  forget(key: string): void {
    this.blocks.delete(key);
  }

  /** Forgets every block, as a restart of the instance would. */
  clear(): void {
    this.blocks.clear();
  }

  get size(): number {
    return this.blocks.size;
  }

  /** Makes room: the block remembered longest ago goes (ended ones are dropped as they are read). */
  private evict(): void {
    const oldest = this.blocks.keys().next();
    if (!oldest.done) this.blocks.delete(oldest.value);
  }
}
