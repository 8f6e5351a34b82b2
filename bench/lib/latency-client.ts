/**
 * The client side of the latency benchmark: an upstream app publishing the dataset's mix of events
 * at a fixed rate (small batches every tick, not bursts), and a downstream service consuming the
 * verdicts. Import only with VERDICT_TOPIC_PREFIX set to the pipeline's namespace.
 *
 * Two clocks (same machine, so comparable):
 * - broker timestamps: verdict record timestamp − `origin-timestamp` header (the timestamp of the
 *   input record the verdict derives from). Both are CreateTime (the topics keep the default), i.e.
 *   set by the producing client when it builds the record: pipeline latency up to the verdict's send;
 * - client clock: verdict consumed here − publishMany() called here for that event: adds the SDK's
 *   validation/encoding, the input produce, the verdict's produce ack and the downstream fetch.
 */
import { type Message, Partitioners } from "kafkajs";
import { fromKafkaHeaders, ORIGIN_TIMESTAMP } from "../../lib/trace/index.ts";
import { type Publishable, postSource, transactionSource } from "../../producers/publish/index.ts";
import { createProducer, type EncodedEvent } from "../../producers/sdk/index.ts";
import { TOPIC_PREFIX, TOPICS, type TopicDescriptor } from "../../topology/index.ts";
import { benchDeps } from "./env.ts";
import { type Profiling, startProfiling } from "./profiling.ts";
import { percentile, sorted } from "./stats.ts";

const DAY = 86_400_000;

export interface LatencyOptions {
  /** Input events per second (transactions + labels + posts). */
  rate: number;
  durationS: number;
  warmupS: number;
  tickMs: number;
  /** Write a V8 CPU profile of this process (the clients) over the measured window to this file. */
  clientProfile?: string;
  /** Share of posts in the input mix (the throughput dataset's: posts / all events). */
  postShare: number;
  seed: number;
  log: (line: string) => void;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LatencyResult {
  rate: number;
  achievedRate: number;
  sent: number;
  measured: {
    events: number;
    expectedVerdicts: number;
    verdicts: number;
    missing: number;
    /** A few event ids without a verdict (dead-lettered or dropped as duplicates by ingest). */
    missingIds: string[];
  };
  brokerClockMs: Percentiles;
  clientClockMs: Percentiles;
  /** How long publishMany took (validate + encode + send + ack) per tick. */
  produceCallMs: Percentiles;
  /** Stage timings carried in the verdicts (timings map), for the measured events. */
  timings: Record<string, Percentiles>;
}

export function percentiles(xs: number[]): Percentiles {
  const s = sorted(xs);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? Number.NaN),
    mean: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

/**
 * Transactions + their labels and posts, mixed at `postShare`, rebased into the past. The first
 * simulated week (transactions whose labels are not due yet) is skipped: from then on transactions
 * and labels alternate as in the steady state, so the mix is the throughput dataset's (about 40 %
 * transactions, 40 % labels, 20 % posts).
 */
async function* mix(total: number, postShare: number, seed: number): AsyncGenerator<Publishable> {
  const customers = 1000;
  // ≈1.9 transactions per customer-day, each with a label 7 days later: ~3.8 events per customer-day.
  const days = 8 + Math.ceil((total * (1 - postShare)) / (customers * 3.5));
  const posts = Math.ceil(total * postShare) + 100;
  const txOffset = Date.now() - (Date.UTC(2018, 3, 1) + (days + 8) * DAY);
  const postOffset = Date.now() - (Date.UTC(2018, 3, 1) + posts * 1000 * 1.5) - DAY;
  const tx = transactionSource(
    { days, customers, terminals: customers * 2, seed },
    { withLabels: true, offsetMs: txOffset },
  )[Symbol.asyncIterator]();
  const ps = postSource({ count: posts, seed }, { offsetMs: postOffset })[Symbol.asyncIterator]();
  let labelsDue = false;
  const nextTx = async () => {
    for (;;) {
      const next = await tx.next();
      if (next.done || labelsDue) return next;
      if (next.value.topic.name === TOPICS.fraudLabelReported.name) {
        labelsDue = true;
        return next;
      }
    }
  };
  let sent = 0;
  let sentPosts = 0;
  for (;;) {
    const wantPost = sentPosts < postShare * (sent + 1);
    const next = wantPost ? await ps.next() : await nextTx();
    if (next.done) return;
    if (wantPost) sentPosts++;
    sent++;
    yield next.value;
  }
}

export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const deps = benchDeps("bench-latency");
  const total = Math.ceil(options.rate * (options.durationS + options.warmupS) * 1.05) + 1000;
  // The events are simulated before the clock starts (the simulator is the harness's, not the
  // system's, and costs CPU the pipeline would otherwise get); publishing them stays in the window.
  const events: Publishable[] = [];
  for await (const e of mix(total, options.postShare, options.seed)) events.push(e);
  options.log(`[latency] ${events.length} events simulated`);
  const sendAt = new Map<string, number>();
  const measuredIds = new Set<string>();
  const broker: number[] = [];
  const client: number[] = [];
  const timingValues = new Map<string, number[]>();
  let verdictsMeasured = 0;

