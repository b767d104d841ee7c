#!/usr/bin/env node
// CI (.ci/run): can Dawn create a WebGPU adapter on this machine (a software one counts)? Prints the
// adapter, or why not. Exit 0: an adapter works (1 + 2 computed on it); 3: none here (the webgpu
// checks are skipped); anything else: this script itself broke. Needs `npm run build` (it loads dist/)
// and EGL_PLATFORM in the environment at start for Dawn's OpenGL ES backend on Mesa.
import console from 'node:console';
import process from 'node:process';
import { tryBackend } from '../dist/src/engine/backend.js';
import { releaseWebGpu } from '../dist/src/engine/backends/webgpu.js';
import * as tf from '@tensorflow/tfjs-core';

const trial = await tryBackend('webgpu', { allowSoftwareAdapter: true });
if (trial.attempt.ok && trial.loaded) {
  console.log(`webgpu: ${trial.loaded.device}`);
  releaseWebGpu((n) => tf.removeBackend(n));
  process.exit(0);
}
console.log(`webgpu: ${trial.attempt.reason}${trial.attempt.fix ? ` (fix: ${trial.attempt.fix})` : ''}`);
process.exit(3);
