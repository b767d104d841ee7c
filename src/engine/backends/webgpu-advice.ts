/**
 * Why WebGPU finds no hardware adapter here, and what fixes it. The facts are gathered by
 * `gatherVulkanFacts` (file reads only, injectable) and judged by the pure `webGpuAdvice`.
 */
import type { FileReader } from '../../platform/nvidia-smi.js';

export interface VulkanFacts {
  /** libvulkan.so.1 opens. */
  readonly loader: boolean;
  /** Vulkan driver manifests (ICD json file names) found in the standard folders. */
  readonly icds: readonly string[];
  /** An NVIDIA GPU is seen (nvidia-smi or /proc/driver/nvidia). */
  readonly nvidiaGpu: boolean;
  /** /dev/dri render nodes (Mesa's and other open drivers' GPUs). */
  readonly renderNodes: readonly string[];
  /** e.g. 'KVM', 'VMware Virtual Platform' (from DMI), when it names a hypervisor. */
  readonly hypervisor: string | null;
  /** NVIDIA_DRIVER_CAPABILITIES of an NVIDIA container, when set. */
  readonly containerCapabilities: string | null;
}

export const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
const SOFTWARE_ICD = /lvp|lavapipe|swiftshader/i;
const HYPERVISOR = /kvm|qemu|vmware|virtualbox|hyper-v|xen|bochs|amazon ec2|google compute engine|openstack/i;

export function gatherVulkanFacts(files: FileReader, loader: boolean, nvidiaGpu: boolean, env: NodeJS.ProcessEnv): VulkanFacts {
  const icds = ICD_DIRS.flatMap((d) => (files.listDir(d) ?? []).filter((f) => f.endsWith('.json')));
  const renderNodes = (files.listDir('/dev/dri') ?? []).filter((f) => f.startsWith('renderD'));
  const product =
    `${files.readFile('/sys/class/dmi/id/sys_vendor') ?? ''} ${files.readFile('/sys/class/dmi/id/product_name') ?? ''}`.trim();
  return {
    loader,
    icds,
    nvidiaGpu,
    renderNodes,
    hypervisor: HYPERVISOR.test(product) ? product.replace(/\s+/g, ' ') : null,
    containerCapabilities: env.NVIDIA_DRIVER_CAPABILITIES ?? null,
  };
}

/** Pure: why there is no hardware WebGPU adapter, and the fix, from the facts. */
export function webGpuAdvice(f: VulkanFacts): { reason: string; fix: string } {
  const hardwareIcds = f.icds.filter((n) => !SOFTWARE_ICD.test(n));
  if (f.nvidiaGpu) {
    const caps = f.containerCapabilities;
    if (caps !== null && !/\b(all|graphics|display)\b/.test(caps)) {
      return {
        reason: `this is an NVIDIA container with NVIDIA_DRIVER_CAPABILITIES=${caps}: the driver's Vulkan part (graphics) is not mounted`,
        fix: 'start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or all), or use the TensorFlow route (`resnet-tutor gpu setup`)',
      };
    }
    if (!f.loader) {
      return {
        reason: 'the Vulkan loader (libvulkan.so.1) is not installed, so WebGPU cannot reach the NVIDIA GPU',
        fix: 'install it (`apt-get install libvulkan1`, or ask the admin; no root: the Vulkan loader can also live in a folder on LD_LIBRARY_PATH)',
      };
    }
    if (!f.icds.some((n) => /nvidia/i.test(n))) {
      return {
        reason:
          'the NVIDIA driver has no Vulkan driver manifest (nvidia_icd.json): a compute-only driver install (CUDA without the graphics libraries)',
        fix: 'install the full NVIDIA driver user-space libraries (e.g. `libnvidia-gl-<version>` on Ubuntu, matching the kernel driver), or use the TensorFlow route (`resnet-tutor gpu setup`)',
      };
    }
    return {
      reason:
        'the NVIDIA Vulkan driver is installed but Dawn got no adapter from it (driver too old for Vulkan 1.1, or the GPU is not visible to this user)',
      fix: 'check `vulkaninfo --summary`; update the NVIDIA driver; or use the TensorFlow route (`resnet-tutor gpu setup`)',
    };
  }
  if (!f.loader) {
    return {
      reason: 'no Vulkan loader (libvulkan.so.1) and no NVIDIA GPU seen',
      fix: 'on a GPU machine, install the Vulkan loader and the GPU vendor driver (`apt-get install libvulkan1 mesa-vulkan-drivers` for AMD/Intel); without a GPU, wasm is the fastest backend',
    };
  }
  if (hardwareIcds.length === 0) {
    const virtual = f.hypervisor ? ` This is a virtual machine (${f.hypervisor}); its virtual GPU has no Vulkan driver.` : '';
    return {
      reason: `no hardware Vulkan driver is installed (${f.icds.length > 0 ? `only ${f.icds.join(', ')}` : 'no ICD manifests'}).${virtual}`,
      fix: 'install the GPU vendor driver with Vulkan support (NVIDIA driver, or `mesa-vulkan-drivers` for AMD/Intel); without a GPU, wasm is the fastest backend',
    };
  }
  if (f.renderNodes.length === 0) {
    return {
      reason: `Vulkan drivers are installed (${hardwareIcds.join(', ')}) but no GPU device node (/dev/dri/renderD*) is visible`,
      fix: 'give this user or container access to the GPU (`--device /dev/dri` for containers, or the `render` group)',
    };
  }
  return {
    reason: `Vulkan drivers (${hardwareIcds.join(', ')}) and GPU nodes are present but Dawn found no hardware adapter`,
    fix: 'check `vulkaninfo --summary`; set RESNET_TUTOR_DAWN_BACKEND=opengles to try OpenGL ES instead',
  };
}
