/** Renders the monitor's numbers for a terminal: a redrawn panel on a TTY, a line at a time otherwise. */
import { basename } from "node:path";
import type { MonitorSnapshot, RecentVerdict } from "../app/monitor.ts";
import type { ConfigStatus } from "../observability/metrics/config-gauges.ts";

const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

/** `published`: a count, or a count with a note ("515150, simulator done"); `drift`: the monitor's state in words. */
export function summaryLine(
  s: MonitorSnapshot,
  published: number | string,
  elapsedS: number,
  drift?: string,
): string {
  const d = s.decisions;
  return (
    `[${elapsedS.toFixed(0)}s] published ${published} | verdicts ${s.verdicts} (${s.rate.toFixed(0)}/s) | ` +
    `fraud A/R/D ${d["fraud.APPROVE"] ?? 0}/${d["fraud.REVIEW"] ?? 0}/${d["fraud.DECLINE"] ?? 0} | ` +
    `moderation A/R/B ${d["moderation.ALLOW"] ?? 0}/${d["moderation.REVIEW"] ?? 0}/${d["moderation.BLOCK"] ?? 0} | ` +
    `review ${s.reviewRequests} | dlq ${Object.values(s.deadLetters).reduce((a, b) => a + b, 0)} | ` +
    `age p50 ${ms(s.latency.p50)} p99 ${ms(s.latency.p99)}` +
    (drift ? ` | drift ${drift}` : "")
  );
}

function verdictLine(v: RecentVerdict, reasons: number): string {
  const score = v.score === null ? "rules" : v.score.toFixed(3);
  return `    ${v.domain.padEnd(10)} ${v.key.slice(0, 12).padEnd(12)} ${v.decision.padEnd(8)} ${score.padStart(6)}  ${v.model.padEnd(24)} ${v.reasons.slice(0, reasons).join("; ").slice(0, 100)}`;
}

/** The followed configuration file in a few words (none when the run has no file). */
export function configState(c: ConfigStatus): string | undefined {
  if (!c.file) return undefined;
  const at = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;
  const last = c.lastReload;
  const change = !last
    ? "no change since start"
    : last.successful
      ? `last change applied ${at(last.at)}`
      : `last change REFUSED ${at(last.at)}, see the log; running the one applied before`;
  return `scoring policy ${c.policyVersion ?? "?"} from ${basename(c.file)} (followed; ${change})`;
}

export function renderPanel(
  s: MonitorSnapshot,
  published: number | string,
  elapsedS: number,
  providers: string,
  drift?: string,
  config?: string,
): string {
  const lines = [
    "\x1b[1mVerdict\x1b[0m — embedded pipeline (ingest → features → inference → scoring), Ctrl-C to stop",
    "",
    `  running ${elapsedS.toFixed(0)} s   published ${published}   verdicts ${s.verdicts}   ${s.rate.toFixed(0)} verdicts/s`,
    `  event age at verdict (last 10 s): p50 ${ms(s.latency.p50)}  p95 ${ms(s.latency.p95)}  p99 ${ms(s.latency.p99)}  max ${ms(s.latency.max)}`,
    `  providers: ${providers}`,
    ...(drift ? [`  drift: ${drift}`] : []),
    ...(config ? [`  config: ${config}`] : []),
    "",
    "  decisions",
  ];
  for (const [k, v] of Object.entries(s.decisions).sort())
    lines.push(`    ${k.padEnd(22)} ${String(v).padStart(8)}`);
  lines.push(`    ${"review requests".padEnd(22)} ${String(s.reviewRequests).padStart(8)}`);
  const dlq = Object.entries(s.deadLetters);
  lines.push(
    "",
    `  dead letters: ${dlq.length === 0 ? "none" : dlq.map(([t, n]) => `${t} ${n}`).join(", ")}`,
    "",
    "  latest verdicts",
    ...s.recent.map((v) => verdictLine(v, 2)),
    "",
    "  latest flagged (review, decline, block)",
    ...(s.flagged.length > 0 ? s.flagged.map((v) => verdictLine(v, 3)) : ["    none yet"]),
  );
  return `\x1b[H\x1b[2J${lines.join("\n")}\n`;
}
