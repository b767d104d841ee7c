/**
 * The one way engine code imports TensorFlow.js. `@tensorflow/tfjs-core` alone registers no gradients;
 * in Node only the `@tensorflow/tfjs` bundle registers them on the same tfjs-core instance that the
 * backends (cpu, wasm, tfjs-node) use. It costs about 0.05 s more to load, and only workers load it.
 */
export * from '@tensorflow/tfjs';
