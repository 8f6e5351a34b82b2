/** Units shared by the simulator modules. */

export const SECONDS_PER_DAY = 86400;
export const MS_PER_DAY = SECONDS_PER_DAY * 1000;

/**
 * Rounds to cents, the 2 decimals the handbook keeps (np.round(amount, 2)). Half away from zero where
 * numpy rounds half to even; a tie needs an exact binary half-cent, which continuous draws never give.
 */
export function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}
