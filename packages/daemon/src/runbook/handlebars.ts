/**
 * Handlebars (prompt templates), loaded the first time a prompt template is
 * checked or rendered: ~35 module files, and a source map library, that a
 * daemon whose runbooks have no agent prompts never needs. It is CommonJS,
 * so it loads synchronously, as the runbook loader requires.
 */
import { createRequire } from 'node:module';
import type HandlebarsModule from 'handlebars';
import { lazyValue } from '../lazy-module.js';

export type Handlebars = typeof HandlebarsModule;

export const loadHandlebars = lazyValue('handlebars (prompt templates)', () => createRequire(import.meta.url)('handlebars') as Handlebars);
