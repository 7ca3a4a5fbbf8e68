/**
 * The metadata cache (QEMU's qcow2-cache.c): cluster-sized tables (L2 tables,
 * refcount blocks) kept in memory, written back on eviction or flush. Crash
 * consistency lives here: a cache may depend on another (L2 tables depend on
 * the refcount blocks, so a cluster's refcount is on disk before any L2 entry
 * pointing at it), or on a flush of the host file (freed clusters must not be
 * reused before the tables that dropped them are durable). Before writing a
 * dirty table the dependency is flushed first; nothing else orders metadata.
 * Callers hold the image's metadata CoMutex, so the cache needs no lock.
 */
import type { Co } from '@qco/core';
import type { HostFile } from './qcow2-file.js';

interface Entry {
  readonly offset: number;
  readonly table: Uint8Array;
  dirty: boolean;
  used: number;
}

/** A write-back cache of cluster-sized metadata tables. */
export class Qcow2Cache {
  private readonly entries = new Map<number, Entry>();
  private clock = 0;
  private depends: Qcow2Cache | undefined;
  private dependsOnFlush = false;
  /** Called before a table is written (the corrupt-overlap check hooks here). */
  beforeWrite: ((offset: number) => void) | undefined;

  constructor(
    private readonly file: HostFile,
    private readonly tableSize: number,
    private readonly capacity: number,
  ) {}

  /** qcow2_cache_get: the table at host `offset`, read on a miss. */
  *get(offset: number): Co<Uint8Array> {
    const hit = this.entries.get(offset);
    if (hit !== undefined) {
      hit.used = ++this.clock;
      return hit.table;
    }
    const table = new Uint8Array(this.tableSize);
    yield* this.file.pread(offset, table);
    // Another request may have loaded it while we read (we yield inside pread).
    const raced = this.entries.get(offset);
    if (raced !== undefined) return raced.table;
    yield* this.makeRoom();
    this.entries.set(offset, { offset, table, dirty: false, used: ++this.clock });
    return table;
  }

  /** The table at host `offset` if it is cached (counted as a use), without reading or yielding. */
  lookup(offset: number): Uint8Array | undefined {
    const hit = this.entries.get(offset);
    if (hit === undefined) return undefined;
    hit.used = ++this.clock;
    return hit.table;
  }

  /** qcow2_cache_get_empty: a zeroed table for a newly allocated cluster, not read from disk. */
  *getEmpty(offset: number): Co<Uint8Array> {
    const e = this.entries.get(offset);
    if (e !== undefined) {
      e.table.fill(0);
      e.used = ++this.clock;
      return e.table;
    }
    yield* this.makeRoom();
    const table = new Uint8Array(this.tableSize);
    this.entries.set(offset, { offset, table, dirty: false, used: ++this.clock });
    return table;
  }

  /** qcow2_cache_entry_mark_dirty */
  markDirty(offset: number): void {
    const e = this.entries.get(offset);
    if (e !== undefined) e.dirty = true;
  }

  /** qcow2_cache_set_dependency: write `dep`'s dirty tables (and flush) before any of ours. */
  *setDependency(dep: Qcow2Cache): Co {
    if (dep.depends !== undefined) yield* dep.flushDependency();
    if (this.depends !== undefined && this.depends !== dep) yield* this.flushDependency();
    this.depends = dep;
  }

  /** qcow2_cache_depends_on_flush: flush the host file before writing any of our tables. */
  dependOnFlush(): void {
    this.dependsOnFlush = true;
  }

  private *flushDependency(): Co {
    const dep = this.depends;
    if (dep === undefined) return;
    yield* dep.flush();
    this.depends = undefined;
    this.dependsOnFlush = false;
  }

  private *writeEntry(e: Entry): Co {
    if (!e.dirty) return;
    if (this.depends !== undefined) yield* this.flushDependency();
    else if (this.dependsOnFlush) {
      yield* this.file.flush();
      this.dependsOnFlush = false;
    }
    // Another coroutine may have written the entry while this one flushed the dependency.
    if (!(e.dirty as boolean)) return;
    this.beforeWrite?.(e.offset);
    e.dirty = false;
    try {
      yield* this.file.pwrite(e.offset, e.table);
    } catch (err) {
      e.dirty = true;
      throw err;
    }
  }

  private *makeRoom(): Co {
    while (this.entries.size >= this.capacity) {
      let lru: Entry | undefined;
      for (const e of this.entries.values()) if (lru === undefined || e.used < lru.used) lru = e;
      if (lru === undefined) return;
      yield* this.writeEntry(lru);
      if (this.entries.get(lru.offset) === lru && !lru.dirty) this.entries.delete(lru.offset);
    }
  }

  /** qcow2_cache_write: write every dirty table (dependencies first), without flushing the file. */
  *writeBack(): Co {
    const dirty = [...this.entries.values()].filter((e) => e.dirty).sort((a, b) => a.offset - b.offset);
    for (const e of dirty) yield* this.writeEntry(e);
  }

  /** qcow2_cache_flush: write every dirty table, then flush the host file. */
  *flush(): Co {
    yield* this.writeBack();
    yield* this.file.flush();
  }

  /** Whether any table waits to be written. */
  get isDirty(): boolean {
    for (const e of this.entries.values()) if (e.dirty) return true;
    return false;
  }

  /** qcow2_cache_discard: forget a table whose cluster was freed (never written back). */
  discard(offset: number): void {
    this.entries.delete(offset);
  }

  /** Drop every clean table (after a failed write, or to reread from disk). */
  clear(): void {
    for (const [k, e] of this.entries) if (!e.dirty) this.entries.delete(k);
  }
}
