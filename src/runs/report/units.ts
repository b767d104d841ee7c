/** A unit's name from run.json `units`, or "unit<i>" where the list is shorter (older or damaged runs). */
export function unitName(units: readonly string[], i: number): string {
  return units[i] ?? `unit${i}`;
}

/** "stem, block1 … block8, head" for long lists. */
export function abbreviateUnits(units: readonly string[]): string {
  if (units.length <= 5) return units.join(', ');
  return `${units[0]}, ${units[1]} … ${units[units.length - 2]}, ${units[units.length - 1]}`;
}
