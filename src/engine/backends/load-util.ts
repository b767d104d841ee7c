/** Small helpers the backend loaders share: package lookup, env defaults, tfjs's console, error text. */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { locateNative, type NativePackage } from '../../platform/native-home.js';
import { BACKEND_PACKAGES } from './backend-errors.js';

// ---------------------------------------------------------------------------------------------
// Loading backends

const require = createRequire(import.meta.url);

/** Can this package be found from here? */
export function isResolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** The version in the package's package.json, or null when it is not installed. */
export function packageVersion(pkg: string): string | null {
  try {
    const json = require(`${pkg}/package.json`) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : null;
  } catch {
    // The TensorFlow native builds may live in the per-user folder (`resnet-tutor gpu setup`).
    if (pkg !== BACKEND_PACKAGES['node-gpu'] && pkg !== BACKEND_PACKAGES.node) return null;
    const location = locateNative(pkg as NativePackage);
    if (!location) return null;
    try {
      const json = JSON.parse(readFileSync(`${location.root}/package.json`, 'utf8')) as { version?: unknown };
      return typeof json.version === 'string' ? json.version : null;
    } catch {
      return null;
    }
  }
}

export function setEnvDefault(key: string, value: string): void {
  if (process.env[key] === undefined || process.env[key] === '') process.env[key] = value;
}

export function silenceTfjs(): void {
  // Silences tfjs's console warnings, among them the cpu backend's "Hi, looks like you are running
  // TensorFlow.js in Node.js" banner and "backend was already registered".
  tf.env().set('PROD', true);
}

export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
