/**
 * Preload that counts a process's socket writes by Kafka API (the request's api key) and the time
 * spent in each write call, written as JSON to $VERDICT_BENCH_SOCKET_WRITES at exit. On this
 * machine a write to the loopback broker costs 0.1–0.3 ms of the caller's thread, so the number of
 * requests, not their size, drives much of the CPU at moderate load (BENCHMARKS.md, fifth pass).
 *
 *   VERDICT_BENCH_SOCKET_WRITES=/tmp/w.json \
 *   VERDICT_BENCH_NODE_FLAGS="--max-semi-space-size=32 --import ./bench/lib/socket-writes.mjs" \
 *   npx tsx bench/latency.ts --rate 5000 --duration 20
 */
import { writeFileSync } from "node:fs";
import net from "node:net";

const API_NAMES = { 0: "Produce", 1: "Fetch", 3: "Metadata", 8: "OffsetCommit", 12: "Heartbeat" };
const out = process.env.VERDICT_BENCH_SOCKET_WRITES;
if (out) {
  const original = net.Socket.prototype.write;
  const stats = {};
  net.Socket.prototype.write = function write(chunk, ...rest) {
    const started = process.hrtime.bigint();
    const result = original.call(this, chunk, ...rest);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // A Kafka request: int32 size, int16 api key, ...
    const api = Buffer.isBuffer(chunk) && chunk.length >= 6 ? chunk.readInt16BE(4) : -1;
    const name = API_NAMES[api] ?? (api >= 0 ? `api ${api}` : "other");
    if (!stats[name]) stats[name] = { writes: 0, bytes: 0, ms: 0 };
    const s = stats[name];
    s.writes++;
    s.bytes += chunk?.length ?? 0;
    s.ms += ms;
    return result;
  };
  process.on("exit", () => writeFileSync(`${out}.${process.pid}.json`, JSON.stringify(stats, null, 1)));
}
