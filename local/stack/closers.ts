/**
 * What the local stack closes when it stops, in order: what others depend on last.
 */
export class Closers {
  private readonly list: Array<() => Promise<unknown>> = [];

  /** Closed after everything already here (a server the later parts use). */
  last(close: () => Promise<unknown>): void {
    this.list.push(close);
  }

  /** Closed before everything already here (a proxy in front of a server, a loop that uses it). */
  first(close: () => Promise<unknown>): void {
    this.list.unshift(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.list) await close();
  }
}
