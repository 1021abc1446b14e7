/**
 * How a context value becomes text when interpolated: strings as they are,
 * numbers in decimal, booleans as true/false, null as the empty string, word
 * lists (variadic arguments) joined with single spaces, dates as ISO 8601,
 * other arrays and objects as compact JSON.
 */
import { InterpolationError, WordList } from './interpolation-context.js';

export function valueToText(value: unknown, placeholder: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return '';
  if (value instanceof WordList) return value.words.join(' ');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) || typeof value === 'object') return JSON.stringify(value);
  throw new InterpolationError(`placeholder ${placeholder} holds a ${typeof value}, which has no text form`, placeholder);
}
