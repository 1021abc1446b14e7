/**
 * Flow control of one child's output pipes: closed while anyone holds it,
 * each for its own reason ('log': the log file's write buffer is full;
 * 'ojd': ojd's consumer of the output is behind; 'stdout': the spawner's
 * own stdout to ojd is backed up). While closed, the pipes are not read:
 * the kernel pipe fills and the child blocks in write(), so output waits in
 * the child, not in our memory. Node builtins only (loaded by the spawner).
 */
export class Valve {
  private readonly holds = new Set<string>();

  constructor(private readonly apply: (open: boolean) => void) {}

  hold(reason: string): void {
    const was = this.holds.size;
    this.holds.add(reason);
    if (was === 0) this.apply(false);
  }

  release(reason: string): void {
    if (!this.holds.delete(reason)) return;
    if (this.holds.size === 0) this.apply(true);
  }

  get open(): boolean {
    return this.holds.size === 0;
  }
}
