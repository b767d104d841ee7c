/**
 * How a webgpu test behaves where Dawn cannot create an adapter: it skips with the reason, except
 * when RESNET_TUTOR_REQUIRE_WEBGPU=1 (set by .ci/run once it has seen an adapter on the machine),
 * where a skip would hide a broken route, so it fails.
 */
export const REQUIRE_WEBGPU_ENV = 'RESNET_TUTOR_REQUIRE_WEBGPU';

export function skipWithoutWebGpu(ctx: { skip: (note?: string) => never }, problem: string | null | undefined): void {
  if (problem === null || problem === undefined) return;
  if (process.env[REQUIRE_WEBGPU_ENV] === '1') {
    throw new Error(`${REQUIRE_WEBGPU_ENV}=1 (an adapter was created on this machine before the tests), but here: ${problem}`);
  }
  ctx.skip(`the WebGPU adapter cannot be created here: ${problem}`);
}
