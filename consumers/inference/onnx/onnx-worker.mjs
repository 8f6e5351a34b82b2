// The worker side of onnx-worker-runtime.ts: owns onnxruntime-node sessions in a worker thread so a
// batch's session.run never blocks the consumer's event loop. Plain JavaScript on purpose: a worker
// thread started under vitest or plain node gets no TypeScript loader. Protocol (all messages carry
// the request id `id`; replies are { id, ok: true, ... } or { id, ok: false, error }):
//   { op: "create", id, request, options }     -> { sessionId, inputs, outputs }
//   { op: "run", id, sessionId, feeds, names } -> { outputs }   (TensorValue-shaped plain data)
//   { op: "release", id, sessionId }           -> {}
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";

const sessions = new Map();
let nextSession = 1;

function spec(m) {
  return m.isTensor
    ? { name: m.name, dtype: m.type, shape: [...m.shape] }
    : { name: m.name, dtype: "non-tensor", shape: [] };
}

/** Array buffers that can be handed back without a copy (whole, unshared buffers only). */
function transferable(data, list) {
  if (ArrayBuffer.isView(data) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    list.push(data.buffer);
  }
}

const handlers = {
  async create({ request, options }) {
    ort.env.logLevel = options.envLogLevel ?? "fatal";
    const session = await ort.InferenceSession.create(request.modelPath, {
      executionProviders: [request.provider],
      graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
      logSeverityLevel: options.logSeverityLevel ?? 3,
      ...(request.intraOpNumThreads ? { intraOpNumThreads: request.intraOpNumThreads } : {}),
    });
    const sessionId = nextSession++;
    sessions.set(sessionId, session);
    return {
      sessionId,
      inputs: session.inputMetadata.map(spec),
      outputs: session.outputMetadata.map(spec),
    };
  },
  async run({ sessionId, feeds, names }, transfer) {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`ONNX worker has no session ${sessionId} (released or never created)`);
    const ortFeeds = {};
    for (const [name, v] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(v.dtype, v.data, v.dims);
    const result = await session.run(ortFeeds, names);
    const outputs = {};
    for (const [name, t] of Object.entries(result)) {
      // Copy out of ONNX Runtime's buffer: it may be external memory that cannot be transferred.
      const data = Array.isArray(t.data) ? t.data : t.data.slice();
      transferable(data, transfer);
      outputs[name] = { dtype: t.type, dims: [...t.dims], data };
    }
    return { outputs };
  },
  async release({ sessionId }) {
    const session = sessions.get(sessionId);
    sessions.delete(sessionId);
    await session?.release();
    return {};
  },
};

parentPort.on("message", async (message) => {
  const transfer = [];
  try {
    const handler = handlers[message.op];
    if (!handler) throw new Error(`ONNX worker: unknown op ${message.op}`);
    const reply = await handler(message, transfer);
    parentPort.postMessage({ id: message.id, ok: true, ...reply }, transfer);
  } catch (err) {
    parentPort.postMessage({
      id: message.id,
      ok: false,
      error: { message: err?.message ?? String(err), name: err?.name ?? "Error", stack: err?.stack },
    });
  }
});
