import { describe, expect, it } from 'vitest';
import { adapterDeviceLine, dawnOrder, summarizeAdapter } from '../../src/engine/backends/webgpu.js';
import { webGpuAdvice, type VulkanFacts } from '../../src/engine/backends/webgpu-advice.js';

const facts = (f: Partial<VulkanFacts>): VulkanFacts => ({
  loader: true,
  icds: [],
  nvidiaGpu: false,
  renderNodes: [],
  hypervisor: null,
  containerCapabilities: null,
  ...f,
});

describe('WebGPU adapters', () => {
  it('llvmpipe (what Dawn reports on this machine) is software even though isFallbackAdapter is false', () => {
    const a = summarizeAdapter(
      {
        vendor: '',
        architecture: '',
        device: 'llvmpipe-llvm-15-0-6-256-bits-',
        description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
        isFallbackAdapter: false,
      },
      'opengles',
    );
    expect(a.software).toBe(true);
    expect(adapterDeviceLine(a)).toMatch(/^CPU \(WebGPU software adapter on OpenGL ES: llvmpipe/);
  });
  it('a hardware adapter names vendor and architecture', () => {
    const a = summarizeAdapter(
      { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 550.54' },
      'vulkan',
    );
    expect(a.software).toBe(false);
    expect(adapterDeviceLine(a)).toBe('GPU (WebGPU on Vulkan: nvidia hopper, NVIDIA H200)');
    expect(summarizeAdapter({ device: 'x' }, 'vulkan', true).software).toBe(true);
  });
  it('auto asks Vulkan only; a named webgpu adds OpenGL ES; the env var forces one', () => {
    expect(dawnOrder({}, false)).toEqual(['vulkan']);
    expect(dawnOrder({}, true)).toEqual(['vulkan', 'opengles']);
    expect(dawnOrder({ RESNET_TUTOR_DAWN_BACKEND: 'opengles' }, false)).toEqual(['opengles']);
  });
});

describe('why WebGPU has no hardware adapter', () => {
  it('an NVIDIA container without the graphics capability', () => {
    expect(webGpuAdvice(facts({ nvidiaGpu: true, containerCapabilities: 'compute,utility' })).reason).toMatch(
      /NVIDIA_DRIVER_CAPABILITIES=compute,utility/,
    );
  });
  it('an NVIDIA GPU without the Vulkan loader', () => {
    expect(webGpuAdvice(facts({ nvidiaGpu: true, loader: false })).fix).toMatch(/libvulkan1/);
  });
  it('a compute-only NVIDIA driver install (no nvidia_icd.json)', () => {
    expect(webGpuAdvice(facts({ nvidiaGpu: true, icds: ['lvp_icd.x86_64.json'] })).reason).toMatch(/compute-only driver install/);
  });
  it('a virtual machine whose GPU has no Vulkan driver', () => {
    const a = webGpuAdvice(facts({ icds: ['lvp_icd.x86_64.json'], hypervisor: 'QEMU Standard PC' }));
    expect(a.reason).toMatch(/only lvp_icd.x86_64.json/);
    expect(a.reason).toMatch(/virtual machine \(QEMU/);
  });
  it('no loader and no GPU: wasm is the answer', () => {
    expect(webGpuAdvice(facts({ loader: false })).fix).toMatch(/wasm is the fastest backend/);
  });
  it('drivers but no device node', () => {
    expect(webGpuAdvice(facts({ icds: ['radeon_icd.x86_64.json'] })).fix).toMatch(/\/dev\/dri/);
  });
});
