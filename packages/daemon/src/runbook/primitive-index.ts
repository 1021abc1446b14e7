/** Which runbook files define which primitives: the basis of name resolution. */
import type { Kind } from './kinds.js';

export class PrimitiveIndex {
  private readonly byKind = new Map<Kind, Map<string, string[]>>();
  private readonly files: string[] = [];

  addFile(file: string): void {
    if (!this.files.includes(file)) this.files.push(file);
  }

  add(kind: Kind, name: string, file: string): void {
    this.addFile(file);
    let names = this.byKind.get(kind);
    if (names === undefined) {
      names = new Map();
      this.byKind.set(kind, names);
    }
    const files = names.get(name) ?? [];
    if (!files.includes(file)) files.push(file);
    names.set(name, files);
  }

  hasFile(file: string): boolean {
    return this.files.includes(file);
  }

  fileNames(): string[] {
    return [...this.files];
  }

  /** Files defining kind/name, in load order. */
  filesDefining(kind: Kind, name: string): string[] {
    return [...(this.byKind.get(kind)?.get(name) ?? [])];
  }

  namesIn(kind: Kind, file: string): string[] {
    const names = this.byKind.get(kind);
    if (names === undefined) return [];
    return [...names.entries()].filter(([, files]) => files.includes(file)).map(([name]) => name);
  }

  allNames(kind: Kind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])];
  }
}
