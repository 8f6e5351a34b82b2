/**
 * Customer and terminal profiles and the terminals each customer may use (handbook ch. 3,
 * "Transaction data simulator": generate_customer_profiles_table, generate_terminal_profiles_table,
 * get_list_terminals_within_radius).
 */
import { STREAM } from "./ids.ts";
import { createRandom } from "./random.ts";
import type { CustomerProfiles, TerminalProfiles } from "./types.ts";

/** The grid the profiles live on: x, y ~ U(0, 100). */
export const GRID_SIZE = 100;

/**
 * Terminals: x, y ~ U(0, 100), drawn in terminal order from one stream.
 */
export function generateTerminalProfiles(seed: number, count: number): TerminalProfiles {
  const rng = createRandom(seed, STREAM.terminalProfiles);
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    x[t] = rng.uniform(0, GRID_SIZE);
    y[t] = rng.uniform(0, GRID_SIZE);
  }
  return { count, x, y };
}

/**
 * Customers: x, y ~ U(0, 100); mean_amount ~ U(5, 100); std_amount = mean_amount / 2;
 * mean_nb_tx_per_day ~ U(0, 4); drawn in that order, customer by customer, from one stream. Then the
 * terminals at Euclidean distance < radius.
 */
export function generateCustomerProfiles(
  seed: number,
  count: number,
  terminals: TerminalProfiles,
  radius: number,
): CustomerProfiles {
  const rng = createRandom(seed, STREAM.customerProfiles);
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  const meanAmount = new Float64Array(count);
  const stdAmount = new Float64Array(count);
  const meanTxPerDay = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    x[c] = rng.uniform(0, GRID_SIZE);
    y[c] = rng.uniform(0, GRID_SIZE);
    const mean = rng.uniform(5, 100);
    meanAmount[c] = mean;
    stdAmount[c] = mean / 2;
    meanTxPerDay[c] = rng.uniform(0, 4);
  }
  const { offsets, members } = terminalsWithinRadius(x, y, terminals, radius);
  return {
    count,
    x,
    y,
    meanAmount,
    stdAmount,
    meanTxPerDay,
    availableOffsets: offsets,
    availableTerminals: members,
  };
}

/**
 * For each point (customer), the terminals at distance < radius, ascending (like the handbook's
 * `np.where(dist < r)`). A uniform grid of cell side `radius` means only the 3×3 neighbouring cells
 * can hold a match: O(customers × ~9 × terminals-per-cell) instead of customers × terminals.
 */
export function terminalsWithinRadius(
  px: Float64Array,
  py: Float64Array,
  terminals: TerminalProfiles,
  radius: number,
): { offsets: Int32Array; members: Int32Array } {
  const cells = Math.max(1, Math.ceil(GRID_SIZE / radius));
  const cellOf = (v: number): number => Math.min(cells - 1, Math.max(0, Math.floor(v / radius)));
  // Bucket terminals by cell (CSR), keeping ascending terminal order inside each cell.
  const cellStart = new Int32Array(cells * cells + 1);
  for (let t = 0; t < terminals.count; t++) {
    cellStart[cellOf(terminals.y[t] as number) * cells + cellOf(terminals.x[t] as number) + 1]! += 1;
  }
  for (let i = 0; i < cells * cells; i++) cellStart[i + 1]! += cellStart[i] as number;
  const fill = cellStart.slice(0, cells * cells);
  const byCell = new Int32Array(terminals.count);
  for (let t = 0; t < terminals.count; t++) {
    const cell = cellOf(terminals.y[t] as number) * cells + cellOf(terminals.x[t] as number);
    byCell[fill[cell]!++] = t;
  }

  const offsets = new Int32Array(px.length + 1);
  let members = new Int32Array(Math.max(16, px.length * 8));
  let size = 0;
  const found: number[] = [];
  for (let c = 0; c < px.length; c++) {
    const cx = px[c] as number;
    const cy = py[c] as number;
    const gx = cellOf(cx);
    const gy = cellOf(cy);
    found.length = 0;
    for (let yy = Math.max(0, gy - 1); yy <= Math.min(cells - 1, gy + 1); yy++) {
      for (let xx = Math.max(0, gx - 1); xx <= Math.min(cells - 1, gx + 1); xx++) {
        const cell = yy * cells + xx;
        for (let k = cellStart[cell] as number; k < (cellStart[cell + 1] as number); k++) {
          const t = byCell[k] as number;
          const dx = cx - (terminals.x[t] as number);
          const dy = cy - (terminals.y[t] as number);
          if (Math.sqrt(dx * dx + dy * dy) < radius) found.push(t);
        }
      }
    }
    found.sort((a, b) => a - b);
    if (size + found.length > members.length) {
      const grown = new Int32Array(Math.max(members.length * 2, size + found.length));
      grown.set(members);
      members = grown;
    }
    for (const t of found) members[size++] = t;
    offsets[c + 1] = size;
  }
  return { offsets, members: members.slice(0, size) };
}