  const consumer = deps.kafka.consumer({
    groupId: `${TOPIC_PREFIX}bench.latency`,
    allowAutoTopicCreation: false,
  });
  let joined!: () => void;
  const join = new Promise<void>((r) => {
    joined = r;
  });
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  await consumer.subscribe({
    topics: [TOPICS.fraudVerdicts.name, TOPICS.moderationVerdicts.name],
    fromBeginning: true,
  });
  const topicOf = new Map<string, TopicDescriptor>([
    [TOPICS.fraudVerdicts.name, TOPICS.fraudVerdicts],
    [TOPICS.moderationVerdicts.name, TOPICS.moderationVerdicts],
  ]);
  // Verdict values (the stage timings) are decoded after the measured window: the harness shares
  // the machine with the system under test and should take as little CPU as it can meanwhile.
  const verdictValues: { topic: TopicDescriptor; brokerMs: number; value: Buffer }[] = [];
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const consumedAt = Date.now();
      const topic = topicOf.get(batch.topic)!;
      for (const m of batch.messages) {
        const h = fromKafkaHeaders(m.headers);
        const id = h.eventId;
        if (!id || !measuredIds.has(id)) continue;
        measuredIds.delete(id); // first verdict per event only
        verdictsMeasured++;
        const origin = Number(h.extra[ORIGIN_TIMESTAMP]);
        const brokerMs = Number(m.timestamp) - origin;
        broker.push(brokerMs);
        client.push(consumedAt - sendAt.get(id)!);
        if (m.value) verdictValues.push({ topic, brokerMs, value: m.value });
      }
    },
  });
  const decodeTimings = async () => {
    for (const v of verdictValues) {
      const domain = v.topic.name === TOPICS.fraudVerdicts.name ? "fraud" : "moderation";
      const { value } = await deps.codec.decode(v.topic, v.value);
      const timings = {
        e2e_broker_clock_ms: v.brokerMs,
        ...(value as { timings?: Record<string, number> }).timings,
      };
      for (const [name, x] of Object.entries(timings)) {
        if (name === "event_age_ms") continue; // event time is simulated (rebased history)
        const k = `${domain}.${name}`;
        let list = timingValues.get(k);
        if (!list) {
          list = [];
          timingValues.set(k, list);
        }
        list.push(x);
      }
    }
  };
  await Promise.race([join, new Promise((r) => setTimeout(r, 30_000))]);

  const sdk = await createProducer({
    kafka: deps.kafka,
    registry: deps.registry,
    clientId: "bench-latency",
  });
  // Encoded in order, in slices of one topic each (the SDK encodes per topic).
  const encoded: EncodedEvent[] = [];
  for (let i = 0; i < events.length; ) {
    let j = i;
    while (j < events.length && j - i < 1000 && events[j]!.topic === events[i]!.topic) j++;
    const slice = events.slice(i, j);
    encoded.push(
      ...(await sdk.encodeMany(
        slice[0]!.topic,
        slice.map((e) => ({ event: e.event })),
      )),
    );
    i = j;
  }
  await sdk.close();
  options.log(`[latency] ${encoded.length} events encoded`);
  const producer = deps.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const produceCalls: number[] = [];
  const t0 = Date.now();
  const measureFrom = t0 + options.warmupS * 1000;
  const measureTo = measureFrom + options.durationS * 1000;
  let sent = 0;
  let measuredEvents = 0;
  let expectedVerdicts = 0;
  let lastLog = t0;
  let profiling: Profiling | undefined;
  try {
    for (;;) {
      const tick = Date.now();
      if (tick >= measureTo) break;
      const due = Math.floor(((tick - t0) / 1000) * options.rate);
      const byTopic = new Map<string, Message[]>();
      const at = Date.now();
      const inWindow = at >= measureFrom;
      if (inWindow && !profiling) profiling = await startProfiling({ cpu: options.clientProfile });
      for (; sent < due; sent++) {
        const next = encoded[sent];
        if (!next) throw new Error("latency source ran out of events");
        const list = byTopic.get(next.topic);
        if (list) list.push(next.message);
        else byTopic.set(next.topic, [next.message]);
        if (!inWindow) continue;
        measuredEvents++;
        if (next.topic !== TOPICS.fraudLabelReported.name) {
          sendAt.set(next.eventId, at);
          measuredIds.add(next.eventId);
          expectedVerdicts++;
        }
      }
      if (byTopic.size > 0) {
        await producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: -1,
        });
        if (inWindow) produceCalls.push(Date.now() - at);
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        options.log(
          `  ${Math.round((lastLog - t0) / 1000)} s: ${sent} sent, ${verdictsMeasured}/${expectedVerdicts} measured verdicts back`,
        );
      }
      const wait = options.tickMs - (Date.now() - tick);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await profiling?.stop();
    const elapsed = (Date.now() - t0) / 1000;
    // Drain: wait for the measured verdicts (bounded).
    const deadline = Date.now() + 20_000;
    while (verdictsMeasured < expectedVerdicts && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await decodeTimings();
    return {
      rate: options.rate,
      achievedRate: sent / elapsed,
      sent,
      measured: {
        events: measuredEvents,
        expectedVerdicts,
        verdicts: verdictsMeasured,
        missing: expectedVerdicts - verdictsMeasured,
        missingIds: [...measuredIds].slice(0, 5),
      },
      brokerClockMs: percentiles(broker),
      clientClockMs: percentiles(client),
      produceCallMs: percentiles(produceCalls),
      timings: Object.fromEntries(
        [...timingValues].sort((a, b) => a[0].localeCompare(b[0])).map(([k, v]) => [k, percentiles(v)]),
      ),
    };
  } finally {
    await producer.disconnect().catch(() => {});
    await consumer.disconnect().catch(() => {});
    await deps.close();
  }
}
