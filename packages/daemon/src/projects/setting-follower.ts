/**
 * Following one kind of cluster-wide setting (workers' started/stopped,
 * crons' enabled/disabled: SharedSettings). A command here writes the
 * setting first (refused, with nothing changed, while the cluster database
 * is away) and changes this host's state only if no newer change was heard
 * meanwhile; a change heard from another host is carried out here when its
 * version is newer than what this host has and its value differs from this
 * host's state. At start, when a project is first loaded, and after notices
 * may have been missed, the project's settings are read again. On one host
 * (SQLite) nothing is shared and every command applies at once.
 */
import type { Logger } from 'winston';
import type { SettingKind, SharedSetting, SharedSettings } from '../storage/shared-store.js';

export interface SettingFollowerDeps {
  kind: SettingKind;
  settings: SharedSettings;
  projects: { roots(): string[]; onFirstLoad(cb: (root: string) => void): void };
  logger: Logger;
  now(): number;
  /** This host's value of the setting now. */
  local(project: string, name: string): string;
  /** Carries out a change another host made (`by`: that host). */
  apply(project: string, name: string, value: string, by: string): Promise<void> | void;
}

export class SettingFollower {
  /** The newest version this host has of each setting. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly d: SettingFollowerDeps) {
    d.settings.onChange((s) => {
      if (s === null) void this.syncAll();
      else if (s.kind === d.kind) void this.follow(s);
    });
    d.projects.onFirstLoad((root) => void this.sync(root));
  }

  /**
   * A command here: records the setting cluster-wide. True when this host
   * should now carry it out (false: a newer change was heard meanwhile, and
   * carried out instead).
   */
  async set(project: string, name: string, value: string): Promise<boolean> {
    const version = await this.d.settings.set(this.d.kind, project, name, value, this.d.now());
    if (version === null) return true;
    const key = keyOf(project, name);
    const had = this.seen.get(key) ?? 0;
    if (had > version) return false;
    this.seen.set(key, version);
    return true;
  }

  /** Reads a project's settings again and follows them. */
  async sync(project: string): Promise<void> {
    try {
      for (const s of await this.d.settings.list(project)) if (s.kind === this.d.kind) await this.follow(s);
    } catch (err) {
      this.d.logger.warn('cluster settings not read', { project, kind: this.d.kind, error: String(err) });
    }
  }

  /** Every project this host serves, and `more` (e.g. those with rows of their own). */
  async syncAll(more: readonly string[] = []): Promise<void> {
    for (const root of new Set([...this.d.projects.roots(), ...more])) await this.sync(root);
  }

  private async follow(s: SharedSetting): Promise<void> {
    const key = keyOf(s.project, s.name);
    if ((this.seen.get(key) ?? 0) >= s.version) return;
    this.seen.set(key, s.version);
    if (this.d.local(s.project, s.name) === s.value) return;
    try {
      await this.d.apply(s.project, s.name, s.value, s.host);
    } catch (err) {
      this.d.logger.warn('cluster setting not followed here', { project: s.project, kind: s.kind, name: s.name, value: s.value, error: String(err) });
    }
  }
}

function keyOf(project: string, name: string): string {
  return `${project}\0${name}`;
}
