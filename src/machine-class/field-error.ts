// Validation errors an operator can act on: the field's path, what is allowed, and what was given,
// shortened and never for secret fields. MCM parses error strings by square brackets, so the
// formatted form contains none.

import type { z } from 'zod';

export interface FieldError {
  /** Dotted path from the object's root, e.g. `providerSpec.bootVolume.source.type`; map keys quoted when needed. */
  path: string;
  /** What is wrong and what is allowed, in plain words. */
  message: string;
  /** The offending value, shortened; absent when missing or when the field is secret. */
  value?: string;
}

export type PathSegment = string | number;

const maxValueChars = 60;

/** `providerSpec.labels."kubernetes.io/machine"`, `providerSpec.volumes.1`. */
export function formatPath(root: string, segments: readonly PropertyKey[]): string {
  let out = root;
  for (const s of segments) {
    if (typeof s === 'number' || (typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)))
      out += `.${s}`;
    else out += `.${JSON.stringify(String(s))}`;
  }
  return out;
}

/** A short, one-line rendering of a value for an error message. */
export function displayValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const cut = value.length > maxValueChars ? `${value.slice(0, maxValueChars)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return 'an object';
}

export function formatFieldError(e: FieldError): string {
  const line = `${e.path}: ${e.message}${e.value === undefined ? '' : ` (got ${e.value})`}`;
  return line
    .replaceAll('[', '(')
    .replaceAll(']', ')')
    .replace(/[\r\n]+/g, ' ');
}

/** One line per error, no square brackets. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map(formatFieldError).join('\n');
}

export function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[s];
  }
  return cur;
}

const typeWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object with fields',
  record: 'a map of keys to values',
};

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export interface IssueConversion {
  /** Root name for paths, e.g. `providerSpec`. */
  root: string;
  /** The input the issues were found in (to show the offending value). */
  input: unknown;
  /** Paths whose values must never be shown (user data, keys, tokens). */
  isHidden: (segments: readonly PropertyKey[]) => boolean;
}

/**
 * Turns zod issues into FieldErrors. Schemas carry their own plain-words messages; only type
 * mismatches and missing fields are phrased here. Custom issues may carry `params.value` (for
 * example a map key) to show instead of the value at the path.
 */
export function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[], c: IssueConversion): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const path = formatPath(c.root, issue.path);
    const hidden = c.isHidden(issue.path);
    const input = valueAt(c.input, issue.path);
    let message = issue.message;
    // Objects say nothing in one line; their fields carry their own errors.
    const showable = input !== undefined && !isPlainObject(input);
    let value: string | undefined = hidden || !showable ? undefined : displayValue(input);
    const zodDefault = issue.message.startsWith('Invalid');
    if (issue.code === 'invalid_type') {
      const expected = typeWords[issue.expected] ?? issue.expected;
      if (input === undefined)
        message = zodDefault ? `is required and must be ${expected}` : `is required; ${message}`;
      else if (zodDefault) message = `must be ${expected}, not ${kindOf(input)}`;
      if (typeof input === 'object' && input !== null) value = undefined;
    } else if (issue.code === 'invalid_value' && input === undefined) {
      message = `is required; ${message}`;
    }
    const params = issue.code === 'custom' ? issue.params : undefined;
    if (params && 'value' in params) {
      value = hidden ? undefined : displayValue(params.value);
    }
    const e: FieldError = { path, message };
    if (value !== undefined) e.value = value;
    out.push(e);
  }
  return out;
}
