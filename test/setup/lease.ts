/**
 * Leases on the local stack: every test run that uses it drops a file named after its PID in the
 * state dir, so a run that started the stack does not stop it while another run (a second
 * terminal, a colleague's session on the same checkout) is still testing against it.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readCmdline } from "../../infra/local/process.ts";

export interface Lease {
  /** Drops our lease; answers how many other live runs still hold one. */
  release(): number;
}

export function takeLease(stateDir: string, pid = process.pid): Lease {
  const dir = join(stateDir, "leases");
  mkdirSync(dir, { recursive: true });
  const mine = join(dir, String(pid));
  writeFileSync(mine, `${new Date().toISOString()}\n`);
  return {
    release() {
      rmSync(mine, { force: true });
      let others = 0;
      for (const name of readdirSync(dir)) {
        if (readCmdline(Number(name)) === undefined) rmSync(join(dir, name), { force: true });
        else others++;
      }
      return others;
    },
  };
}
