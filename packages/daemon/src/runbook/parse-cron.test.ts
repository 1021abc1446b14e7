/** `[cron.x]` with a calendar `schedule`: its fields, defaults and load errors (file, line, field). */
import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import type { Project } from './project.js';
import { formatRunbookError } from './runbook-error.js';

function load(text: string): Project {
  const result = buildProjectFromTexts({ runbooks: { main: text } });
  if (!result.ok) throw new Error(result.errors.map(formatRunbookError).join('\n'));
  return result.project;
}

/** Each problem as `oj runbook check` prints it. */
function problems(text: string): string[] {
  const result = buildProjectFromTexts({ runbooks: { main: text } });
  return result.ok ? [] : result.errors.map(formatRunbookError);
}

const HINT = '5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, @weekly; e.g. "0 9 * * 1-5"';

describe('cron schedule', () => {
  it('reads a calendar cron with its zone, jitter and catch-up; defaults: local zone, no jitter, catch_up latest', () => {
    const p = load(
      '[cron.a]\nschedule = "0 9 * * 1-5"\ntimezone = "Europe/Paris"\njitter = "5m"\ncatch_up = "all"\nmax_catch_up = 3\nrun = "x"\n' +
        '[cron.b]\nschedule = "@daily"\nrun = "x"\n[cron.c]\nschedule = "*/2 * * * * *"\ncatch_up = "none"\nrun = "x"\n',
    );
    expect(p.cron('a')).toMatchObject({ interval: null, schedule: '0 9 * * 1-5', timezone: 'Europe/Paris', jitter: { ms: 300_000 }, catch_up: 'all', max_catch_up: 3 });
    expect(p.cron('b')).toMatchObject({ schedule: '@daily', timezone: null, jitter: null, catch_up: 'latest', max_catch_up: 10 });
    expect(p.cron('c')).toMatchObject({ schedule: '*/2 * * * * *', catch_up: 'none' });
    // An interval cron has the same catch-up rule.
    expect(load('[cron.i]\ninterval = "1h"\ncatch_up = "none"\nrun = "x"').cron('i')).toMatchObject({ schedule: null, catch_up: 'none' });
  });

  it('writes a zone as the time-zone database spells it', () => {
    expect(load('[cron.a]\nschedule = "@hourly"\ntimezone = "america/new_york"\nrun = "x"').cron('a')!.timezone).toBe('America/New_York');
  });

  it('an invalid expression is a load error naming file, line and field, with the reason and a hint', () => {
    expect(problems('[cron.a]\nrun = "x"\nschedule = "61 * * * *"\n')).toEqual([
      `.oj/runbooks/main.toml:3: cron.a field schedule: bad schedule "61 * * * *": Invalid value for minute: 61 (${HINT})`,
    ]);
    expect(problems('[cron.a]\nschedule = "* * *"\nrun = "x"')).toEqual([`.oj/runbooks/main.toml:2: cron.a field schedule: bad schedule "* * *": it has 3 fields (${HINT})`]);
    expect(problems('[cron.a]\nschedule = "0 0 30 2 *"\nrun = "x"')).toEqual([`.oj/runbooks/main.toml:2: cron.a field schedule: bad schedule "0 0 30 2 *": "0 0 30 2 *" never matches a date (${HINT})`]);
    expect(problems('[cron.a]\nschedule = 5\nrun = "x"')).toEqual(['.oj/runbooks/main.toml:2: cron.a field schedule: expected a string, got the integer 5']);
  });

  it('an unknown zone is a load error naming file, line and field, with a did-you-mean', () => {
    expect(problems('[cron.a]\nschedule = "0 3 * * *"\n\ntimezone = "America/New_Yrok"\nrun = "x"')).toEqual([
      '.oj/runbooks/main.toml:4: cron.a field timezone: unknown time zone "America/New_Yrok" (did you mean "America/New_York"?)',
    ]);
    expect(problems('[cron.a]\nschedule = "0 3 * * *"\ntimezone = "+02:00"\nrun = "x"')).toEqual([
      '.oj/runbooks/main.toml:3: cron.a field timezone: unknown time zone "+02:00" (an IANA time zone name, e.g. "Europe/Paris", "America/New_York" or "UTC")',
    ]);
  });

  it('interval or schedule, never both; zone and jitter only with a schedule', () => {
    expect(problems('[cron.a]\ninterval = "1h"\nschedule = "@daily"\nrun = "x"')).toEqual([
      '.oj/runbooks/main.toml:3: cron.a field schedule: a cron has interval or schedule, not both (interval = "30m" runs every 30 minutes from when it is enabled; schedule = "*/30 * * * *" on the clock)',
    ]);
    expect(problems('[cron.a]\ninterval = "1h"\ntimezone = "UTC"\njitter = "1m"\nrun = "x"')).toEqual([
      '.oj/runbooks/main.toml:3: cron.a field timezone: timezone applies to a schedule, and this cron has none (e.g. schedule = "0 3 * * *")',
      '.oj/runbooks/main.toml:4: cron.a field jitter: jitter applies to a schedule, and this cron has none (e.g. schedule = "0 3 * * *")',
    ]);
  });

  it('checks catch_up and max_catch_up', () => {
    expect(problems('[cron.a]\nschedule = "@daily"\ncatch_up = "some"\nrun = "x"')).toEqual([
      '.oj/runbooks/main.toml:3: cron.a field catch_up: "some" is not a catch-up rule (one of "latest" (run once for the last missed slot), "none", "all" (each missed slot, up to max_catch_up))',
    ]);
    expect(problems('[cron.a]\nschedule = "@daily"\nmax_catch_up = 3\nrun = "x"')).toEqual([
      '.oj/runbooks/main.toml:3: cron.a field max_catch_up: max_catch_up applies to catch_up = "all", and the default is "latest" (add catch_up = "all", or remove max_catch_up)',
    ]);
    expect(problems('[cron.a]\nschedule = "@daily"\ncatch_up = "all"\nmax_catch_up = 0\nrun = "x"')).toEqual(['.oj/runbooks/main.toml:4: cron.a field max_catch_up: must be at least 1, got 0']);
    expect(problems('[cron.a]\ninterval = "1h"\ncatch_up = "all"\nmax_catch_up = 5000\nrun = "x"')).toEqual(['.oj/runbooks/main.toml:4: cron.a field max_catch_up: must be at most 1000, got 5000']);
  });
});
