/**
 * The QPACK dynamic table (RFC 9204 §3.2): a FIFO of entries with absolute indices counting
 * every insertion from 0, a capacity bounded by the advertised maximum, and eviction of the
 * oldest entries to make room. Entry size is name length + value length + 32 bytes.
 *
 * @module
 */

/**
 * Per-entry overhead added to name and value lengths (RFC 9204 §3.2.1).
 *
 * @example
 * ```ts
 * import { ENTRY_OVERHEAD } from "./dynamic_table.ts";
 * ENTRY_OVERHEAD; // 32
 * ```
 */
export const ENTRY_OVERHEAD = 32;

/**
 * The size an entry occupies in the table; names and values are byte strings.
 *
 * @example
 * ```ts
 * import { entrySize } from "./dynamic_table.ts";
 * entrySize(":authority", "www.example.com"); // 57
 * ```
 */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/**
 * One dynamic table entry.
 *
 * @example
 * ```ts
 * import type { TableEntry } from "./dynamic_table.ts";
 * const e: TableEntry = { name: "a", value: "b", size: 34 };
 * ```
 */
export interface TableEntry {
  /** Field name. */
  readonly name: string;
  /** Field value. */
  readonly value: string;
  /** name + value + 32. */
  readonly size: number;
}

/**
 * A table operation that violates the capacity rules (the decoder reports it as
 * QPACK_ENCODER_STREAM_ERROR).
 *
 * @example
 * ```ts
 * import { DynamicTable, DynamicTableError } from "./dynamic_table.ts";
 * try { new DynamicTable(100).setCapacity(200); } catch (e) { e instanceof DynamicTableError; }
 * ```
 */
export class DynamicTableError extends Error {
  /**
   * Creates the error with `message` as its reason.
   *
   * @param message details
   */
  constructor(message: string) {
    super(message);
    this.name = "DynamicTableError";
  }
}

/**
 * The dynamic table. Starts with capacity 0 (RFC 9204 §3.2.3).
 *
 * @example
 * ```ts
 * import { DynamicTable } from "./dynamic_table.ts";
 * const t = new DynamicTable(220);
 * t.setCapacity(220);
 * t.insert(":authority", "www.example.com"); // absolute index 0
 * t.get(0)?.value; // "www.example.com"
 * t.insertCount; // 1
 * ```
 */
export class DynamicTable {
  /** The upper bound for {@link DynamicTable.setCapacity} (SETTINGS_QPACK_MAX_TABLE_CAPACITY). */
  readonly maxCapacity: number;
  #capacity = 0;
  #size = 0;
  /** Entries from oldest to newest; `#entries[#head]` has absolute index `#dropped`. */
  #entries: TableEntry[] = [];
  #head = 0;
  #dropped = 0;

  /**
   * Creates an empty table (capacity 0) that may grow to `maxCapacity`; throws RangeError on a bad bound.
   *
   * @param maxCapacity the largest capacity the encoder may set
   */
  constructor(maxCapacity: number) {
    if (!Number.isSafeInteger(maxCapacity) || maxCapacity < 0) throw new RangeError(`bad max capacity ${maxCapacity}`);
    this.maxCapacity = maxCapacity;
  }

  /** Current capacity in bytes. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Sum of the sizes of the current entries. */
  get size(): number {
    return this.#size;
  }

  /** Total number of insertions ever made (the absolute index the next entry gets). */
  get insertCount(): number {
    return this.#dropped + this.#entries.length - this.#head;
  }

  /** Number of entries evicted so far: the absolute index of the oldest live entry. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** Number of live entries. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Sets the capacity, evicting the oldest entries until the table fits. Throws
   * {@link DynamicTableError} above {@link DynamicTable.maxCapacity}.
   *
   * @example
   * ```ts
   * import { DynamicTable } from "./dynamic_table.ts";
   * const t = new DynamicTable(100);
   * t.setCapacity(100);
   * t.capacity; // 100
   * ```
   */
  setCapacity(capacity: number): void {
    if (capacity > this.maxCapacity) {
      throw new DynamicTableError(`capacity ${capacity} exceeds the maximum ${this.maxCapacity}`);
    }
    this.#capacity = capacity;
    this.#evictTo(capacity);
  }

  /**
   * Inserts an entry (evicting as needed) and returns its absolute index. Throws
   * {@link DynamicTableError} if the entry alone is larger than the capacity.
   *
   * @example
   * ```ts
   * import { DynamicTable } from "./dynamic_table.ts";
   * const t = new DynamicTable(100);
   * t.setCapacity(100);
   * t.insert("a", "b"); // 0
   * ```
   */
  insert(name: string, value: string): number {
    const size = entrySize(name, value);
    if (size > this.#capacity) {
      throw new DynamicTableError(`entry of size ${size} exceeds the table capacity ${this.#capacity}`);
    }
    this.#evictTo(this.#capacity - size);
    this.#entries.push({ name, value, size });
    this.#size += size;
    return this.insertCount - 1;
  }

  /**
   * The entry with absolute index `index`, or `undefined` if it was evicted or not inserted yet.
   *
   * @example
   * ```ts
   * import { DynamicTable } from "./dynamic_table.ts";
   * new DynamicTable(0).get(0); // undefined
   * ```
   */
  get(index: number): TableEntry | undefined {
    if (index < this.#dropped) return undefined;
    return this.#entries[this.#head + index - this.#dropped];
  }

  #evictTo(limit: number): void {
    while (this.#size > limit) {
      const e = this.#entries[this.#head];
      this.#entries[this.#head] = undefined as unknown as TableEntry;
      this.#head++;
      this.#dropped++;
      this.#size -= e.size;
    }
    if (this.#head > 32 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
